import { describe, expect, it } from 'vitest';
import { csvField, csvRecord } from './csv.js';
import { billedMicros, formatUsd, markupMicros, percentUsed, reached } from './money.js';
import { monthOf, monthRange, monthsEndingWith } from './month.js';

describe('money', () => {
  it('rounds the markup half up in integers', () => {
    expect(markupMicros(1234, 1234)).toBe(152); // 152.2756
    expect(markupMicros(50, 1000)).toBe(5); // exactly 5
    expect(markupMicros(5, 1000)).toBe(1); // 0.5 → 1
    expect(markupMicros(4, 1000)).toBe(0); // 0.4 → 0
    expect(markupMicros(0, 2000)).toBe(0);
    expect(billedMicros(1_000_000, 2000)).toBe(1_200_000);
    // base × bps here is past 2^53, where float products stop being exact; BigInt keeps it exact.
    expect(markupMicros(9_007_199_254_740, 9999)).toBe(9_006_298_534_815);
    expect(() => markupMicros(-1, 2000)).toThrow(RangeError);
    expect(() => markupMicros(1.5, 2000)).toThrow(RangeError);
  });

  it('formats dollars from integers', () => {
    expect(formatUsd(1_234_567)).toBe('1.234567');
    expect(formatUsd(7)).toBe('0.000007');
    expect(formatUsd(0)).toBe('0.000000');
    expect(formatUsd(-1_500_000)).toBe('-1.500000');
    expect(formatUsd(1_234_567, 2)).toBe('1.23');
    expect(formatUsd(1_235_000, 2)).toBe('1.24');
    expect(formatUsd(4_999, 2)).toBe('0.00');
    expect(formatUsd(-4_999, 2)).toBe('0.00');
    expect(formatUsd(123_456_789_012_345_678n)).toBe('123456789012.345678');
  });

  it('compares budgets exactly and shows percent rounded down', () => {
    expect(reached(799_999, 1_000_000, 80)).toBe(false);
    expect(reached(800_000, 1_000_000, 80)).toBe(true);
    expect(percentUsed(799_999, 1_000_000)).toBe(79.99);
    expect(percentUsed(1_500_000, 1_000_000)).toBe(150);
    expect(percentUsed(0, 0)).toBe(100);
  });
});

describe('months (UTC)', () => {
  it('has exact boundaries and walks back over years', () => {
    expect(monthOf(new Date('2025-01-31T23:59:59.999Z'))).toBe('2025-01');
    expect(monthRange('2024-12')).toEqual({ start: new Date('2024-12-01T00:00:00Z'), end: new Date('2025-01-01T00:00:00Z') });
    expect(monthsEndingWith('2025-02', 4)).toEqual(['2024-11', '2024-12', '2025-01', '2025-02']);
  });
});

describe('csv', () => {
  it('quotes per RFC 4180 and defuses formulas', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\nlines')).toBe('"two\nlines"');
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField(-5)).toBe('-5');
    expect(csvField(null)).toBe('');
    expect(csvRecord(['a', 1, null])).toBe('a,1,\r\n');
  });
});
