import { and, asc, eq, isNotNull, lte, notExists, sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import type { Logger } from '../shared/logger.js';
import { planFire, type FirePlan } from './fire-plan.js';
import { scheduleFires, schedulerStops, schedules } from './schema.js';

/** One fire handed to the application (which starts the task's run). */
export interface ScheduleFire {
  orgId: string;
  scheduleId: string;
  /** The task to run, or (a workflow's schedule trigger) null and `workflowId`. */
  taskId: string | null;
  workflowId: string | null;
  fireAt: Date;
}

/** A fire this process claimed: its schedule_fires row is in, so no other process has it. */
export interface Claim extends ScheduleFire {
  plan: FirePlan;
  /** Fire time to claim, ms. */
  delayMs: number;
}

export interface ClaimResult {
  claims: Claim[];
  /** The batch was full: more may be due right now. */
  more: boolean;
  /** The earliest next fire of any schedule that may fire (to sleep until), or null. */
  earliest: Date | null;
}

/** The schedules that may fire: a next fire time, not paused, organization not stopped. */
const eligible = (): SQL =>
  and(
    isNotNull(schedules.nextFireAt),
    sql`not ${schedules.paused}`,
    notExists(sql`(select 1 from ${schedulerStops} where ${schedulerStops.orgId} = ${schedules.orgId})`),
  )!;

/**
 * In the caller's (system) transaction: locks up to `batchSize` due schedules (SKIP LOCKED: rows
 * another process is claiming are left to it), inserts each one's schedule_fires row (ON CONFLICT
 * DO NOTHING: a fire time already recorded is never fired again) and advances next_fire_at as
 * planFire says. `now` is this process's clock, the one its sleeps are measured with.
 */
export async function claimDue(tx: Tx, now: Date, options: { graceMs: number; batchSize: number; logger: Logger }): Promise<ClaimResult> {
  const due = await tx
    .select({
      id: schedules.id,
      orgId: schedules.orgId,
      taskId: schedules.taskId,
      workflowId: schedules.workflowId,
      cron: schedules.cron,
      timezone: schedules.timezone,
      onceAt: schedules.onceAt,
      misfire: schedules.misfire,
      nextFireAt: schedules.nextFireAt,
    })
    .from(schedules)
    .where(and(eligible(), lte(schedules.nextFireAt, now)))
    .orderBy(asc(schedules.nextFireAt))
    .limit(options.batchSize)
    .for('update', { skipLocked: true });
  const claims: Claim[] = [];
  for (const s of due) {
    let plan: FirePlan;
    try {
      plan = planFire({ ...s, nextFireAt: s.nextFireAt! }, now, options.graceMs);
    } catch (err) {
      // A row croner cannot read (edited by hand, a time zone the runtime dropped) must not block every other schedule.
      options.logger.error({ err, scheduleId: s.id, cron: s.cron, timezone: s.timezone }, 'scheduler: cannot compute fire times; schedule parked');
      await tx.update(schedules).set({ nextFireAt: null }).where(eq(schedules.id, s.id));
      continue;
    }
    const delayMs = Math.max(0, Date.now() - plan.fireAt.getTime());
    const inserted = await tx
      .insert(scheduleFires)
      .values({ orgId: s.orgId, scheduleId: s.id, fireAt: plan.fireAt, delayMs, outcome: plan.outcome })
      .onConflictDoNothing()
      .returning({ fireAt: scheduleFires.fireAt });
    const fired = inserted.length > 0 && plan.outcome === 'fired';
    await tx
      .update(schedules)
      .set({ nextFireAt: plan.next, ...(fired ? { lastFireAt: plan.fireAt } : {}) })
      .where(eq(schedules.id, s.id));
    if (inserted.length) claims.push({ orgId: s.orgId, scheduleId: s.id, taskId: s.taskId, workflowId: s.workflowId, fireAt: plan.fireAt, plan, delayMs });
  }
  const [next] = await tx
    .select({ at: sql<Date | null>`min(${schedules.nextFireAt})`.mapWith(schedules.nextFireAt) })
    .from(schedules)
    .where(eligible());
  return { claims, more: due.length === options.batchSize, earliest: next?.at ?? null };
}
