import { and, count, eq, sql } from 'drizzle-orm';
import type { AgentService } from '../agents/service.js';
import type { Actor } from '../shared/roles.js';
import type { Database, Tx } from '../db/client.js';
import type { RunService } from '../runs/service.js';
import type { RunRow } from '../runs/store.js';
import { AppError, badRequest, notFound } from '../shared/errors.js';
import { keysetPage, timestampSort, type KeysetSort } from '../shared/keyset.js';
import type { Page } from '../shared/pagination.js';
import type { ScheduleInput, ScheduleService, ScheduleView } from '../schedules/service.js';
import type { CreateTaskBody, ListTasksQuery, ScheduleBody, UpdateTaskBody } from './dto.js';
import { tasks, type TaskPriority, type TaskRow } from './schema.js';

/** What tasks need of the schedules module, inside the task's transaction. */
export type SchedulesPort = Pick<ScheduleService, 'setForTask' | 'forTasks'>;

export type TaskView = TaskRow & { schedule: ScheduleView | null; nextRunAt: Date | null };

export interface TaskStats {
  total: number;
  idle: number;
  queued: number;
  running: number;
  completed: number;
  failed: number;
  canceled: number;
  scheduled: number;
}

const PRIORITY_RANK: Record<TaskPriority, number> = { urgent: 4, high: 3, normal: 2, low: 1 };
const prioritySql = sql`(case ${tasks.priority} when 'urgent' then 4 when 'high' then 3 when 'normal' then 2 else 1 end)`;
const prioritySort: KeysetSort = {
  expr: prioritySql,
  key: sql<number>`${prioritySql}`,
  param: (v) => (typeof v === 'number' && Object.values(PRIORITY_RANK).includes(v) ? sql`${v}::int` : null),
};
const titleSort: KeysetSort = {
  expr: sql`${tasks.title}`,
  key: sql<string>`${tasks.title}`,
  param: (v) => (typeof v === 'string' ? sql`${v}::text` : null),
};

const toSpec = (s: ScheduleBody): ScheduleInput => ({ ...s, onceAt: s.onceAt ? new Date(s.onceAt) : undefined });

/**
 * Tasks: work assigned to an agent, executed now or by a schedule. Each execution is a run with
 * this task's id (source `task`, or `schedule` when its schedule fired it); a trigger on runs
 * (migration 0006) keeps the task's status and latest result in step with its latest run,
 * whichever process finishes it.
 */
export class TaskService {
  constructor(
    private readonly database: Database,
    private readonly agents: AgentService,
    private readonly runs: RunService,
    private readonly schedules: SchedulesPort,
  ) {}

  async create(actor: Actor, body: CreateTaskBody): Promise<TaskView> {
    await this.agentOr400(actor, body.agentId);
    return this.insert(actor, body);
  }

  /** The task row and its schedule; the agent was checked by the caller. */
  private async insert(actor: Actor, body: CreateTaskBody, origin: { runId?: string } = {}): Promise<TaskView> {
    const id = await this.database.withOrg(actor.orgId, async (tx) => {
      const [row] = await tx
        .insert(tasks)
        .values({
          orgId: actor.orgId,
          agentId: body.agentId,
          title: body.title,
          instructions: body.instructions,
          context: body.context ?? {},
          priority: body.priority,
          kind: body.schedule ? 'scheduled' : 'adhoc',
          createdBy: actor.userId,
          createdByRunId: origin.runId ?? null,
        })
        .returning({ id: tasks.id });
      if (body.schedule) await this.schedules.setForTask(tx, actor.orgId, row!.id, toSpec(body.schedule));
      return row!.id;
    });
    return this.get(actor, id);
  }

  async get(actor: Actor, id: string): Promise<TaskView> {
    return this.database.withOrg(actor.orgId, async (tx) => {
      const [row] = await tx.select().from(tasks).where(and(eq(tasks.orgId, actor.orgId), eq(tasks.id, id)));
      if (!row) throw notFound('Task');
      return (await this.withSchedules(tx, actor.orgId, [row]))[0]!;
    });
  }

  /** Newest first by default; sort by createdAt, updatedAt, priority or title. */
  async list(actor: Actor, q: ListTasksQuery): Promise<Page<TaskView>> {
    const where = and(
      eq(tasks.orgId, actor.orgId),
      q.agentId ? eq(tasks.agentId, q.agentId) : undefined,
      q.status ? eq(tasks.status, q.status) : undefined,
      q.kind ? eq(tasks.kind, q.kind) : undefined,
      q.priority ? eq(tasks.priority, q.priority) : undefined,
    );
    const sort = q.sortBy === 'priority' ? prioritySort : q.sortBy === 'title' ? titleSort : timestampSort(q.sortBy === 'updatedAt' ? tasks.updatedAt : tasks.createdAt);
    return this.database.withOrg(actor.orgId, async (tx) => {
      const page = await keysetPage(tx, { table: tasks, id: tasks.id, sort, sortName: `sortBy=${q.sortBy}`, where }, q, (r) => r);
      return { ...page, items: await this.withSchedules(tx, actor.orgId, page.items) };
    });
  }

