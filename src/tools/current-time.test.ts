import { describe, expect, it } from 'vitest';
import { currentTime, isTimeZone, zonedTime } from './builtin/current-time.js';
import { executeTool } from './execute.js';
import { toolContext } from '../../test/helpers/tool-context.js';

const ctx = toolContext();

describe('current_time', () => {
  it.each([
    ['2024-01-15T12:00:00Z', 'America/New_York', '2024-01-15T07:00:00', '-05:00', 'Monday'],
    ['2024-07-15T12:00:00Z', 'America/New_York', '2024-07-15T08:00:00', '-04:00', 'Monday'], // daylight saving
    ['2024-01-15T12:00:00Z', 'Asia/Kolkata', '2024-01-15T17:30:00', '+05:30', 'Monday'],
    ['2024-01-15T23:30:00Z', 'Asia/Tokyo', '2024-01-16T08:30:00', '+09:00', 'Tuesday'], // next day
    ['2024-01-15T12:00:00Z', 'UTC', '2024-01-15T12:00:00', '+00:00', 'Monday'],
  ])('%s in %s is %s (%s)', (iso, zone, local, offset, weekday) => {
    expect(zonedTime(new Date(iso), zone)).toEqual({ local, offset, weekday });
  });

  it('answers now, in UTC by default and in the canonical spelling of a zone', async () => {
    const before = Date.now();
    const utc = await executeTool(currentTime, {}, ctx);
    expect(utc).toMatchObject({ ok: true, output: { timeZone: 'UTC', utcOffset: '+00:00' } });
    const out = (utc as { output: { iso: string; unixMs: number } }).output;
    expect(out.unixMs).toBeGreaterThanOrEqual(before);
    expect(new Date(out.iso).getTime()).toBe(out.unixMs);
    expect(await executeTool(currentTime, { timeZone: 'europe/paris' }, ctx)).toMatchObject({ ok: true, output: { timeZone: 'Europe/Paris' } });
  });

  it('refuses an unknown zone as invalid arguments', async () => {
    expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
    const res = await executeTool(currentTime, { timeZone: 'Mars/Olympus_Mons' }, ctx);
    expect(res).toMatchObject({ ok: false, error: { code: 'invalid_arguments', issues: [{ path: 'input.timeZone' }] } });
  });
});
