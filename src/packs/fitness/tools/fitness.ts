import { and, asc, desc, eq, gte, inArray, isNotNull, lte, notInArray, sql } from 'drizzle-orm';
import { z } from 'zod';
import type { Tx } from '../../../db/client.js';
import { defineTool } from '../../../tools/define.js';
import { ToolError } from '../../../tools/errors.js';
import { fitnessBookings, fitnessCheckIns, fitnessClasses, fitnessGoals, fitnessMeasurements, fitnessSessions, type ContactRow, type GoalRow } from '../crm/schema.js';
import { contactIn, crmOf, fullName, idSchema, toolActor, viaCrm } from './common.js';
import { sessionLines } from './classes.js';
import { localWeekdayHour, predictProgress, slotAffinity, weekdayHourHistogram, WEEKDAYS } from './progress-math.js';
import { validTimeZone } from './social.js';
import { buildWorkoutPlan, EQUIPMENT, FOCUSES, LEVELS, type Focus, type Level } from './workout-plan.js';

// The fitness agents' tools: workout plans built and stored, progress trends, schedule suggestions.

const DAY = 86_400_000;
const DAY_NAMES = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
const timeZone = z
  .string()
  .max(64)
  .default('UTC')
  .refine(validTimeZone, 'not a time zone (e.g. America/New_York)')
  .describe("The gym's time zone (weekdays and hours are read in it)");

/** What the plan is based on: goals, the latest body measurements, how often they come. */
async function basisOf(tx: Tx, c: ContactRow, now: Date) {
  const since = new Date(now.getTime() - 56 * DAY);
  const [goals, measurements, [visits]] = await Promise.all([
    tx.select().from(fitnessGoals).where(and(eq(fitnessGoals.contactId, c.id), eq(fitnessGoals.status, 'active'))).orderBy(asc(fitnessGoals.createdAt)),
    tx.select().from(fitnessMeasurements).where(eq(fitnessMeasurements.contactId, c.id)).orderBy(desc(fitnessMeasurements.measuredAt), asc(fitnessMeasurements.id)).limit(10),
    tx
      .select({ n: sql<number>`count(*)`.mapWith(Number) })
      .from(fitnessCheckIns)
      .where(and(eq(fitnessCheckIns.contactId, c.id), gte(fitnessCheckIns.at, since), lte(fitnessCheckIns.at, now))),
  ]);
  const latestWeight = measurements.find((m) => m.weightKg !== null);
  const latestFat = measurements.find((m) => m.bodyFatPct !== null);
  return {
    goals: goals.map((g) => ({ id: g.id, kind: g.kind, title: g.title, metric: g.metric, startValue: g.startValue, targetValue: g.targetValue, targetDate: g.targetDate, unit: g.unit })),
    weightKg: latestWeight?.weightKg ?? null,
    bodyFatPct: latestFat?.bodyFatPct ?? null,
    visitsPerWeek: Math.round((visits!.n / 8) * 10) / 10,
    memberMonths: c.joinedAt ? Math.floor((now.getTime() - c.joinedAt.getTime()) / (30.44 * DAY)) : 0,
  };
}

/** The goal decides the focus: losing weight or fat → fat_loss; gaining weight, a PR → strength; else general. */
function focusFrom(goals: { kind: string; startValue: number | null; targetValue: number }[]): Focus {
  const g = goals.find((x) => x.kind !== 'attendance') ?? goals[0];
  if (!g) return 'general';
  if (g.kind === 'pr') return 'strength';
  if (g.kind === 'weight' || g.kind === 'body_fat') return g.startValue !== null && g.targetValue > g.startValue ? 'strength' : 'fat_loss';
  return 'general';
}

const levelFrom = (visitsPerWeek: number, months: number): Level => (months < 3 || visitsPerWeek < 1 ? 'beginner' : months >= 12 && visitsPerWeek >= 3 ? 'advanced' : 'intermediate');

