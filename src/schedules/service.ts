import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Actor } from '../shared/roles.js';
import type { Database, Tx } from '../db/client.js';
import { badRequest, notFound } from '../shared/errors.js';
import { keysetPage } from '../shared/keyset.js';
import type { Page, PageQuery } from '../shared/pagination.js';
import { nextFire, validateCron, type CronCheck } from './cron.js';
import { DEFAULT_MISFIRE_GRACE_MS } from './fire-plan.js';
import { scheduleFires, schedules, type MisfirePolicy } from './schema.js';
import { schedulerStatus, setStopped, type SchedulerStatus } from './status.js';
import { nextFireSort, scheduleView, type ScheduleRow, type ScheduleView } from './views.js';

export type { ScheduleView, SchedulerStatus };

/** A task's schedule as the task service gives it: exactly one of cron and onceAt. */
export interface ScheduleInput {
  cron?: string;
  /** IANA zone for cron. Default: the schedule's current one, else UTC. */
  timezone?: string;
  onceAt?: Date;
  /** Default: the current policy, else run_once. */
  misfire?: MisfirePolicy;
  /** Default: the current state, else false. */
  paused?: boolean;
}

export interface ScheduleListQuery extends PageQuery {
  paused?: boolean;
  taskId?: string;
}

/** Schedules of tasks (when they run) and the per-organization scheduler switch. The firing is src/schedules/scheduler.ts. */
export class ScheduleService {
  constructor(private readonly database: Database) {}

  /** See validateCron: 400 naming `<path>cron` or `<path>timezone` (path default ''). */
  validate(cron: string, timezone = 'UTC', options: { now?: Date; path?: string } = {}): CronCheck {
    return validateCron(cron, timezone, options);
  }

  /**
   * Sets (creates or replaces) or, with null, deletes a task's schedule, inside the caller's
   * transaction. Omitted timezone, misfire and paused keep the current schedule's values. The
   * next fire is computed from now: null when paused; the cron's next time; or `onceAt` (a
   * one-off that already fired at that same time stays done). Field errors are named under
   * `path` (default `body.schedule`), e.g. `body.schedule.cron`.
   */
  async setForTask(tx: Tx, orgId: string, taskId: string, spec: ScheduleInput | null, options: { path?: string; now?: Date } = {}): Promise<ScheduleView | null> {
    return this.set(tx, orgId, { taskId }, spec, options);
  }

  /**
   * A workflow's schedule trigger (issue 15), as setForTask: set from its current version's
   * trigger on every save, deleted (null) when the trigger is not a schedule or the workflow is archived.
   */
  async setForWorkflow(tx: Tx, orgId: string, workflowId: string, spec: ScheduleInput | null, options: { path?: string; now?: Date } = {}): Promise<ScheduleView | null> {
    return this.set(tx, orgId, { workflowId }, spec, options);
  }

  private async set(tx: Tx, orgId: string, target: { taskId: string } | { workflowId: string }, spec: ScheduleInput | null, options: { path?: string; now?: Date }): Promise<ScheduleView | null> {
    const where = and(eq(schedules.orgId, orgId), 'taskId' in target ? eq(schedules.taskId, target.taskId) : eq(schedules.workflowId, target.workflowId));
    if (spec === null) {
      await tx.delete(schedules).where(where);
      return null;
    }
    const path = options.path ?? 'body.schedule';
    const now = options.now ?? new Date();
    const hasCron = spec.cron !== undefined && spec.cron !== null;
    const hasOnce = spec.onceAt !== undefined && spec.onceAt !== null;
    if (hasCron === hasOnce) {
      throw badRequest('A schedule needs exactly one of cron (repeating) and onceAt (one time)', [{ path, message: 'give exactly one of cron and onceAt' }]);
    }
    const [current] = await tx.select().from(schedules).where(where).for('update');
    const timezone = spec.timezone ?? current?.timezone ?? 'UTC';
    const misfire = spec.misfire ?? current?.misfire ?? 'run_once';
    const paused = spec.paused ?? current?.paused ?? false;
    let cron: string | null = null;
    let onceAt: Date | null = null;
    let nextFireAt: Date | null;
    if (hasCron) {
      cron = spec.cron!.trim();
      validateCron(cron, timezone, { now, path: `${path}.` });
      const sameTiming = current && current.cron === cron && current.timezone === timezone && !current.paused && current.nextFireAt;
      // Same timing, still running: keep the pending fire (recomputing from now could drop one that is due).
      nextFireAt = paused ? null : sameTiming ? current.nextFireAt : nextFire({ cron, timezone }, now);
    } else {
      onceAt = spec.onceAt!;
      if (Number.isNaN(onceAt.getTime())) throw badRequest('onceAt is not a valid time', [{ path: `${path}.onceAt`, message: 'not a valid time' }]);
      const same = current !== undefined && current.cron === null && current.onceAt?.getTime() === onceAt.getTime();
      if (!same && onceAt.getTime() < now.getTime() - DEFAULT_MISFIRE_GRACE_MS) {
        throw badRequest('onceAt is in the past', [{ path: `${path}.onceAt`, message: 'must not be in the past' }]);
      }
      nextFireAt = paused || (same && (await this.onceFired(tx, current.id, onceAt))) ? null : onceAt;
    }
    const values = { cron, timezone, onceAt, misfire, paused, nextFireAt, updatedAt: now };
    const [row] = await tx
      .insert(schedules)
      .values({ orgId, ...target, ...values })
      .onConflictDoUpdate({ target: 'taskId' in target ? schedules.taskId : schedules.workflowId, set: values })
      .returning();
    return scheduleView(row!);
  }

