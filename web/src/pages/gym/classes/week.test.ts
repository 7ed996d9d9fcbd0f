import { describe, expect, it } from 'vitest';
import { addDays, dayKey, fill, layoutWeek, moveInWeek, startOfWeek, weekFromParam } from './week';

// Local times throughout: the week view is in the browser's zone, and so are these dates.
const at = (y: number, m: number, d: number, h = 0, min = 0) => new Date(y, m - 1, d, h, min);

describe('week arithmetic', () => {
  it('starts weeks on Monday 00:00, whatever the day and time', () => {
    expect(dayKey(startOfWeek(at(2026, 3, 4, 18, 30)))).toBe('2026-03-02'); // a Wednesday
    expect(dayKey(startOfWeek(at(2026, 3, 2)))).toBe('2026-03-02'); // Monday itself
    expect(dayKey(startOfWeek(at(2026, 3, 8, 23, 59)))).toBe('2026-03-02'); // Sunday belongs to the week before
    expect(dayKey(startOfWeek(at(2026, 1, 1)))).toBe('2025-12-29'); // across a year
    expect(startOfWeek(at(2026, 3, 4, 18)).getHours()).toBe(0);
  });

  it('moves by calendar days', () => {
    expect(dayKey(addDays(at(2026, 2, 27), 2))).toBe('2026-03-01');
    expect(dayKey(addDays(at(2026, 3, 2), -7))).toBe('2026-02-23');
    // Seven days after a Monday is a Monday at midnight, daylight saving or not.
    const next = addDays(at(2026, 3, 23), 7);
    expect([next.getDay(), next.getHours()]).toEqual([1, 0]);
  });

  it('reads the week from the address bar, falling back to this week', () => {
    const today = at(2026, 3, 4, 12);
    expect(dayKey(weekFromParam('2026-03-11', today))).toBe('2026-03-09');
    expect(dayKey(weekFromParam(null, today))).toBe('2026-03-02');
    expect(dayKey(weekFromParam('2026-02-30', today))).toBe('2026-03-02');
    expect(dayKey(weekFromParam('next week', today))).toBe('2026-03-02');
  });
});

describe('layoutWeek', () => {
  const s = (id: string, start: Date, minutes = 60) => ({ id, startsAt: start.toISOString(), endsAt: new Date(start.getTime() + minutes * 60_000).toISOString() });

  it('puts each session in the column of its day, in start order, and leaves out other weeks', () => {
    const week = at(2026, 3, 2);
    const days = layoutWeek(
      [
        s('tue-late', at(2026, 3, 3, 18)),
        s('mon', at(2026, 3, 2, 7)),
        s('tue-early', at(2026, 3, 3, 6, 30)),
        s('tue-early-short', at(2026, 3, 3, 6, 30), 30),
        s('sun-night', at(2026, 3, 8, 23, 30)),
        s('next-mon', at(2026, 3, 9, 0, 0)),
        s('last-sun', at(2026, 3, 1, 23, 59)),
      ],
      week,
    );
    expect(days.map((d) => d.key)).toEqual(['2026-03-02', '2026-03-03', '2026-03-04', '2026-03-05', '2026-03-06', '2026-03-07', '2026-03-08']);
    expect(days.map((d) => d.items.map((i) => i.id))).toEqual([['mon'], ['tue-early-short', 'tue-early', 'tue-late'], [], [], [], [], ['sun-night']]);
  });
});

describe('fill', () => {
  it('is a share of the capacity, full at capacity, filling from 80%', () => {
    expect(fill(0, 20)).toEqual({ ratio: 0, level: 'open' });
    expect(fill(15, 20)).toEqual({ ratio: 0.75, level: 'open' });
    expect(fill(16, 20)).toEqual({ ratio: 0.8, level: 'filling' });
    expect(fill(20, 20)).toEqual({ ratio: 1, level: 'full' });
    expect(fill(25, 20)).toEqual({ ratio: 1, level: 'full' });
    expect(fill(0, 0)).toEqual({ ratio: 0, level: 'full' });
  });
});

describe('moveInWeek', () => {
  // Monday 3 sessions, Tuesday none, Wednesday 1, Thursday 2, the rest none.
  const counts = [3, 0, 1, 2, 0, 0, 0];

  it('moves up and down within a day, stopping at its ends', () => {
    expect(moveInWeek(counts, { day: 0, index: 0 }, 'ArrowDown')).toEqual({ day: 0, index: 1 });
    expect(moveInWeek(counts, { day: 0, index: 2 }, 'ArrowDown')).toBeNull();
    expect(moveInWeek(counts, { day: 0, index: 1 }, 'ArrowUp')).toEqual({ day: 0, index: 0 });
    expect(moveInWeek(counts, { day: 0, index: 0 }, 'ArrowUp')).toBeNull();
    expect(moveInWeek(counts, { day: 0, index: 1 }, 'End')).toEqual({ day: 0, index: 2 });
    expect(moveInWeek(counts, { day: 0, index: 2 }, 'Home')).toEqual({ day: 0, index: 0 });
  });

  it('moves sideways to the nearest day with sessions, keeping the position where it can', () => {
    expect(moveInWeek(counts, { day: 0, index: 2 }, 'ArrowRight')).toEqual({ day: 2, index: 0 }); // Tuesday is empty
    expect(moveInWeek(counts, { day: 2, index: 0 }, 'ArrowRight')).toEqual({ day: 3, index: 0 });
    expect(moveInWeek(counts, { day: 3, index: 1 }, 'ArrowLeft')).toEqual({ day: 2, index: 0 });
    expect(moveInWeek(counts, { day: 3, index: 1 }, 'ArrowRight')).toBeNull();
    expect(moveInWeek(counts, { day: 0, index: 0 }, 'ArrowLeft')).toBeNull();
    expect(moveInWeek(counts, { day: 0, index: 0 }, 'Enter')).toBeNull();
  });
});
