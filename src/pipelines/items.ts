import { and, eq, sql } from 'drizzle-orm';
import type { Database, Tx } from '../db/client.js';
import type { NewEvent } from '../events/service.js';
import { AppError, badRequest, conflict, notFound } from '../shared/errors.js';
import { UUID_RE, uuidOr404 } from '../shared/ids.js';
import { keysetPage, timestampSort } from '../shared/keyset.js';
import type { Logger } from '../shared/logger.js';
import type { Page } from '../shared/pagination.js';
import type { Actor } from '../shared/roles.js';
import { staffByIds, type StaffBrief } from '../staff/lookups.js';
import { candidatesFor, chooseAssignee } from './assignment.js';
import type { CreateItemInput, ListItemsQuery, UpdateItemInput } from './dto.js';
import type { PipelineEventType, StageKind } from './enums.js';
import { pipelineItemHistory, pipelineItems, pipelines, pipelineStages, type ItemActor } from './schema.js';
import { byPosition, firstOpenStage, type PipelineRow, type StageRow } from './service.js';

type ItemRow = typeof pipelineItems.$inferSelect;
type HistoryRow = typeof pipelineItemHistory.$inferSelect;

export interface StaffRef {
  id: string;
  name: string;
  email: string | null;
  userId: string | null;
}
export type ItemView = Omit<ItemRow, 'assigneeStaffId' | 'toolCallId'> & { assignee: StaffRef | null };
export interface HistoryView {
  id: string;
  fromStage: { id: string; name: string } | null;
  toStage: { id: string; name: string } | null;
  fromAssignee: StaffRef | null;
  toAssignee: StaffRef | null;
  actor: ItemActor;
  note: string | null;
  at: Date;
}
/** What creating (or finding again) an item answers. */
export interface ItemResult {
  item: ItemView;
  pipeline: { id: string; name: string };
  stage: { id: string; name: string; kind: StageKind };
  created: boolean;
}

/** Where the items' events go (the events module's EventService). */
export interface PipelineEventSink {
  emit(orgId: string, e: NewEvent): Promise<unknown>;
}

/** An item change to announce once its transaction committed. */
interface Announcement {
  type: PipelineEventType;
  historyId: string;
  payload: Record<string, unknown>;
}

/** Who acts, as items and their history record it. */
export const itemActorOf = (actor: Actor): ItemActor => (actor.userId ? { kind: 'user', id: actor.userId } : { kind: 'api', id: actor.apiKeyId });

const staffRef = (s: StaffBrief | undefined | null): StaffRef | null => (s ? { id: s.id, name: s.name, email: s.email, userId: s.userId } : null);
const unknownStaff = (id: string | null): StaffRef | null => (id ? { id, name: '(removed)', email: null, userId: null } : null);

function itemView(row: ItemRow, staff: Map<string, StaffBrief>): ItemView {
  const { assigneeStaffId, toolCallId: _toolCallId, ...rest } = row;
  return { ...rest, assignee: assigneeStaffId ? (staffRef(staff.get(assigneeStaffId)) ?? unknownStaff(assigneeStaffId)) : null };
}

/**
 * Items in pipelines (docs/pipelines.md "Items"): created with an assignee the pipeline's rule
 * picks (or the one given), moved between stages, reassigned; every stage or assignee change is
 * a history row and, once committed, an event (`pipeline.item.*`, source `troupe`, deduplicated
 * by the history row).
 */
export class PipelineItemService {
  constructor(
    private readonly database: Database,
    private readonly events: PipelineEventSink,
    private readonly logger: Logger,
  ) {}

