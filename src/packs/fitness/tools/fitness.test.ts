import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../../../test/helpers/app.js';
import { createBookingBody, createCheckInBody } from '../crm/dto/classes.js';
import { createGoalBody, createMeasurementBody } from '../crm/dto/progress.js';
import { fitnessWorkoutPlans } from '../crm/schema.js';
import { linearFit, localWeekdayHour, predictProgress, slotAffinity, weekdayHourHistogram } from './progress-math.js';
import { failed, gym, ok, type Gym } from './test-fixtures.js';
import { buildWorkoutPlan } from './workout-plan.js';

type Row = Record<string, unknown>;
const DAY = 86_400_000;
const NOW = new Date('2026-03-01T12:00:00Z');
const day = (n: number) => new Date(NOW.getTime() + n * DAY);

describe('progress arithmetic', () => {
  it('fits a least-squares line', () => {
    expect(linearFit([0, 1, 2, 3].map((x) => ({ x, y: 2 * x + 1 })))).toEqual({ slope: 2, intercept: 1, r2: 1, n: 4 });
    const noisy = linearFit([
      { x: 0, y: 1 },
      { x: 1, y: 3 },
      { x: 2, y: 2 },
      { x: 3, y: 5 },
    ])!;
    expect(noisy.slope).toBeCloseTo(1.1, 10);
    expect(noisy.intercept).toBeCloseTo(1.1, 10);
    expect(noisy.r2).toBeCloseTo(30.25 / 43.75, 10);
    expect(linearFit([{ x: 1, y: 1 }])).toBeNull();
    expect(
      linearFit([
        { x: 1, y: 1 },
        { x: 1, y: 2 },
      ]),
    ).toBeNull();
  });

  // 80 → 79 → 78 kg over two weeks: 1 kg a week; 75 kg three weeks after the last point.
  const losing = [0, 7, 14].map((d, i) => ({ at: day(d - 14), value: 80 - i }));
  it('predicts the date a trend reaches its target, and judges it against the target date', () => {
    const onTrack = predictProgress({ points: losing, target: 75, targetDate: '2026-04-15', now: NOW, unit: 'kg' });
    expect(onTrack).toMatchObject({ status: 'on_track', predictedDate: '2026-03-22', trend: { perWeek: -1, r2: 1, fittedNow: 78 }, target: 75 });
    expect(onTrack.summary).toBe('On track: at -1 kg a week the target 75 kg is reached about 2026-03-22 (target date 2026-04-15)');
    expect(predictProgress({ points: losing, target: 75, targetDate: '2026-03-10', now: NOW })).toMatchObject({ status: 'behind', predictedDate: '2026-03-22', predictedAtTargetDate: 76.79 });
    expect(predictProgress({ points: losing, target: 85, now: NOW })).toMatchObject({ status: 'not_on_track', predictedDate: null });
    expect(predictProgress({ points: losing, target: 78.5, now: NOW })).toMatchObject({ status: 'achieved' });
    expect(predictProgress({ points: losing.slice(0, 2), target: 75, now: NOW })).toMatchObject({ status: 'insufficient_data', trend: null });
    // A PR going up: 100 → 110 kg in 4 weeks, target 120.
    expect(predictProgress({ points: [0, 14, 28].map((d, i) => ({ at: day(d - 28), value: 100 + 5 * i })), target: 120, now: NOW })).toMatchObject({ status: 'on_track', predictedDate: '2026-03-29' });
    // Flat for years to come: not on track.
    expect(predictProgress({ points: [0, 30, 60].map((d, i) => ({ at: day(d - 60), value: 80 - 0.01 * i })), target: 70, now: NOW }).status).toBe('not_on_track');
  });

  it('reads weekdays and hours in the gym time zone', () => {
    const t = new Date('2026-01-05T23:30:00Z'); // a Monday, UTC
    expect(localWeekdayHour(t, 'UTC')).toEqual({ weekday: 0, hour: 23 });
    expect(localWeekdayHour(t, 'America/New_York')).toEqual({ weekday: 0, hour: 18 });
    expect(localWeekdayHour(t, 'Asia/Tokyo')).toEqual({ weekday: 1, hour: 8 });
    const grid = weekdayHourHistogram([t, new Date('2026-01-12T23:10:00Z'), new Date('2026-01-07T12:00:00Z')], 'America/New_York');
    expect(grid[0]![18]).toBe(2);
    expect(grid[2]![7]).toBe(1);
    expect(slotAffinity(grid, 0, 18)).toBe(1);
    expect(slotAffinity(grid, 0, 19)).toBe(0.5);
    expect(slotAffinity(grid, 4, 18)).toBe(0);
  });

  it('builds a plan with a split, exercises for the equipment, progression and a lighter last week', () => {
    const plan = buildWorkoutPlan({ focus: 'strength', level: 'intermediate', equipment: 'bodyweight', daysPerWeek: 3, weeks: 4, sessionMinutes: 60 });
    expect(plan.split).toEqual(['Full body A', 'Full body B', 'Full body C']);
    expect(plan.weeksDetail).toHaveLength(4);
    const sets = plan.weeksDetail.map((w) => w.sessions[0]!.exercises[0]!.sets);
    const rpe = plan.weeksDetail.map((w) => w.sessions[0]!.exercises[0]!.rpe);
    expect(sets).toEqual([4, 4, 5, 3]);
    expect(rpe).toEqual([7, 7, 8, 5]);
    expect(plan.weeksDetail[0]!.sessions[0]!.exercises.map((e) => e.pattern)).toEqual(['squat', 'push', 'pull', 'core']);
    expect(plan.weeksDetail.flatMap((w) => w.sessions.flatMap((s) => s.exercises.map((e) => e.exercise)))).not.toContain('Back squat');
    expect(buildWorkoutPlan({ focus: 'general', level: 'beginner', equipment: 'full_gym', daysPerWeek: 5, weeks: 2, sessionMinutes: 45 }).weeksDetail[1]!.sessions).toHaveLength(5);
  });
});

