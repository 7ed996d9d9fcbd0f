import { describe, expect, it } from 'vitest';
import { AppError } from '../shared/errors.js';
import { latestFireAtOrBefore, nextFires, validateCron } from './cron.js';

const iso = (dates: Date[]) => dates.map((d) => d.toISOString());

/** The AppError validateCron throws, with its first field error. */
function failure(cron: string, timezone = 'UTC', path?: string) {
  try {
    validateCron(cron, timezone, { path });
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    return { status: err.status, detail: err.message, field: err.errors![0]! };
  }
  throw new Error(`expected "${cron}" in ${timezone} to be refused`);
}

describe('validateCron', () => {
  it('reads 5 fields in a time zone: weekdays at 09:00 in Berlin, across the spring change of offset', () => {
    // Thursday 26 March 2026; Berlin moves from UTC+1 to UTC+2 on Sunday 29 March.
    const r = validateCron('0 9 * * 1-5', 'Europe/Berlin', { now: new Date('2026-03-26T12:00:00Z') });
    expect(r.valid).toBe(true);
    expect(r.description).toBe('At 09:00, Monday through Friday');
    expect(iso(r.next)).toEqual(['2026-03-27T08:00:00.000Z', '2026-03-30T07:00:00.000Z', '2026-03-31T07:00:00.000Z', '2026-04-01T07:00:00.000Z', '2026-04-02T07:00:00.000Z']);
  });

  it('reads 6 fields as seconds first, and nicknames', () => {
    const r = validateCron('*/15 * * * * *', 'UTC', { now: new Date('2026-01-01T00:00:07Z') });
    expect(r.description).toBe('Every 15 seconds');
    expect(iso(r.next)).toEqual(['2026-01-01T00:00:15.000Z', '2026-01-01T00:00:30.000Z', '2026-01-01T00:00:45.000Z', '2026-01-01T00:01:00.000Z', '2026-01-01T00:01:15.000Z']);
    const daily = validateCron('@daily', 'America/New_York', { now: new Date('2026-01-01T12:00:00Z') });
    expect(iso(daily.next.slice(0, 2))).toEqual(['2026-01-02T05:00:00.000Z', '2026-01-03T05:00:00.000Z']);
    expect(validateCron('0 12 1 * +MON', 'UTC').description).toBe('Cron "0 12 1 * +MON"'); // croner-only syntax: no words, still valid
  });

  it("follows croner on daylight saving: a fixed time in the spring gap runs after it; interval times in the gap are skipped", () => {
    // 29 March 2026, Berlin: 02:00 CET jumps to 03:00 CEST, so 02:30 does not exist that day.
    const fixed = nextFires({ cron: '30 2 * * *', timezone: 'Europe/Berlin' }, new Date('2026-03-28T12:00:00Z'), 3);
    expect(iso(fixed)).toEqual(['2026-03-29T01:00:00.000Z' /* 03:00 CEST */, '2026-03-30T00:30:00.000Z', '2026-03-31T00:30:00.000Z']);
    const interval = nextFires({ cron: '*/30 * * * *', timezone: 'Europe/Berlin' }, new Date('2026-03-29T00:10:00Z'), 3);
    expect(iso(interval)).toEqual(['2026-03-29T00:30:00.000Z' /* 01:30 CET */, '2026-03-29T01:00:00.000Z' /* 03:00 CEST */, '2026-03-29T01:30:00.000Z']);
  });

  it('on the autumn change a fixed time runs once, an interval time on both occurrences', () => {
    // 25 October 2026, Berlin: 03:00 CEST falls back to 02:00 CET, so 02:30 happens twice.
    const fixed = nextFires({ cron: '30 2 * * *', timezone: 'Europe/Berlin' }, new Date('2026-10-24T12:00:00Z'), 2);
    expect(iso(fixed)).toEqual(['2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
    const interval = nextFires({ cron: '30 * * * *', timezone: 'Europe/Berlin' }, new Date('2026-10-24T23:45:00Z'), 3);
    expect(iso(interval)).toEqual(['2026-10-25T00:30:00.000Z' /* 02:30 CEST */, '2026-10-25T01:30:00.000Z' /* 02:30 CET */, '2026-10-25T02:30:00.000Z']);
  });

  it.each([
    ['61 * * * *', 'minute', '"61"'],
    ['* 24 * * *', 'hour', '"24"'],
    ['* * 0 * *', 'day of month', '"0"'],
    ['* * * 13 *', 'month', '"13"'],
    ['* * * * 8', 'day of week', '"8"'],
    ['* * * FOO *', 'month', '"FOO"'],
    ['60 * * * * *', 'second', '"60"'],
    ['0 */0 * * * *', 'minute', '"*/0"'],
  ])('refuses %s naming the %s field', (cron, name, value) => {
    const f = failure(cron);
    expect(f.status).toBe(400);
    expect(f.field.path).toBe('cron');
    expect(f.field.message).toContain(`the ${name} field ${value} is not valid`);
    expect(f.detail).toContain(name);
  });

  it('refuses wrong field counts, empty and impossible expressions, and unknown time zones', () => {
    expect(failure('* * * *').field).toEqual({ path: 'cron', message: expect.stringContaining('has 4 fields; give 5') });
    expect(failure('* * * * * * *').field.message).toContain('has 7 fields');
    expect(failure('  ').field.message).toContain('is empty');
    expect(failure('0 0 30 2 *').field.message).toContain('never matches a date');
    expect(failure('@reboot').field.message).toContain('not a valid expression');
    const tz = failure('0 9 * * *', 'Mars/Olympus');
    expect(tz.field).toEqual({ path: 'timezone', message: expect.stringContaining('unknown time zone "Mars/Olympus"') });
    expect(failure('0 9 * * *', '').field.path).toBe('timezone');
    expect(failure('61 * * * *', 'UTC', 'body.').field.path).toBe('body.cron');
  });
});

describe('nextFires and latestFireAtOrBefore', () => {
  it('give a one-off only while it is ahead', () => {
    const at = new Date('2026-05-01T10:00:00.250Z');
    expect(nextFires({ onceAt: at }, new Date('2026-05-01T09:00:00Z'), 5)).toEqual([at]);
    expect(nextFires({ onceAt: at }, at, 5)).toEqual([]);
  });

  it('find the latest cron time at or before an instant', () => {
    const spec = { cron: '0 9 * * *', timezone: 'UTC' };
    expect(latestFireAtOrBefore(spec, new Date('2026-05-01T09:00:00Z'))?.toISOString()).toBe('2026-05-01T09:00:00.000Z');
    expect(latestFireAtOrBefore(spec, new Date('2026-05-01T08:59:59.999Z'))?.toISOString()).toBe('2026-04-30T09:00:00.000Z');
    expect(latestFireAtOrBefore({ onceAt: new Date() }, new Date())).toBeNull();
  });
});