  /**
   * Creates an item in the pipeline. The assignee: `assigneeId` when given (null: nobody), else
   * the pipeline's rule among the staff with `assigneeRole` or the rule's role. With `call`, the
   * same (run, tool call) again answers the first item (`created` false) and creates nothing.
   */
  async create(orgId: string, by: ItemActor, pipelineId: string, input: CreateItemInput, call?: { runId: string; toolCallId: string }): Promise<ItemResult> {
    uuidOr404(pipelineId, 'Pipeline');
    const { result, announce } = await this.database.withOrg(orgId, async (tx) => {
      // The pipeline row is the lock every assignment in it takes (round robin's place, loads).
      const [pipeline] = await tx.select().from(pipelines).where(and(eq(pipelines.orgId, orgId), eq(pipelines.id, pipelineId))).for('update');
      if (!pipeline) throw notFound('Pipeline');
      if (call) {
        const again = await this.foundAgain(tx, orgId, call);
        if (again) return again;
      }
      if (pipeline.archivedAt) throw conflict(`The pipeline "${pipeline.name}" is archived: it takes no new items`, 'pipeline_archived');
      const stages = await tx.select().from(pipelineStages).where(eq(pipelineStages.pipelineId, pipelineId));
      const stage = input.stageId ? stages.find((s) => s.id === input.stageId) : firstOpenStage(stages);
      if (!stage) throw badRequest(`Stage ${input.stageId ?? ''} is not a stage of "${pipeline.name}"`, [{ path: 'body.stageId', message: `not a stage of this pipeline (${stages.sort(byPosition).map((s) => s.name).join(', ')})` }]);

      let assignee: StaffBrief | null = null;
      let roundRobin = false;
      if (input.assigneeId) {
        assignee = await this.activeStaff(tx, orgId, input.assigneeId, 'body.assigneeId');
      } else if (input.assigneeId === undefined) {
        const rule = pipeline.assignment;
        const mode = rule.mode === 'none' && input.assigneeRole ? 'least_load' : rule.mode;
        if (mode !== 'none') {
          const candidates = await candidatesFor(tx, orgId, input.assigneeRole ?? rule.role ?? null);
          assignee = chooseAssignee(mode, candidates, pipeline.lastAssignedStaffId)?.staff ?? null;
          roundRobin = mode === 'round_robin' && assignee !== null;
        }
      }
      const [row] = await tx
        .insert(pipelineItems)
        .values({
          orgId,
          pipelineId,
          stageId: stage.id,
          title: input.title,
          summary: input.summary,
          data: input.data,
          contact: input.contact,
          priority: input.priority,
          assigneeStaffId: assignee?.id ?? null,
          sourceEventId: input.sourceEventId ?? null,
          createdBy: by,
          runId: call?.runId ?? null,
          toolCallId: call?.toolCallId ?? null,
        })
        .returning();
      if (roundRobin) await tx.update(pipelines).set({ lastAssignedStaffId: assignee!.id }).where(eq(pipelines.id, pipelineId));
      const [history] = await tx.insert(pipelineItemHistory).values({ orgId, itemId: row!.id, toStageId: stage.id, toAssigneeId: assignee?.id ?? null, actor: by }).returning();
      const item = itemView(row!, new Map(assignee ? [[assignee.id, assignee]] : []));
      return { result: { item, pipeline: { id: pipeline.id, name: pipeline.name }, stage: { id: stage.id, name: stage.name, kind: stage.kind }, created: true }, announce: creationAnnouncements(item, pipeline, stage, history!) };
    });
    await this.announce(orgId, announce);
    return result;
  }

  /** The item a (run, tool call) created, with its creation's events announced again (deduplicated: a crash between commit and announcement loses none). */
  async byToolCall(orgId: string, call: { runId: string; toolCallId: string }): Promise<ItemResult | null> {
    const found = await this.database.withOrg(orgId, (tx) => this.foundAgain(tx, orgId, call));
    if (!found) return null;
    await this.announce(orgId, found.announce);
    return found.result;
  }

  private async foundAgain(tx: Tx, orgId: string, call: { runId: string; toolCallId: string }): Promise<{ result: ItemResult; announce: Announcement[] } | null> {
    const [row] = await tx
      .select()
      .from(pipelineItems)
      .where(and(eq(pipelineItems.orgId, orgId), eq(pipelineItems.runId, call.runId), eq(pipelineItems.toolCallId, call.toolCallId)));
    if (!row) return null;
    const [[pipeline], stages, [first], staff] = await Promise.all([
      tx.select().from(pipelines).where(eq(pipelines.id, row.pipelineId)),
      tx.select().from(pipelineStages).where(eq(pipelineStages.pipelineId, row.pipelineId)),
      tx.select().from(pipelineItemHistory).where(eq(pipelineItemHistory.itemId, row.id)).orderBy(pipelineItemHistory.at, pipelineItemHistory.id).limit(1),
      staffByIds(tx, orgId, [row.assigneeStaffId]),
    ]);
    const stage = stages.find((s) => s.id === row.stageId)!;
    const item = itemView(row, staff);
    const announce = first ? creationAnnouncements(item, pipeline!, stages.find((s) => s.id === first.toStageId) ?? stage, first, staff.get(first.toAssigneeId ?? '')) : [];
    return { result: { item, pipeline: { id: pipeline!.id, name: pipeline!.name }, stage: { id: stage.id, name: stage.name, kind: stage.kind }, created: false }, announce };
  }

