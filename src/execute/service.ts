import { and, asc, eq, sql } from 'drizzle-orm';
import type { AgentService } from '../agents/service.js';
import { agentStates } from '../agents/lookups.js';
import type { Database, Tx } from '../db/client.js';
import { AppError, badRequest } from '../shared/errors.js';
import type { Actor } from '../shared/roles.js';
import { TASK_TYPE_RE } from '../shared/task-type.js';
import type { TaskTypeRouteView } from './dto.js';
import { taskTypeRoutes } from './schema.js';

export type TaskTypeRow = typeof taskTypeRoutes.$inferSelect;

const unknownTaskType = (type: string, known: string[]) =>
  new AppError(
    404,
    'unknown_task_type',
    known.length
      ? `Unknown task type "${type}"; this organization has: ${known.join(', ')}`
      : `Unknown task type "${type}"; this organization has none yet (install an agent template, or PUT /api/v1/task-types/${type} with an agentId)`,
  );

/** A task type in a URL: 400 naming it when it is not snake_case. */
function checkType(type: string): string {
  if (type.length < 2 || type.length > 64 || !TASK_TYPE_RE.test(type)) {
    throw badRequest(`"${type.slice(0, 64)}" is not a task type name: snake_case, e.g. workout_optimization`, [{ path: 'params.type', message: 'must be snake_case, 2 to 64 characters' }]);
  }
  return type;
}

/**
 * Task types of an organization (`task_type_routes`): which agent answers `POST /execute` for
 * each type, with the instruction added to its task. Every query is scoped to the actor's
 * organization, so another organization's mappings do not exist here.
 */
export class TaskTypeService {
  constructor(
    private readonly database: Database,
    private readonly agents: Pick<AgentService, 'get'>,
  ) {}

  /** Every mapping, by task type, with its agent's name and state. */
  async list(actor: Actor): Promise<TaskTypeRouteView[]> {
    return this.database.withOrg(actor.orgId, async (tx) => {
      const rows = await tx.select().from(taskTypeRoutes).where(eq(taskTypeRoutes.orgId, actor.orgId)).orderBy(asc(taskTypeRoutes.taskType));
      return this.views(tx, actor.orgId, rows);
    });
  }

  /**
   * Maps `type` to an agent of the organization (creating or changing the mapping). The agent must
   * be one of the organization's live agents: otherwise 400 naming `body.agentId`. An omitted
   * instruction keeps the current one.
   */
  async set(actor: Actor, type: string, body: { agentId: string; instruction?: string }): Promise<TaskTypeRouteView> {
    checkType(type);
    try {
      await this.agents.get(actor, body.agentId);
    } catch (err) {
      if (err instanceof AppError && err.status === 404) {
        throw badRequest('agentId is not an agent of this organization', [{ path: 'body.agentId', message: 'no such agent in this organization' }]);
      }
      throw err;
    }
    return this.database.withOrg(actor.orgId, async (tx) => {
      const [row] = await tx
        .insert(taskTypeRoutes)
        .values({ orgId: actor.orgId, taskType: type, agentId: body.agentId, instruction: body.instruction ?? '', createdBy: actor.userId })
        .onConflictDoUpdate({
          target: [taskTypeRoutes.orgId, taskTypeRoutes.taskType],
          set: {
            agentId: body.agentId,
            ...(body.instruction === undefined ? {} : { instruction: body.instruction }),
            updatedAt: sql`now()`,
          },
        })
        .returning();
      return (await this.views(tx, actor.orgId, [row!]))[0]!;
    });
  }

  /** Removes the mapping; 404 when the type is not mapped. */
  async remove(actor: Actor, type: string): Promise<void> {
    checkType(type);
    const gone = await this.database.withOrg(actor.orgId, (tx) =>
      tx.delete(taskTypeRoutes).where(and(eq(taskTypeRoutes.orgId, actor.orgId), eq(taskTypeRoutes.taskType, type))).returning({ id: taskTypeRoutes.id }),
    );
    if (!gone.length) throw unknownTaskType(type, await this.known(actor));
  }

  /** The mapping of `type`; 404 `unknown_task_type` naming the known types otherwise. */
  async resolve(actor: Actor, type: string): Promise<TaskTypeRow> {
    const rows = await this.database.readOrg(actor.orgId, (tx) => tx.select().from(taskTypeRoutes).where(eq(taskTypeRoutes.orgId, actor.orgId)).orderBy(asc(taskTypeRoutes.taskType)));
    const row = rows.find((r) => r.taskType === type);
    if (!row) throw unknownTaskType(type, rows.map((r) => r.taskType));
    return row;
  }

  /** Maps each type not mapped yet to `agentId`; types already mapped keep their agent (reported). The template install's port (agents/template-install.ts). */
  async registerDefaults(actor: Actor, agentId: string, types: { type: string; instruction: string }[]) {
    if (!types.length) return [];
    return this.database.withOrg(actor.orgId, async (tx) => {
      const inserted = await tx
        .insert(taskTypeRoutes)
        .values(types.map((t) => ({ orgId: actor.orgId, taskType: t.type, agentId, instruction: t.instruction, createdBy: actor.userId })))
        .onConflictDoNothing({ target: [taskTypeRoutes.orgId, taskTypeRoutes.taskType] })
        .returning({ taskType: taskTypeRoutes.taskType });
      const mine = new Set(inserted.map((r) => r.taskType));
      const existing = await tx.select({ taskType: taskTypeRoutes.taskType, agentId: taskTypeRoutes.agentId }).from(taskTypeRoutes).where(eq(taskTypeRoutes.orgId, actor.orgId));
      const owner = new Map(existing.map((r) => [r.taskType, r.agentId]));
      return types.map((t) => ({
        type: t.type,
        status: mine.has(t.type) ? ('mapped' as const) : ('already_mapped' as const),
        agentId: owner.get(t.type) ?? agentId,
      }));
    });
  }

  private async known(actor: Actor): Promise<string[]> {
    const rows = await this.database.readOrg(actor.orgId, (tx) => tx.select({ t: taskTypeRoutes.taskType }).from(taskTypeRoutes).where(eq(taskTypeRoutes.orgId, actor.orgId)).orderBy(asc(taskTypeRoutes.taskType)));
    return rows.map((r) => r.t);
  }

  private async views(tx: Tx, orgId: string, rows: TaskTypeRow[]): Promise<TaskTypeRouteView[]> {
    const states = await agentStates(tx, orgId, rows.map((r) => r.agentId));
    return rows.map((r) => {
      const s = states.get(r.agentId);
      return {
        taskType: r.taskType,
        agentId: r.agentId,
        agentName: s?.name ?? null,
        agentState: !s || s.deleted ? 'deleted' : s.status,
        instruction: r.instruction,
        createdAt: r.createdAt,
        updatedAt: r.updatedAt,
      };
    });
  }
}