export const generateWorkoutPlan = defineTool({
  name: 'generate_workout_plan',
  category: 'fitness',
  description:
    "Builds and stores a workout plan for a member from their goals, latest measurements and how often they come: a weekly split, exercises " +
    'by focus and equipment, sets/reps/effort progressing over the weeks (a lighter last week from 4 weeks on). Anything left out is ' +
    'chosen from their data. To store your own refined version, pass it as `plan` (stored as given, with the basis added). Returns the stored plan and its id.',
  inputSchema: z.object({
    clientId: idSchema('client (contact)'),
    focus: z.enum(FOCUSES).optional().describe('Default from their active goal'),
    level: z.enum(LEVELS).optional().describe('Default from how long and how often they train'),
    equipment: z.enum(EQUIPMENT).default('full_gym'),
    daysPerWeek: z.number().int().min(1).max(7).optional().describe('Default from their visits in the last 8 weeks (2 to 5)'),
    weeks: z.number().int().min(1).max(12).default(4),
    sessionMinutes: z.number().int().min(20).max(120).default(60),
    title: z.string().trim().min(1).max(200).optional(),
    plan: z.record(z.string(), z.unknown()).optional().describe('Your refined plan (JSON object) to store instead of the generated one'),
  }),
  grantRoles: ['member', 'admin', 'owner'],
  requiresApproval: false,
  idempotent: false,
  timeoutMs: 20_000,
  async execute(input, ctx) {
    const now = new Date();
    const { client, basis } = await ctx.database.withOrg(ctx.orgId, async (tx) => {
      const client = await contactIn(tx, ctx.orgId, input.clientId, 'Client');
      return { client, basis: await basisOf(tx, client, now) };
    });
    const focus = input.focus ?? focusFrom(basis.goals);
    const level = input.level ?? levelFrom(basis.visitsPerWeek, basis.memberMonths);
    const daysPerWeek = input.daysPerWeek ?? Math.min(5, Math.max(2, Math.round(basis.visitsPerWeek) || 3));
    const built = buildWorkoutPlan({ focus, level, equipment: input.equipment, daysPerWeek, weeks: input.weeks, sessionMinutes: input.sessionMinutes });
    const plan = input.plan ? { ...input.plan, basis: input.plan.basis ?? basis } : { ...built, basis };
    const title = input.title ?? `${input.weeks}-week ${focus.replace('_', ' ')} plan, ${daysPerWeek} days a week`;
    const stored = await viaCrm(() => crmOf(ctx).workoutPlans.create(toolActor(ctx), { contactId: client.id, title, plan, createdBy: 'agent', staffId: null, runId: ctx.runId }));
    return { planId: stored.id, client: { id: client.id, name: fullName(client) }, title, focus, level, daysPerWeek, stored: input.plan ? 'given' : 'generated', plan };
  },
});

/** The series a goal is measured by: body weight, body fat, a named metric, or visits per week. */
async function seriesOf(tx: Tx, clientId: string, metric: string, since: Date, now: Date): Promise<{ at: Date; value: number }[]> {
  const m = fitnessMeasurements;
  const window = and(eq(m.contactId, clientId), gte(m.measuredAt, since), lte(m.measuredAt, now));
  if (metric === 'weight') return (await tx.select({ at: m.measuredAt, value: m.weightKg }).from(m).where(and(window, isNotNull(m.weightKg)))).map((r) => ({ at: r.at, value: r.value! }));
  if (metric === 'body_fat') return (await tx.select({ at: m.measuredAt, value: m.bodyFatPct }).from(m).where(and(window, isNotNull(m.bodyFatPct)))).map((r) => ({ at: r.at, value: r.value! }));
  if (metric === 'attendance') {
    // Visits per week, for each whole week (Monday, UTC) since the start; weeks without a visit count as 0.
    const rows = await tx
      .select({ week: sql<string>`to_char(date_trunc('week', ${fitnessCheckIns.at} at time zone 'UTC'), 'YYYY-MM-DD')`, n: sql<number>`count(*)`.mapWith(Number) })
      .from(fitnessCheckIns)
      .where(and(eq(fitnessCheckIns.contactId, clientId), gte(fitnessCheckIns.at, since), lte(fitnessCheckIns.at, now)))
      .groupBy(sql`1`);
    const counts = new Map(rows.map((r) => [r.week, r.n]));
    const start = new Date(Date.UTC(since.getUTCFullYear(), since.getUTCMonth(), since.getUTCDate()));
    start.setUTCDate(start.getUTCDate() - ((start.getUTCDay() + 6) % 7) + 7); // the first whole week
    const out: { at: Date; value: number }[] = [];
    for (let w = start; w.getTime() + 7 * DAY <= now.getTime(); w = new Date(w.getTime() + 7 * DAY)) out.push({ at: w, value: counts.get(w.toISOString().slice(0, 10)) ?? 0 });
    return out;
  }
  return (await tx.select({ at: m.measuredAt, value: m.value }).from(m).where(and(window, eq(m.metric, metric), isNotNull(m.value)))).map((r) => ({ at: r.at, value: r.value! }));
}