  /**
   * Moves, reassigns or edits an item. A stage or assignee change is a history row (with `note`)
   * and an event; moving to the stage it is in, or to the assignee it has, changes nothing.
   */
  async update(orgId: string, by: ItemActor, id: string, patch: UpdateItemInput): Promise<ItemView & { stage: { id: string; name: string; kind: StageKind } }> {
    uuidOr404(id, 'Pipeline item');
    const { result, announce } = await this.database.withOrg(orgId, async (tx) => {
      const [row] = await tx.select().from(pipelineItems).where(and(eq(pipelineItems.orgId, orgId), eq(pipelineItems.id, id))).for('update');
      if (!row) throw notFound('Pipeline item');
      const [[pipeline], stages] = await Promise.all([tx.select().from(pipelines).where(eq(pipelines.id, row.pipelineId)), tx.select().from(pipelineStages).where(eq(pipelineStages.pipelineId, row.pipelineId))]);
      const to = patch.stageId ? stages.find((s) => s.id === patch.stageId) : undefined;
      if (patch.stageId && !to) throw badRequest(`Stage ${patch.stageId} is not a stage of "${pipeline!.name}"`, [{ path: 'body.stageId', message: `not a stage of this pipeline (${stages.sort(byPosition).map((s) => s.name).join(', ')})` }]);
      const newAssignee = patch.assigneeId ? await this.activeStaff(tx, orgId, patch.assigneeId, 'body.assigneeId') : null;
      const stageChanged = to !== undefined && to.id !== row.stageId;
      const assigneeChanged = patch.assigneeId !== undefined && (patch.assigneeId ?? null) !== row.assigneeStaffId;
      const [updated] = await tx
        .update(pipelineItems)
        .set({
          stageId: stageChanged ? to.id : undefined,
          assigneeStaffId: assigneeChanged ? (patch.assigneeId ?? null) : undefined,
          title: patch.title,
          summary: patch.summary,
          data: patch.data,
          contact: patch.contact,
          priority: patch.priority,
          updatedAt: new Date(),
        })
        .where(eq(pipelineItems.id, id))
        .returning();
      const staff = await staffByIds(tx, orgId, [updated!.assigneeStaffId, row.assigneeStaffId]);
      if (newAssignee) staff.set(newAssignee.id, newAssignee);
      const item = itemView(updated!, staff);
      const stage = stages.find((s) => s.id === updated!.stageId)!;
      const announce: Announcement[] = [];
      if (stageChanged || assigneeChanged) {
        const [h] = await tx
          .insert(pipelineItemHistory)
          .values({
            orgId,
            itemId: id,
            fromStageId: stageChanged ? row.stageId : null,
            toStageId: stageChanged ? to.id : null,
            fromAssigneeId: assigneeChanged ? row.assigneeStaffId : null,
            toAssigneeId: assigneeChanged ? updated!.assigneeStaffId : null,
            actor: by,
            note: patch.note ?? null,
          })
          .returning();
        const from = stages.find((s) => s.id === row.stageId)!;
        const base = basePayload(item, pipeline!, h!);
        if (stageChanged) announce.push({ type: 'pipeline.item.stage_changed', historyId: h!.id, payload: { ...base, fromStage: stageBrief(from), toStage: stageBrief(to) } });
        if (assigneeChanged) {
          announce.push({
            type: 'pipeline.item.assigned',
            historyId: h!.id,
            payload: { ...base, stage: stageBrief(stage), fromAssignee: row.assigneeStaffId ? (staffRef(staff.get(row.assigneeStaffId)) ?? unknownStaff(row.assigneeStaffId)) : null, toAssignee: item.assignee },
          });
        }
      }
      return { result: { ...item, stage: { id: stage.id, name: stage.name, kind: stage.kind } }, announce };
    });
    await this.announce(orgId, announce);
    return result;
  }