describe('fitness tools', () => {
  let t: TestApp;
  let g: Gym;
  let other: Gym;
  const ids: Record<string, string> = {};
  const now = Date.now();
  const ago = (d: number) => new Date(now - d * DAY).toISOString();

  beforeAll(async () => {
    t = await createTestApp('postgres');
    g = await gym(t);
    other = await gym(t);
    ids.ada = (await g.contact({ firstName: 'Ada', joinedAt: ago(800) })).id;
    ids.new = (await g.contact({ firstName: 'Neo' })).id;
    const { crm, actor } = g;
    await crm.goals.create(actor, createGoalBody.parse({ contactId: ids.ada, kind: 'weight', title: 'Lean down', startValue: 80, targetValue: 75, unit: 'kg' }));
    await crm.goals.create(actor, createGoalBody.parse({ contactId: ids.ada, kind: 'pr', metric: 'back_squat', title: 'Squat 120', startValue: 100, targetValue: 120, unit: 'kg' }));
    for (const [d, kg] of [
      [28, 80],
      [21, 79.5],
      [14, 79],
      [7, 78.5],
    ] as const) {
      await crm.measurements.create(actor, createMeasurementBody.parse({ contactId: ids.ada, measuredAt: ago(d), weightKg: kg }));
    }
    for (const [d, v] of [
      [30, 100],
      [20, 100],
      [10, 100],
    ] as const) {
      await crm.measurements.create(actor, createMeasurementBody.parse({ contactId: ids.ada, measuredAt: ago(d), metric: 'back_squat', value: v }));
    }
    // Three visits a week for eight weeks: every 56 / 24 days.
    for (let i = 0; i < 24; i++) await crm.checkIns.create(actor, createCheckInBody.parse({ contactId: ids.ada, at: new Date(now - (i * 56 * DAY) / 24 - 3_600_000).toISOString() }));
  }, 120_000);
  afterAll(() => t.close());

  it('generate_workout_plan derives focus, days and level from the data and stores the plan', async () => {
    const context = g.ctx();
    const res = ok<Row & { plan: Row }>(await t.ctx.services.tools.execute('generate_workout_plan', { clientId: ids.ada, equipment: 'dumbbells' }, context));
    expect(res).toMatchObject({ focus: 'fat_loss', level: 'advanced', daysPerWeek: 3, stored: 'generated', title: '4-week fat loss plan, 3 days a week' });
    expect(res.plan).toMatchObject({ version: 1, equipment: 'dumbbells', basis: { visitsPerWeek: 3, weightKg: 78.5, goals: [{ kind: 'weight' }, { kind: 'pr' }] } });
    const [row] = await t.ctx.database.withOrg(g.orgId, (tx) => tx.select().from(fitnessWorkoutPlans).where(eq(fitnessWorkoutPlans.id, res.planId as string)));
    expect(row).toMatchObject({ contactId: ids.ada, createdBy: 'agent', runId: context.runId, title: res.title });
    expect(row!.plan).toEqual(res.plan);

    const mine = { weeks: [{ days: [{ name: 'Hill sprints' }] }] };
    const given = ok<Row & { plan: Row }>(await g.call('generate_workout_plan', { clientId: ids.ada, plan: mine, title: 'Coach edit' }));
    expect(given).toMatchObject({ stored: 'given', title: 'Coach edit', plan: { weeks: mine.weeks, basis: { visitsPerWeek: 3 } } });
    expect(ok<Row>(await g.call('generate_workout_plan', { clientId: ids.new }))).toMatchObject({ focus: 'general', level: 'beginner', daysPerWeek: 3 });
    expect(failed(await other.call('generate_workout_plan', { clientId: ids.ada })).code).toBe('not_found');
  });

  it('predict_progress follows the goal: weight on track, a flat PR not on track', async () => {
    const weight = ok<Row>(await g.call('predict_progress', { clientId: ids.ada }));
    // 0.5 kg a week from 78.5 kg a week ago: 75 kg in 7 more weeks, 6 from now.
    expect(weight).toMatchObject({ metric: 'weight', unit: 'kg', goal: { title: 'Lean down' }, status: 'on_track', points: 4, trend: { perWeek: -0.5, r2: 1 } });
    expect(weight.predictedDate).toBe(new Date(now + 42 * DAY).toISOString().slice(0, 10));
    expect(ok<Row>(await g.call('predict_progress', { clientId: ids.ada, metric: 'back_squat' }))).toMatchObject({ goal: { title: 'Squat 120' }, status: 'not_on_track' });
    expect(ok<Row>(await g.call('predict_progress', { clientId: ids.ada, metric: 'attendance', target: 3 }))).toMatchObject({ unit: 'visits/week', status: 'achieved' });
    expect(ok<Row>(await g.call('predict_progress', { clientId: ids.new }))).toMatchObject({ status: 'insufficient_data', goal: null, metric: 'weight' });
    expect(failed(await g.call('predict_progress', { clientId: ids.ada, goalId: ids.new })).code).toBe('not_found');
    expect(failed(await other.call('predict_progress', { clientId: ids.ada })).code).toBe('not_found');
  });

  it('suggest_schedule ranks sessions by the weekday and hour the member comes, and the classes they take', async () => {
    const other2 = await gym(t);
    const member = (await other2.contact({ firstName: 'Tue' })).id;
    const yoga = (await other2.klass({ name: 'Yoga' })).id;
    const hiit = (await other2.klass({ name: 'HIIT', defaultCapacity: 1 })).id;
    const spin = (await other2.klass({ name: 'Spin' })).id;
    // The next Tuesday 18:00 UTC at least two days ahead, and four past Tuesdays at 18:00 she attended Yoga.
    const next = new Date(now + 2 * DAY);
    next.setUTCHours(18, 0, 0, 0);
    while (next.getUTCDay() !== 2) next.setUTCDate(next.getUTCDate() + 1);
    for (let w = 1; w <= 4; w++) {
      const past = await other2.session(yoga, new Date(next.getTime() - (w + 1) * 7 * DAY));
      await other2.crm.bookings.create(other2.actor, createBookingBody.parse({ contactId: member, sessionId: past.id, status: 'attended' }));
    }
    const yogaTue = await other2.session(yoga, next);
    const hiitTue = await other2.session(hiit, next);
    const spinSat = await other2.session(spin, new Date(next.getTime() + 4 * DAY - 9 * 3_600_000));
    const yogaWed = await other2.session(yoga, new Date(next.getTime() + DAY));
    const full = await other2.session(hiit, new Date(next.getTime() + 7 * DAY));
    await other2.crm.bookings.create(other2.actor, createBookingBody.parse({ contactId: (await other2.contact()).id, sessionId: full.id }));
    await other2.crm.bookings.create(other2.actor, createBookingBody.parse({ contactId: member, sessionId: yogaWed.id }));

    const res = ok<{ suggestions: Row[]; history: Row }>(await other2.call('suggest_schedule', { clientId: member, days: 14, limit: 10 }));
    expect(res.history).toMatchObject({ visits: 4, topSlots: [{ weekday: 'Tue', hour: 18, count: 4 }], topClasses: [{ name: 'Yoga', attended: 4 }] });
    expect(res.suggestions.map((s) => s.sessionId)).toEqual([yogaTue.id, hiitTue.id, spinSat.id]);
    expect(res.suggestions[0]).toMatchObject({ score: 1, reason: 'usually visits on Tuesdays around 18:00; attended Yoga 4 times in 90 days' });
    expect(failed(await g.call('suggest_schedule', { clientId: member })).code).toBe('not_found');
  });
});
