import { describe, expect, it } from 'vitest';
import { DEFAULT_BREAKS, DEFAULT_WORKING_HOURS } from './enums.js';
import { findSlots, hoursProblem, isTimeZone, openIntervals, zonedInstant } from './time.js';

const iso = (ms: number) => new Date(ms).toISOString();
const berlin = { timeZone: 'Europe/Berlin', workingHours: DEFAULT_WORKING_HOURS, breaks: DEFAULT_BREAKS };

describe('wall-clock time in a calendar’s zone', () => {
  it('turns a local time into an instant, across daylight saving changes', () => {
    expect(iso(zonedInstant(2027, 3, 1, 10 * 60, 'Europe/Berlin'))).toBe('2027-03-01T09:00:00.000Z'); // CET, +1
    expect(iso(zonedInstant(2027, 7, 1, 10 * 60, 'Europe/Berlin'))).toBe('2027-07-01T08:00:00.000Z'); // CEST, +2
    expect(iso(zonedInstant(2027, 3, 1, 10 * 60, 'America/New_York'))).toBe('2027-03-01T15:00:00.000Z');
    expect(iso(zonedInstant(2027, 3, 1, 24 * 60, 'UTC'))).toBe('2027-03-02T00:00:00.000Z');
    // 2027-03-28 02:30 does not exist in Berlin (02:00 → 03:00): after the gap, 03:30 CEST.
    expect(iso(zonedInstant(2027, 3, 28, 150, 'Europe/Berlin'))).toBe('2027-03-28T01:30:00.000Z');
    // 2027-10-31 02:30 happens twice (03:00 CEST → 02:00 CET): the first pass, in CEST.
    expect(iso(zonedInstant(2027, 10, 31, 150, 'Europe/Berlin'))).toBe('2027-10-31T00:30:00.000Z');
    expect(isTimeZone('Europe/Berlin')).toBe(true);
    expect(isTimeZone('Mars/Olympus')).toBe(false);
  });

  it('opens working hours minus breaks; says why a time is not bookable', () => {
    const monday = openIntervals(berlin, Date.parse('2027-03-01T00:00:00Z'), Date.parse('2027-03-02T00:00:00Z'));
    expect(monday.map((i) => [iso(i.start), iso(i.end)])).toEqual([
      ['2027-03-01T08:00:00.000Z', '2027-03-01T11:00:00.000Z'],
      ['2027-03-01T12:00:00.000Z', '2027-03-01T16:00:00.000Z'],
    ]);
    expect(hoursProblem(berlin, Date.parse('2027-03-01T08:00:00Z'), Date.parse('2027-03-01T08:30:00Z'))).toBeNull();
    expect(hoursProblem(berlin, Date.parse('2027-03-01T10:45:00Z'), Date.parse('2027-03-01T11:15:00Z'))).toBe('break');
    expect(hoursProblem(berlin, Date.parse('2027-03-01T07:45:00Z'), Date.parse('2027-03-01T08:15:00Z'))).toBe('outside_hours');
    // A day open to 24:00 and the next from 00:00 make one interval: a night shift across midnight fits.
    const night = { timeZone: 'UTC', workingHours: { mon: [{ start: '20:00', end: '24:00' }], tue: [{ start: '00:00', end: '04:00' }] }, breaks: [] };
    expect(hoursProblem(night, Date.parse('2027-03-01T23:00:00Z'), Date.parse('2027-03-02T01:00:00Z'))).toBeNull();
  });

  it('finds free slots on the 15-minute grid around busy times, skipping breaks and closed days', () => {
    const busy = [{ start: Date.parse('2027-03-05T08:00:00Z'), end: Date.parse('2027-03-05T09:10:00Z') }];
    const slots = findSlots(berlin, busy, Date.parse('2027-03-05T08:00:00Z'), 60 * 60_000, 4);
    // Friday: 10:15 Berlin after the busy block (to 10:10, rounded up), then 13:00 and 14:00 after lunch, 15:00; then Monday.
    expect(slots.map((s) => iso(s.start))).toEqual(['2027-03-05T09:15:00.000Z', '2027-03-05T12:00:00.000Z', '2027-03-05T13:00:00.000Z', '2027-03-05T14:00:00.000Z']);
    const late = findSlots(berlin, [], Date.parse('2027-03-05T15:45:00Z'), 30 * 60_000, 1);
    expect(iso(late[0]!.start)).toBe('2027-03-08T08:00:00.000Z');
  });
});