  async get(orgId: string, id: string): Promise<ItemView & { pipelineName: string; history: HistoryView[] }> {
    uuidOr404(id, 'Pipeline item');
    return this.database.withOrg(orgId, async (tx) => {
      const [[row], history] = await Promise.all([
        tx.select().from(pipelineItems).where(and(eq(pipelineItems.orgId, orgId), eq(pipelineItems.id, id))),
        tx.select().from(pipelineItemHistory).where(and(eq(pipelineItemHistory.orgId, orgId), eq(pipelineItemHistory.itemId, id))).orderBy(pipelineItemHistory.at, pipelineItemHistory.id),
      ]);
      if (!row) throw notFound('Pipeline item');
      const [[pipeline], stages, staff] = await Promise.all([
        tx.select({ name: pipelines.name }).from(pipelines).where(eq(pipelines.id, row.pipelineId)),
        tx.select().from(pipelineStages).where(eq(pipelineStages.pipelineId, row.pipelineId)),
        staffByIds(tx, orgId, [row.assigneeStaffId, ...history.flatMap((h) => [h.fromAssigneeId, h.toAssigneeId])]),
      ]);
      const stageName = (sid: string | null) => (sid ? { id: sid, name: stages.find((s) => s.id === sid)?.name ?? '(removed)' } : null);
      const person = (sid: string | null) => (sid ? (staffRef(staff.get(sid)) ?? unknownStaff(sid)) : null);
      return {
        ...itemView(row, staff),
        pipelineName: pipeline?.name ?? '',
        history: history.map((h) => ({ id: h.id, fromStage: stageName(h.fromStageId), toStage: stageName(h.toStageId), fromAssignee: person(h.fromAssigneeId), toAssignee: person(h.toAssigneeId), actor: h.actor, note: h.note, at: h.at })),
      };
    });
  }

  /** A pipeline's items, by stage when asked, most recently changed first. */
  async list(orgId: string, pipelineId: string, q: ListItemsQuery): Promise<Page<ItemView>> {
    uuidOr404(pipelineId, 'Pipeline');
    return this.database.withOrg(orgId, async (tx) => {
      const [pipeline] = await tx.select({ id: pipelines.id }).from(pipelines).where(and(eq(pipelines.orgId, orgId), eq(pipelines.id, pipelineId)));
      if (!pipeline) throw notFound('Pipeline');
      const where = and(
        eq(pipelineItems.orgId, orgId),
        eq(pipelineItems.pipelineId, pipelineId),
        q.stageId ? eq(pipelineItems.stageId, q.stageId) : undefined,
        q.assigneeId ? eq(pipelineItems.assigneeStaffId, q.assigneeId) : undefined,
      );
      const sort = timestampSort(q.sortBy === 'createdAt' ? pipelineItems.createdAt : pipelineItems.updatedAt);
      const page = await keysetPage(tx, { table: pipelineItems, id: pipelineItems.id, sort, sortName: `sortBy=${q.sortBy}`, where }, q, (r) => r);
      const staff = await staffByIds(tx, orgId, page.items.map((i) => i.assigneeStaffId));
      return { ...page, items: page.items.map((r) => itemView(r, staff)) };
    });
  }

  /**
   * A pipeline (by id, or by name case-insensitively) that takes items, and one of its stages (by id
   * or name; default the first open one). Unknown ones are a 404 whose message names the choices.
   */
  async resolve(orgId: string, pipelineRef: string, stageRef?: string): Promise<{ pipeline: PipelineRow; stage: StageRow }> {
    const ref = pipelineRef.trim();
    const [rows, stages] = await this.database.readOrg(orgId, (tx) =>
      Promise.all([
        tx.select().from(pipelines).where(and(eq(pipelines.orgId, orgId), sql`${pipelines.archivedAt} is null`)),
        tx.select().from(pipelineStages).where(eq(pipelineStages.orgId, orgId)),
      ]),
    );
    const pipeline = rows.find((p) => (UUID_RE.test(ref) && p.id === ref.toLowerCase()) || p.name.toLowerCase() === ref.toLowerCase());
    if (!pipeline) {
      const names = rows.map((p) => `"${p.name}"`).sort();
      throw new AppError(404, 'not_found', rows.length ? `No pipeline "${ref}"; the pipelines are ${names.join(', ')}` : `No pipeline "${ref}": the organization has no pipelines`);
    }
    const own = stages.filter((s) => s.pipelineId === pipeline.id).sort(byPosition);
    return { pipeline, stage: pickStage(pipeline, own, stageRef) };
  }