const metricOfGoal = (g: GoalRow) => (g.kind === 'pr' ? g.metric! : g.kind);

export const predictProgressTool = defineTool({
  name: 'predict_progress',
  category: 'fitness',
  description:
    "Predicts a member's progress toward a goal: the least-squares trend of their measurements (change per week, fit), the date the trend " +
    'reaches the target, and a verdict: achieved, on_track, behind (reaches it after the target date), not_on_track (flat or heading ' +
    'away) or insufficient_data (needs 3 measurements over 7 days). Give goalId, or a metric (weight, body_fat, attendance or a PR metric ' +
    'such as back_squat) with a target; default: their first active goal.',
  inputSchema: z.object({
    clientId: idSchema('client (contact)'),
    goalId: z.uuid().optional(),
    metric: z.string().trim().min(1).max(100).optional().describe('weight (kg), body_fat (%), attendance (visits/week) or a PR metric'),
    target: z.number().finite().optional().describe("Overrides the goal's target"),
    targetDate: z.iso.date().optional().describe("Overrides the goal's date (YYYY-MM-DD)"),
    sinceDays: z.number().int().min(7).max(3650).default(365).describe('Measurements from this many days back'),
  }),
  grantRoles: ['member', 'admin', 'owner'],
  requiresApproval: false,
  idempotent: true,
  timeoutMs: 15_000,
  async execute(input, ctx) {
    const now = new Date();
    return ctx.database.withOrg(ctx.orgId, async (tx) => {
      const client = await contactIn(tx, ctx.orgId, input.clientId, 'Client');
      const goals = await tx.select().from(fitnessGoals).where(eq(fitnessGoals.contactId, client.id)).orderBy(asc(fitnessGoals.createdAt));
      let goal: GoalRow | undefined;
      if (input.goalId) {
        goal = goals.find((g) => g.id === input.goalId);
        if (!goal) throw new ToolError("Goal not found among this client's goals", 'not_found');
      } else if (input.metric) goal = goals.find((g) => g.status === 'active' && metricOfGoal(g) === input.metric);
      else goal = goals.find((g) => g.status === 'active');
      const metric = input.metric ?? (goal ? metricOfGoal(goal) : 'weight');
      const target = input.target ?? goal?.targetValue ?? null;
      const unit = goal?.unit ?? (metric === 'weight' ? 'kg' : metric === 'body_fat' ? '%' : metric === 'attendance' ? 'visits/week' : null);
      const points = await seriesOf(tx, client.id, metric, new Date(now.getTime() - input.sinceDays * DAY), now);
      const prediction = predictProgress({ points, target, targetDate: input.targetDate ?? goal?.targetDate ?? null, start: goal?.startValue ?? null, now, unit });
      return {
        client: { id: client.id, name: fullName(client) },
        goal: goal ? { id: goal.id, kind: goal.kind, title: goal.title, status: goal.status, startValue: goal.startValue, targetValue: goal.targetValue, targetDate: goal.targetDate } : null,
        metric,
        unit,
        ...prediction,
      };
    });
  },
});

