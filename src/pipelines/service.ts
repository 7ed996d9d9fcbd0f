import { and, eq, inArray, isNull, sql } from 'drizzle-orm';
import type { Database, Tx } from '../db/client.js';
import { badRequest, conflict, isUniqueViolation, notFound } from '../shared/errors.js';
import { uuidOr404 } from '../shared/ids.js';
import type { Actor } from '../shared/roles.js';
import { activeStaffWithRole } from '../staff/lookups.js';
import { openLoadsQuery } from './assignment.js';
import type { CreatePipelineInput, PipelineContext, UpdatePipelineInput } from './dto.js';
import type { StageKind } from './enums.js';
import { pipelineItems, pipelines, pipelineStages } from './schema.js';

export type PipelineRow = typeof pipelines.$inferSelect;
export type StageRow = typeof pipelineStages.$inferSelect;
export interface StageView {
  id: string;
  name: string;
  position: number;
  kind: StageKind;
  itemCount: number;
}
export type PipelineView = PipelineRow & { stages: StageView[] };

/** Stages in board order. */
export const byPosition = (a: { position: number; name: string }, b: { position: number; name: string }) => a.position - b.position || a.name.localeCompare(b.name);

/**
 * Pipelines and their stages (issue 16; docs/pipelines.md): admins configure them; the items in
 * them are items.ts. `contextOf` is what a decision's prompt shows of them and of the staff.
 */
export class PipelineService {
  constructor(private readonly database: Database) {}

  async list(actor: Actor, archived: 'true' | 'false' | 'all' = 'false'): Promise<PipelineView[]> {
    const cond = archived === 'all' ? undefined : archived === 'true' ? sql`${pipelines.archivedAt} is not null` : isNull(pipelines.archivedAt);
    return this.database.readOrg(actor.orgId, async (tx) => {
      const [rows, stages, counts] = await Promise.all([
        tx.select().from(pipelines).where(and(eq(pipelines.orgId, actor.orgId), cond)).orderBy(sql`lower(${pipelines.name})`),
        tx.select().from(pipelineStages).where(eq(pipelineStages.orgId, actor.orgId)),
        this.countsQuery(tx, actor.orgId),
      ]);
      return rows.map((p) => view(p, stages, counts));
    });
  }

  async get(actor: Actor, id: string): Promise<PipelineView> {
    uuidOr404(id, 'Pipeline');
    const [[row], stages, counts] = await this.database.readOrg(actor.orgId, (tx) =>
      Promise.all([
        tx.select().from(pipelines).where(and(eq(pipelines.orgId, actor.orgId), eq(pipelines.id, id))),
        tx.select().from(pipelineStages).where(and(eq(pipelineStages.orgId, actor.orgId), eq(pipelineStages.pipelineId, id))),
        this.countsQuery(tx, actor.orgId, id),
      ]),
    );
    if (!row) throw notFound('Pipeline');
    return view(row, stages, counts);
  }

  async create(actor: Actor, input: CreatePipelineInput): Promise<PipelineView> {
    const given = input.stages.findIndex((s) => s.id);
    if (given >= 0) throw badRequest('A new pipeline’s stages are new: leave their ids out', [{ path: `body.stages.${given}.id`, message: 'not allowed when creating a pipeline' }]);
    const id = await this.named(input.name, () =>
      this.database.withOrg(actor.orgId, async (tx) => {
        const [row] = await tx.insert(pipelines).values({ orgId: actor.orgId, name: input.name, description: input.description, assignment: input.assignment }).returning();
        await tx.insert(pipelineStages).values(input.stages.map((s, i) => ({ orgId: actor.orgId, pipelineId: row!.id, name: s.name, kind: s.kind, position: i })));
        return row!.id;
      }),
    );
    return this.get(actor, id);
  }

  /**
   * Changes a pipeline. `stages`, when given, is the whole new list in board order: stages with an
   * id are kept (renamed, moved, their kind changed), those without are added, those left out are
   * removed, which a stage holding items refuses (409 naming it).
   */
  async update(actor: Actor, id: string, patch: UpdatePipelineInput): Promise<PipelineView> {
    uuidOr404(id, 'Pipeline');
    await this.named(patch.name ?? '', () =>
      this.database.withOrg(actor.orgId, async (tx) => {
        const [row] = await tx.select().from(pipelines).where(and(eq(pipelines.orgId, actor.orgId), eq(pipelines.id, id))).for('update');
        if (!row) throw notFound('Pipeline');
        if (patch.stages) await this.replaceStages(tx, actor.orgId, id, patch.stages);
        await tx
          .update(pipelines)
          .set({
            name: patch.name,
            description: patch.description,
            assignment: patch.assignment,
            archivedAt: patch.archived === undefined ? undefined : patch.archived ? (row.archivedAt ?? new Date()) : null,
            updatedAt: new Date(),
          })
          .where(eq(pipelines.id, id));
      }),
    );
    return this.get(actor, id);
  }

  /** Deletes a pipeline with its stages, items and their history. */
  async remove(actor: Actor, id: string): Promise<void> {
    uuidOr404(id, 'Pipeline');
    const rows = await this.database.withOrg(actor.orgId, (tx) => tx.delete(pipelines).where(and(eq(pipelines.orgId, actor.orgId), eq(pipelines.id, id))).returning({ id: pipelines.id }));
    if (rows.length === 0) throw notFound('Pipeline');
  }