  async update(actor: Actor, id: string, patch: UpdateTaskBody): Promise<TaskView> {
    const { schedule, ...fields } = patch;
    if (Object.keys(fields).length === 0 && schedule === undefined) {
      throw badRequest('Nothing to change', [{ path: 'body', message: 'give at least one field' }]);
    }
    if (fields.agentId) await this.agentOr400(actor, fields.agentId);
    await this.database.withOrg(actor.orgId, async (tx) => {
      const [row] = await tx
        .update(tasks)
        .set({ ...fields, ...(schedule !== undefined ? { kind: schedule ? ('scheduled' as const) : ('adhoc' as const) } : {}), updatedAt: new Date() })
        .where(and(eq(tasks.orgId, actor.orgId), eq(tasks.id, id)))
        .returning({ id: tasks.id });
      if (!row) throw notFound('Task');
      if (schedule !== undefined) await this.schedules.setForTask(tx, actor.orgId, id, schedule ? toSpec(schedule) : null);
    });
    return this.get(actor, id);
  }

  /** Deletes the task and its schedule; its runs stay (with their task id) for the record. */
  async delete(actor: Actor, id: string): Promise<void> {
    const deleted = await this.database.withOrg(actor.orgId, (tx) =>
      tx.delete(tasks).where(and(eq(tasks.orgId, actor.orgId), eq(tasks.id, id))).returning({ id: tasks.id }),
    );
    if (!deleted.length) throw notFound('Task');
  }

  /** Runs the task now: a queued run (202), dispatched with the task's priority. */
  async execute(actor: Actor, id: string, idempotencyKey?: string): Promise<{ run: RunRow; created: boolean }> {
    // The task is read inside the run's own create (one statement), not before it.
    return this.runs.createForTask(actor, id, idempotencyKey);
  }

  /**
   * A schedule's fire: runs the task as the system (no person). Null when the task is gone or
   * its agent is paused or deleted (the fire is recorded as skipped).
   */
  async fire(orgId: string, taskId: string): Promise<string | null> {
    const system: Actor = { orgId, role: 'owner', userId: null, apiKeyId: null };
    try {
      return (await this.runs.createForTask(system, taskId, undefined, 'schedule')).run.id;
    } catch (err) {
      if (err instanceof AppError && (err.status === 404 || err.status === 409)) return null;
      throw err;
    }
  }

  /** schedule_follow_up: a task for the agent that runs once at `dueAt`, created by its run. */
  async createFollowUp(orgId: string, f: { agentId: string; runId: string; dueAt: Date; note: string; contact?: Record<string, unknown> }): Promise<string | null> {
    const system: Actor = { orgId, role: 'owner', userId: null, apiKeyId: null };
    // The agent was deleted while its run went on: the follow-up stays a record only.
    if (!(await this.agents.get(system, f.agentId).then(() => true, () => false))) return null;
    const title = f.note.length > 80 ? `Follow-up: ${f.note.slice(0, 79)}…` : `Follow-up: ${f.note}`;
    const task = await this.insert(
      system,
      { agentId: f.agentId, title, instructions: f.note, context: f.contact ? { contact: f.contact } : undefined, priority: 'normal', schedule: { onceAt: f.dueAt.toISOString() } },
      { runId: f.runId },
    );
    return task.id;
  }

  async stats(actor: Actor): Promise<TaskStats> {
    const rows = await this.database.withOrg(actor.orgId, (tx) =>
      tx.select({ status: tasks.status, kind: tasks.kind, n: count() }).from(tasks).where(eq(tasks.orgId, actor.orgId)).groupBy(tasks.status, tasks.kind),
    );
    const s: TaskStats = { total: 0, idle: 0, queued: 0, running: 0, completed: 0, failed: 0, canceled: 0, scheduled: 0 };
    for (const r of rows) {
      s.total += r.n;
      if (r.kind === 'scheduled') s.scheduled += r.n;
      if (r.status === 'waiting_approval' || r.status === 'running') s.running += r.n;
      else s[r.status] += r.n;
    }
    return s;
  }

  private async withSchedules(tx: Tx, orgId: string, rows: TaskRow[]): Promise<TaskView[]> {
    const scheduled = rows.filter((r) => r.kind === 'scheduled').map((r) => r.id);
    const schedules = scheduled.length ? await this.schedules.forTasks(tx, orgId, scheduled) : new Map<string, ScheduleView>();
    return rows.map((r) => {
      const schedule = schedules.get(r.id) ?? null;
      return { ...r, schedule, nextRunAt: schedule && !schedule.paused ? schedule.nextFireAt : null };
    });
  }

  private async agentOr400(actor: Actor, agentId: string) {
    try {
      await this.agents.get(actor, agentId);
    } catch (err) {
      if (err instanceof AppError && err.status === 404) throw badRequest('No such agent in this organization', [{ path: 'body.agentId', message: 'agent not found' }]);
      throw err;
    }
  }
}