  /** The schedules of these tasks, by task id (tasks without one are absent). */
  async forTasks(tx: Tx, orgId: string, taskIds: string[]): Promise<Map<string, ScheduleView>> {
    if (!taskIds.length) return new Map();
    const rows = await tx.select().from(schedules).where(and(eq(schedules.orgId, orgId), inArray(schedules.taskId, taskIds)));
    return new Map(rows.flatMap((r) => (r.taskId ? [[r.taskId, scheduleView(r)] as const] : [])));
  }

  /** Soonest next fire first by default (sortOrder asc); schedules that will not fire come last. */
  async list(actor: Actor, q: ScheduleListQuery): Promise<Page<ScheduleView>> {
    const where = and(
      eq(schedules.orgId, actor.orgId),
      q.paused === undefined ? undefined : eq(schedules.paused, q.paused),
      q.taskId ? eq(schedules.taskId, q.taskId) : undefined,
    );
    const spec = { table: schedules, id: schedules.id, sort: nextFireSort, sortName: 'schedules by nextFireAt', where };
    return this.database.withOrg(actor.orgId, (tx) => keysetPage(tx, spec, q, scheduleView));
  }

  async get(actor: Actor, id: string): Promise<ScheduleView> {
    return scheduleView(await this.database.withOrg(actor.orgId, (tx) => this.row(tx, actor.orgId, id)));
  }

  /** Stops the schedule firing (idempotent); fires due while paused are not made up later. */
  async pause(actor: Actor, id: string): Promise<ScheduleView> {
    return this.update(actor, id, async () => ({ paused: true, nextFireAt: null }));
  }

  /** Fires again from now on: the next cron time after now, or a one-off's time if it has not fired (at once when past, as its misfire policy says). */
  async resume(actor: Actor, id: string): Promise<ScheduleView> {
    return this.update(actor, id, async (tx, row) => {
      if (!row.paused) return null;
      const now = new Date();
      const nextFireAt = row.cron ? nextFire(row, now) : row.onceAt && !(await this.onceFired(tx, row.id, row.onceAt)) ? row.onceAt : null;
      return { paused: false, nextFireAt };
    });
  }

  /** Stops this organization's schedules firing until start(); they keep their next fire times. */
  async stop(actor: Actor): Promise<SchedulerStatus> {
    await setStopped(this.database, actor, true);
    return this.status(actor);
  }

  /** Lets this organization's schedules fire again; fires missed while stopped follow each schedule's misfire policy. */
  async start(actor: Actor): Promise<SchedulerStatus> {
    await setStopped(this.database, actor, false);
    return this.status(actor);
  }

  async status(actor: Actor): Promise<SchedulerStatus> {
    return schedulerStatus(this.database, actor.orgId);
  }

  private async row(tx: Tx, orgId: string, id: string): Promise<ScheduleRow> {
    const [row] = await tx.select().from(schedules).where(and(eq(schedules.orgId, orgId), eq(schedules.id, id))).for('update');
    if (!row) throw notFound('Schedule');
    return row;
  }

  private async update(
    actor: Actor,
    id: string,
    change: (tx: Tx, row: ScheduleRow) => Promise<{ paused: boolean; nextFireAt: Date | null } | null>,
  ): Promise<ScheduleView> {
    return this.database.withOrg(actor.orgId, async (tx) => {
      const row = await this.row(tx, actor.orgId, id);
      const set = await change(tx, row);
      if (!set || (set.paused === row.paused && set.nextFireAt?.getTime() === row.nextFireAt?.getTime())) return scheduleView(row);
      const [updated] = await tx
        .update(schedules)
        .set({ ...set, updatedAt: new Date() })
        .where(eq(schedules.id, id))
        .returning();
      return scheduleView(updated!);
    });
  }

  /**
   * Deletes the fire records of recurring schedules older than `olderThanMs` (at most `limit`),
   * answering how many went. A fire record guards its fire time against a second fire only while
   * the schedule could still reach that time; a recurring schedule's next fire only moves past
   * now, so an old record guards nothing. A per-second schedule adds 86,400 a day. One-off
   * schedules keep theirs: it is how an edit knows the one time already fired.
   */
  async pruneFires(olderThanMs: number, limit = 10_000): Promise<number> {
    const { rows } = await this.database.system((tx) =>
      tx.execute(sql`
        with gone as (
          delete from ${scheduleFires} where ctid in (
            select f.ctid from ${scheduleFires} f join ${schedules} s on s.id = f.schedule_id
            where s.cron is not null and f.fire_at < now() - ${olderThanMs} * interval '1 millisecond'
            limit ${limit})
          returning 1)
        select count(*)::int as n from gone`),
    );
    return (rows[0] as { n: number }).n;
  }

  /** Whether a one-off already fired (or was skipped) at this time: its schedule_fires row exists. */
  private async onceFired(tx: Tx, scheduleId: string, at: Date): Promise<boolean> {
    const rows = await tx
      .select({ at: scheduleFires.fireAt })
      .from(scheduleFires)
      .where(and(eq(scheduleFires.scheduleId, scheduleId), eq(scheduleFires.fireAt, at)))
      .limit(1);
    return rows.length > 0;
  }
}