export const suggestSchedule = defineTool({
  name: 'suggest_schedule',
  category: 'fitness',
  description:
    "Suggests upcoming sessions a member is likely to attend, from their attendance pattern: a weekday/hour histogram of their check-ins " +
    'and attended classes (in the gym\'s time zone) and the classes they attend most. Only sessions with space they have not booked. ' +
    'Without history, the fullest sessions with space. Each suggestion says why.',
  inputSchema: z.object({
    clientId: idSchema('client (contact)'),
    days: z.number().int().min(1).max(28).default(14).describe('How far ahead to look'),
    limit: z.number().int().min(1).max(20).default(5),
    lookbackDays: z.number().int().min(7).max(365).default(90).describe('History to learn from'),
    timeZone,
  }),
  grantRoles: ['member', 'admin', 'owner'],
  requiresApproval: false,
  idempotent: true,
  timeoutMs: 15_000,
  async execute(input, ctx) {
    const now = new Date();
    const since = new Date(now.getTime() - input.lookbackDays * DAY);
    return ctx.database.withOrg(ctx.orgId, async (tx) => {
      const client = await contactIn(tx, ctx.orgId, input.clientId, 'Client');
      const b = fitnessBookings;
      const [attended, checkIns, booked] = await Promise.all([
        tx
          .select({ at: b.startsAt, className: fitnessClasses.name })
          .from(b)
          .innerJoin(fitnessSessions, eq(fitnessSessions.id, b.sessionId))
          .innerJoin(fitnessClasses, eq(fitnessClasses.id, fitnessSessions.classId))
          .where(and(eq(b.contactId, client.id), eq(b.status, 'attended'), gte(b.startsAt, since), lte(b.startsAt, now))),
        tx.select({ at: fitnessCheckIns.at }).from(fitnessCheckIns).where(and(eq(fitnessCheckIns.contactId, client.id), gte(fitnessCheckIns.at, since), lte(fitnessCheckIns.at, now))),
        tx
          .select({ sessionId: b.sessionId })
          .from(b)
          .where(and(eq(b.contactId, client.id), inArray(b.status, ['booked', 'attended']), gte(b.startsAt, now), isNotNull(b.sessionId))),
      ]);
      const mine = booked.map((r) => r.sessionId!);
      const upcoming = (
        await sessionLines(
          tx,
          ctx.orgId,
          [gte(fitnessSessions.startsAt, now), lte(fitnessSessions.startsAt, new Date(now.getTime() + input.days * DAY)), eq(fitnessSessions.status, 'scheduled'), ...(mine.length ? [notInArray(fitnessSessions.id, mine)] : [])],
          500,
        )
      ).filter((s) => s.spotsLeft > 0);
      // A class attended also shows as a check-in most days: the histogram counts each visit once per hour slot and day.
      const visits = new Map<string, Date>();
      for (const t of [...attended.map((a) => a.at), ...checkIns.map((c) => c.at)]) visits.set(`${t.toISOString().slice(0, 13)}`, t);
      const grid = weekdayHourHistogram([...visits.values()], input.timeZone);
      const classCounts = new Map<string, number>();
      for (const a of attended) classCounts.set(a.className, (classCounts.get(a.className) ?? 0) + 1);
      const topClass = Math.max(0, ...classCounts.values());
      const slots = grid
        .flatMap((hours, weekday) => hours.map((count, hour) => ({ weekday: WEEKDAYS[weekday]!, hour, count })))
        .filter((s) => s.count > 0)
        .sort((a, b) => b.count - a.count || WEEKDAYS.indexOf(a.weekday) - WEEKDAYS.indexOf(b.weekday) || a.hour - b.hour)
        .slice(0, 5);
      const history = visits.size > 0;
      const scored = upcoming.map((s) => {
        const { weekday, hour } = localWeekdayHour(new Date(s.startsAt), input.timeZone);
        const affinity = slotAffinity(grid, weekday, hour);
        const liked = topClass ? (classCounts.get(s.className) ?? 0) / topClass : 0;
        const fill = s.capacity ? s.booked / s.capacity : 0;
        const score = history ? 0.6 * affinity + 0.4 * liked : fill;
        const reasons = [
          affinity > 0 ? `usually visits on ${DAY_NAMES[weekday]}s around ${String(hour).padStart(2, '0')}:00` : null,
          classCounts.get(s.className) ? `attended ${s.className} ${classCounts.get(s.className)} times in ${input.lookbackDays} days` : null,
          !history ? `popular: ${s.booked} of ${s.capacity} places booked` : null,
        ].filter(Boolean);
        return { ...s, score: Math.round(score * 1000) / 1000, reason: reasons.join('; ') || 'has space at a time they have not come yet' };
      });
      scored.sort((a, b) => b.score - a.score || a.startsAt.localeCompare(b.startsAt));
      return {
        client: { id: client.id, name: fullName(client) },
        timeZone: input.timeZone,
        history: { visits: visits.size, lookbackDays: input.lookbackDays, topSlots: slots, topClasses: [...classCounts.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([name, n]) => ({ name, attended: n })) },
        suggestions: scored.slice(0, input.limit).map((s) => ({ sessionId: s.id, className: s.className, startsAt: s.startsAt, room: s.room, instructor: s.instructor, spotsLeft: s.spotsLeft, score: s.score, reason: s.reason })),
      };
    });
  },
});