  /**
   * What a decision's prompt shows (and `pipeline_overview` answers): the pipelines that take items
   * (not archived) with their stages and rule, and the active staff with their roles and load. One
   * round trip.
   */
  async contextOf(orgId: string): Promise<PipelineContext> {
    const [rows, stages, staff, loads] = await this.database.readOrg(orgId, (tx) =>
      Promise.all([
        tx.select().from(pipelines).where(and(eq(pipelines.orgId, orgId), isNull(pipelines.archivedAt))).orderBy(sql`lower(${pipelines.name})`),
        tx.select().from(pipelineStages).where(eq(pipelineStages.orgId, orgId)),
        activeStaffWithRole(tx, orgId, null),
        openLoadsQuery(tx, orgId),
      ]),
    );
    const load = new Map(loads.map((l) => [l.staffId!, l.n]));
    return {
      pipelines: rows.map((p) => ({
        id: p.id,
        name: p.name,
        description: p.description,
        stages: stages
          .filter((s) => s.pipelineId === p.id)
          .sort(byPosition)
          .map((s) => ({ id: s.id, name: s.name, kind: s.kind })),
        assignment: p.assignment,
      })),
      staff: staff.map((s) => ({ id: s.id, name: s.name, email: s.email, roles: s.roles, userId: s.userId, openItems: load.get(s.id) ?? 0, capacity: s.capacity })),
    };
  }

  private countsQuery(tx: Tx, orgId: string, pipelineId?: string) {
    return tx
      .select({ stageId: pipelineItems.stageId, n: sql<number>`count(*)::int` })
      .from(pipelineItems)
      .where(and(eq(pipelineItems.orgId, orgId), pipelineId ? eq(pipelineItems.pipelineId, pipelineId) : undefined))
      .groupBy(pipelineItems.stageId);
  }

  private async replaceStages(tx: Tx, orgId: string, pipelineId: string, list: NonNullable<UpdatePipelineInput['stages']>): Promise<void> {
    const existing = await tx.select().from(pipelineStages).where(and(eq(pipelineStages.orgId, orgId), eq(pipelineStages.pipelineId, pipelineId)));
    const known = new Set(existing.map((s) => s.id));
    list.forEach((s, i) => {
      if (s.id && !known.has(s.id)) throw badRequest(`Stage ${s.id} is not a stage of this pipeline`, [{ path: `body.stages.${i}.id`, message: 'not a stage of this pipeline' }]);
    });
    const kept = new Set(list.map((s) => s.id).filter(Boolean));
    const removed = existing.filter((s) => !kept.has(s.id));
    if (removed.length) {
      const held = await tx
        .select({ stageId: pipelineItems.stageId, n: sql<number>`count(*)::int` })
        .from(pipelineItems)
        .where(inArray(pipelineItems.stageId, removed.map((s) => s.id)))
        .groupBy(pipelineItems.stageId);
      if (held.length) {
        const names = held.map((h) => `"${removed.find((s) => s.id === h.stageId)!.name}" (${h.n} ${h.n === 1 ? 'item' : 'items'})`);
        throw conflict(`Stage ${names.join(', ')} still ${held.length === 1 ? 'holds' : 'hold'} items: move them to another stage first`, 'stage_not_empty');
      }
      await tx.delete(pipelineStages).where(inArray(pipelineStages.id, removed.map((s) => s.id)));
    }
    // Names are unique per pipeline: kept stages take a placeholder first, so swapping two names works.
    const keptRows = list.filter((s) => s.id);
    if (keptRows.length) {
      await tx
        .update(pipelineStages)
        .set({ name: sql`${pipelineStages.id}::text` })
        .where(inArray(pipelineStages.id, keptRows.map((s) => s.id!)));
    }
    for (const [i, s] of list.entries()) {
      if (s.id) await tx.update(pipelineStages).set({ name: s.name, kind: s.kind, position: i }).where(eq(pipelineStages.id, s.id));
    }
    const added = list.flatMap((s, i) => (s.id ? [] : [{ orgId, pipelineId, name: s.name, kind: s.kind, position: i }]));
    if (added.length) await tx.insert(pipelineStages).values(added);
  }

  /** A unique violation on the name becomes a 409 naming it. */
  private async named<T>(name: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      if (isUniqueViolation(err)) throw conflict(`A pipeline named "${name}" already exists`, 'name_taken');
      throw err;
    }
  }
}

function view(p: PipelineRow, stages: StageRow[], counts: { stageId: string; n: number }[]): PipelineView {
  const n = new Map(counts.map((c) => [c.stageId, c.n]));
  return {
    ...p,
    stages: stages
      .filter((s) => s.pipelineId === p.id)
      .sort(byPosition)
      .map((s) => ({ id: s.id, name: s.name, position: s.position, kind: s.kind, itemCount: n.get(s.id) ?? 0 })),
  };
}

/** The first open stage in board order: where new items start. */
export function firstOpenStage<S extends { kind: StageKind; position: number; name: string }>(stages: S[]): S | undefined {
  return [...stages].sort(byPosition).find((s) => s.kind === 'open');
}
