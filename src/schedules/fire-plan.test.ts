import { describe, expect, it } from 'vitest';
import { delayFigures, DelayWindow, planFire, type DueSchedule } from './fire-plan.js';

const hourly: DueSchedule = { cron: '0 * * * *', timezone: 'UTC', onceAt: null, misfire: 'run_once', nextFireAt: new Date('2026-05-01T10:00:00Z') };
const iso = (d: Date | null) => d?.toISOString() ?? null;

describe('planFire', () => {
  it('fires an on-time schedule at its time and moves to the following one', () => {
    const p = planFire(hourly, new Date('2026-05-01T10:00:00.040Z'));
    expect({ ...p, fireAt: iso(p.fireAt), next: iso(p.next) }).toEqual({ fireAt: '2026-05-01T10:00:00.000Z', outcome: 'fired', misfired: false, next: '2026-05-01T11:00:00.000Z' });
  });

  it('catches up fire by fire within the grace (no gaps after a short stall)', () => {
    const perSecond = { ...hourly, cron: '* * * * * *' };
    const p = planFire(perSecond, new Date('2026-05-01T10:00:03.500Z'));
    expect([iso(p.fireAt), iso(p.next), p.misfired]).toEqual(['2026-05-01T10:00:00.000Z', '2026-05-01T10:00:01.000Z', false]);
  });

  it('past the grace, run_once fires the latest missed time and skip records it skipped; both jump past now', () => {
    const now = new Date('2026-05-01T13:20:00Z');
    const once = planFire(hourly, now);
    expect([iso(once.fireAt), once.outcome, once.misfired, iso(once.next)]).toEqual(['2026-05-01T13:00:00.000Z', 'fired', true, '2026-05-01T14:00:00.000Z']);
    const skip = planFire({ ...hourly, misfire: 'skip' }, now);
    expect([iso(skip.fireAt), skip.outcome, iso(skip.next)]).toEqual(['2026-05-01T13:00:00.000Z', 'skipped', '2026-05-01T14:00:00.000Z']);
    expect(planFire(hourly, now, 4 * 3_600_000).misfired).toBe(false); // a longer grace catches up instead
  });

  it('fires a one-off once (or skips it when late under skip)', () => {
    const oneOff: DueSchedule = { cron: null, timezone: 'UTC', onceAt: hourly.nextFireAt, misfire: 'skip', nextFireAt: hourly.nextFireAt };
    expect(planFire(oneOff, new Date('2026-05-01T10:00:01Z'))).toMatchObject({ outcome: 'fired', next: null });
    expect(planFire(oneOff, new Date('2026-05-01T11:00:00Z'))).toMatchObject({ outcome: 'skipped', misfired: true, next: null });
    expect(planFire({ ...oneOff, misfire: 'run_once' }, new Date('2026-05-01T11:00:00Z'))).toMatchObject({ outcome: 'fired', misfired: true });
  });
});

describe('delay figures', () => {
  it('keep the last 100 and summarize them', () => {
    const w = new DelayWindow(100);
    for (let i = 1; i <= 150; i++) w.add(i);
    expect(w.figures()).toEqual({ count: 100, medianMs: 101, p95Ms: 146, maxMs: 150, lastMs: 150 });
    expect(delayFigures([])).toEqual({ count: 0, medianMs: null, p95Ms: null, maxMs: null, lastMs: null });
  });
});