  /** The stage of an item's pipeline named by id or name (for pipeline_move_item). */
  async stageOfItem(orgId: string, itemId: string, stageRef: string): Promise<StageRow> {
    uuidOr404(itemId, 'Pipeline item');
    const rows = await this.database.withOrg(orgId, async (tx) => {
      const [row] = await tx.select({ pipelineId: pipelineItems.pipelineId }).from(pipelineItems).where(and(eq(pipelineItems.orgId, orgId), eq(pipelineItems.id, itemId)));
      if (!row) throw notFound('Pipeline item');
      const [[pipeline], stages] = await Promise.all([tx.select().from(pipelines).where(eq(pipelines.id, row.pipelineId)), tx.select().from(pipelineStages).where(eq(pipelineStages.pipelineId, row.pipelineId))]);
      return { pipeline: pipeline!, stages: stages.sort(byPosition) };
    });
    return pickStage(rows.pipeline, rows.stages, stageRef);
  }

  private async activeStaff(tx: Tx, orgId: string, id: string, path: string): Promise<StaffBrief> {
    const s = (await staffByIds(tx, orgId, [id])).get(id);
    if (!s) throw badRequest(`No staff member ${id} in this organization`, [{ path, message: 'not a staff member of this organization' }]);
    if (!s.active) throw badRequest(`${s.name} is inactive: they take no work`, [{ path, message: 'inactive staff member' }]);
    return s;
  }

  /** Stores the events of committed changes; a failure is logged (the change stands; a tool's retry announces it again). */
  private async announce(orgId: string, list: Announcement[]): Promise<void> {
    for (const a of list) {
      try {
        await this.events.emit(orgId, { type: a.type, source: 'troupe', payload: a.payload, dedupeKey: `${a.type}:${a.historyId}` });
      } catch (err) {
        this.logger.warn({ err, orgId, type: a.type, historyId: a.historyId }, 'could not record a pipeline event');
      }
    }
  }
}

function pickStage(pipeline: PipelineRow, stages: StageRow[], ref: string | undefined): StageRow {
  if (ref === undefined || ref.trim() === '') {
    const first = firstOpenStage(stages);
    if (!first) throw conflict(`The pipeline "${pipeline.name}" has no open stage`, 'no_open_stage');
    return first;
  }
  const r = ref.trim().toLowerCase();
  const stage = stages.find((s) => s.id === r || s.name.toLowerCase() === r);
  if (!stage) throw new AppError(404, 'not_found', `No stage "${ref.trim()}" in "${pipeline.name}"; its stages are ${stages.map((s) => `"${s.name}"`).join(', ')}`);
  return stage;
}

const stageBrief = (s: StageRow) => ({ id: s.id, name: s.name, kind: s.kind });

function basePayload(item: ItemView, pipeline: PipelineRow, h: HistoryRow) {
  return {
    itemId: item.id,
    pipeline: { id: pipeline.id, name: pipeline.name },
    title: item.title,
    priority: item.priority,
    contact: item.contact,
    sourceEventId: item.sourceEventId,
    actor: h.actor,
    note: h.note,
    at: h.at.toISOString(),
  };
}

function creationAnnouncements(item: ItemView, pipeline: PipelineRow, stage: StageRow, h: HistoryRow, firstAssignee?: StaffBrief): Announcement[] {
  const base = basePayload(item, pipeline, h);
  const assignee = h.toAssigneeId ? (staffRef(firstAssignee) ?? item.assignee ?? unknownStaff(h.toAssigneeId)) : null;
  const out: Announcement[] = [{ type: 'pipeline.item.created', historyId: h.id, payload: { ...base, stage: stageBrief(stage), assignee } }];
  if (assignee) out.push({ type: 'pipeline.item.assigned', historyId: h.id, payload: { ...base, stage: stageBrief(stage), fromAssignee: null, toAssignee: assignee } });
  return out;
}
