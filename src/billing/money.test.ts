import { describe, expect, it } from 'vitest';
import { csvField, csvRecord } from './csv.js';
import { billedMicros, displayUsd, exactUsd, formatUsd, markupMicros, parseUsd, percentUsed, plainUsd, reached } from './money.js';
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

  it('shows money to a person by one rule: cents from $1, else up to 4 significant digits', () => {
    // The amount the four old formatters showed as $0.004250, $0.0043 and $0.00425.
    expect(displayUsd(4_250)).toBe('$0.00425');
    expect(displayUsd(0)).toBe('$0.00');
    expect(displayUsd(1)).toBe('$0.000001');
    expect(displayUsd(12)).toBe('$0.000012');
    expect(displayUsd(4_256)).toBe('$0.004256');
    expect(displayUsd(12_345)).toBe('$0.01235'); // half up
    expect(displayUsd(123_456)).toBe('$0.1235');
    expect(displayUsd(500_000)).toBe('$0.50');
    expect(displayUsd(50_000)).toBe('$0.05');
    expect(displayUsd(999_995)).toBe('$1.00'); // rounds up to a dollar: cents
    expect(displayUsd(1_000_000)).toBe('$1.00');
    expect(displayUsd(1_234_567)).toBe('$1.23');
    expect(displayUsd(1_235_000)).toBe('$1.24');
    expect(displayUsd(12_500_000)).toBe('$12.50');
    expect(displayUsd(1_234_567_890)).toBe('$1,234.57');
    expect(displayUsd(-10_000)).toBe('-$0.01');
    expect(displayUsd(-4_250)).toBe('-$0.00425');
    expect(displayUsd(123_456_789_012_345_678n)).toBe('$123,456,789,012.35');
    expect(displayUsd(null)).toBe('—');
    expect(displayUsd(undefined)).toBe('—');
  });

  it('shows money exactly where it must add up (usage, budgets)', () => {
    expect(exactUsd(0)).toBe('$0.00');
    expect(exactUsd(252)).toBe('$0.000252');
    expect(exactUsd(4_250)).toBe('$0.00425');
    expect(exactUsd(1_500_000)).toBe('$1.50');
    expect(exactUsd(1_234_567)).toBe('$1.234567');
    expect(exactUsd(12_345_000_000)).toBe('$12,345.00');
    expect(exactUsd(-10_000)).toBe('-$0.01');
    expect(exactUsd(null)).toBe('—');
  });

  it('reads and writes the plain dollars of a form field exactly', () => {
    expect(plainUsd(12_500_000)).toBe('12.5');
    expect(plainUsd(5_000_000)).toBe('5');
    expect(plainUsd(1)).toBe('0.000001');
    expect(plainUsd(-1_500_000)).toBe('-1.5');
    expect(parseUsd('12.5')).toBe(12_500_000);
    expect(parseUsd(' $12.50 ')).toBe(12_500_000);
    expect(parseUsd('$1,000')).toBe(1_000_000_000);
    expect(parseUsd('.5')).toBe(500_000);
    expect(parseUsd('0.000001')).toBe(1);
    expect(parseUsd('-1')).toBe(-1_000_000);
    expect(parseUsd('-0')).toBe(0);
    // 0.1 + 0.2 style float drift cannot happen: 4.35 × 1e6 is 4349999.999… as a float.
    expect(parseUsd('4.35')).toBe(4_350_000);
    for (const junk of ['', '.', '$', 'abc', '1.2.3', '0.0000001', '1e3', '--1', '99999999999999']) expect(parseUsd(junk), junk).toBeNaN();
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
