import { describe, expect, it } from 'vitest';
import { DEFAULT_PRESET, fromCron, switchKind, toCron, type SchedulePreset } from './schedule-presets';

describe('schedule presets ↔ cron', () => {
  const cases: [SchedulePreset, string][] = [
    [{ kind: 'minutes', every: 1 }, '* * * * *'],
    [{ kind: 'minutes', every: 15 }, '*/15 * * * *'],
    [{ kind: 'hourly', minute: 0 }, '0 * * * *'],
    [{ kind: 'hourly', minute: 45 }, '45 * * * *'],
    [{ kind: 'daily', time: '09:00' }, '0 9 * * *'],
    [{ kind: 'daily', time: '23:59' }, '59 23 * * *'],
    [{ kind: 'weekly', days: [1, 3, 5], time: '08:30' }, '30 8 * * 1,3,5'],
    [{ kind: 'weekly', days: [1, 2, 3, 4, 5], time: '09:00' }, '0 9 * * 1-5'],
    [{ kind: 'weekly', days: [0, 6], time: '10:15' }, '15 10 * * 0,6'],
    [{ kind: 'weekly', days: [0, 2, 3, 4, 6], time: '07:05' }, '5 7 * * 0,2-4,6'],
    [{ kind: 'monthly', day: 1, time: '09:00' }, '0 9 1 * *'],
    [{ kind: 'monthly', day: 28, time: '18:30' }, '30 18 28 * *'],
  ];

  it.each(cases)('%j is %s, and back', (preset, cron) => {
    expect(toCron(preset)).toBe(cron);
    expect(fromCron(cron)).toEqual(preset);
  });

  it('reads weekday lists in any order, ranges, and 7 as Sunday', () => {
    expect(fromCron('30 8 * * 5,1,3')).toEqual({ kind: 'weekly', days: [1, 3, 5], time: '08:30' });
    expect(fromCron('0 9 * * 6-7')).toEqual({ kind: 'weekly', days: [0, 6], time: '09:00' });
    expect(fromCron('  0   9  * * 1-5 ')).toEqual({ kind: 'weekly', days: [1, 2, 3, 4, 5], time: '09:00' });
  });

  it('opens anything else as custom, keeping the text', () => {
    for (const cron of ['*/10 * * * * *', '0 9 * * 0-6', '*/7 * * * *', '0 9 * 1 *', '0 9 1 * 1', '0 */2 * * *', '@daily', '0 9 1,15 * *', '0 24 * * *', '61 * * * *', 'MON', '']) {
      expect(fromCron(cron)).toEqual({ kind: 'custom', cron });
    }
  });

  it('gives no expression for an incomplete choice', () => {
    expect(toCron({ kind: 'weekly', days: [], time: '08:30' })).toBe('');
    expect(toCron({ kind: 'daily', time: '' })).toBe('');
    expect(toCron({ kind: 'custom', cron: '1 2 3 4 5' })).toBe('1 2 3 4 5');
  });

  it('defaults to every day at 09:00, and keeps the time when the kind changes', () => {
    expect(toCron(DEFAULT_PRESET)).toBe('0 9 * * *');
    const daily: SchedulePreset = { kind: 'daily', time: '06:45' };
    expect(switchKind(daily, 'weekly', '45 6 * * *')).toEqual({ kind: 'weekly', days: [1, 2, 3, 4, 5], time: '06:45' });
    expect(switchKind(daily, 'monthly', '45 6 * * *')).toEqual({ kind: 'monthly', day: 1, time: '06:45' });
    expect(switchKind(daily, 'custom', '45 6 * * *')).toEqual({ kind: 'custom', cron: '45 6 * * *' });
  });
});
