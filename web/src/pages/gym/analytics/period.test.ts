import { describe, expect, it } from 'vitest';
import { lastDay, monthName, nextMonth, periodOf, shortMonth, thisMonth } from './period';

describe('the analytics period', () => {
  it('names months in UTC', () => {
    expect(thisMonth(new Date('2026-03-31T23:30:00Z'))).toBe('2026-03');
    expect(thisMonth(new Date('2026-04-01T00:00:00Z'))).toBe('2026-04');
    expect(monthName('2026-03')).toBe('March 2026');
    expect(shortMonth('2025-12')).toBe('Dec');
  });

  it('knows the next month and a month’s last day, leap years included', () => {
    expect(nextMonth('2025-12')).toBe('2026-01');
    expect(nextMonth('2026-09')).toBe('2026-10');
    expect(lastDay('2024-02')).toBe('2024-02-29');
    expect(lastDay('2026-02')).toBe('2026-02-28');
    expect(lastDay('2026-12')).toBe('2026-12-31');
  });

  it('sees the current month up to now and an earlier month from its end', () => {
    expect(periodOf('2026-03', '2026-03')).toEqual({ asOf: undefined, from: '2026-03-01', to: '2026-03-31' });
    expect(periodOf('2025-12', '2026-03')).toEqual({ asOf: '2026-01-01', from: '2025-12-01', to: '2025-12-31' });
  });
});
