import { and, desc, eq, gte, inArray, like, lt, sql, type SQL } from 'drizzle-orm';
import { batcher, type BatchedCall } from '../db/call-batcher.js';
import type { Database, Tx } from '../db/client.js';
import { rowFromJson } from '../db/json-row.js';
import { notFound } from '../shared/errors.js';
import { UUID_RE } from '../shared/ids.js';
import { keysetPage, timestampSort } from '../shared/keyset.js';
import type { Page } from '../shared/pagination.js';
import type { Actor } from '../shared/roles.js';
import type { ListEventsQuery, ListFiresQuery } from './dto.js';
import { events, triggerFires, triggers } from './schema.js';

export type EventRow = typeof events.$inferSelect;
export type FireRow = typeof triggerFires.$inferSelect;
export type { EventSource } from './enums.js';
import type { EventSource } from './enums.js';

export interface NewEvent {
  type: string;
  source: EventSource;
  payload: unknown;
  occurredAt?: Date;
  dedupeKey?: string | null;
  endpointId?: string | null;
}

/** A fire as the API shows it: with its trigger's name and its event's type. */
export interface FireView extends FireRow {
  triggerName: string;
  eventType: string;
}

/**
 * Events stored at the same moment go to the database together (db/call-batcher.ts): a burst of
 * webhook deliveries shares statements and commits instead of paying a transaction each.
 */
const EVENT_EMIT: BatchedCall<{ org: string; v: { dedupeKey: string | null } }> = {
  one: 'troupe_event_emit',
  args: (i) => [i.org, JSON.stringify(i.v)],
  many: 'troupe_events_emit',
  lockKey: (i) => `${i.org}/${i.v.dedupeKey ?? ''}`,
};

/** The most events a page of the log counts (past it, `total` says "more than this", `totalExact` false). */
export const EVENT_COUNT_CAP = 10_000;

/** The type condition of a listener: an exact type, `prefix.*`, or `*`. */
export function typeCondition(column: typeof events.type, pattern: string): SQL | undefined {
  if (pattern === '*') return undefined;
  if (pattern.endsWith('.*')) return like(column, `${pattern.slice(0, -1).replace(/[\\%_]/g, (c) => `\\${c}`)}%`);
  return eq(column, pattern);
}

/** Whether an event type matches a trigger's pattern (`form.submitted`, `db.*`, `*`). */
export const typeMatches = (pattern: string, type: string) => pattern === '*' || (pattern.endsWith('.*') ? type.startsWith(pattern.slice(0, -1)) : pattern === type);

/**
 * The event log (issue 16; docs/events.md): events stored once per dedupe key, searched by type,
 * source and time, replayed; the fires their triggers made. The processor (processor.ts) is told
 * of new events through `onEmitted` (this process) and finds the rest by polling.
 */
export class EventService {
  /** Called after an event is stored (the processor wakes at once instead of at its next poll). */
  onEmitted: (() => void) | null = null;

  constructor(private readonly database: Database) {}

  /**
   * Stores an event before the source is answered; with a dedupe key seen before, the stored one
   * comes back (`created` false) and nothing is stored twice.
   */
  async emit(orgId: string, e: NewEvent): Promise<{ event: EventRow; created: boolean }> {
    const v = { type: e.type, source: e.source, payload: e.payload ?? {}, occurredAt: (e.occurredAt ?? new Date()).toISOString(), dedupeKey: e.dedupeKey ?? null, endpointId: e.endpointId ?? null };
    const out = await batcher<{ org: string; v: typeof v }, { event: Record<string, unknown>; created: boolean }>(this.database, EVENT_EMIT).call({ org: orgId, v });
    if (out.created) this.onEmitted?.();
    return { event: rowFromJson(events, out.event), created: out.created };
  }

  async list(actor: Actor, q: ListEventsQuery): Promise<Page<EventRow> & { totalExact: boolean }> {
    const where = and(
      eq(events.orgId, actor.orgId),
      q.type ? typeCondition(events.type, q.type) : undefined,
      q.source ? eq(events.source, q.source) : undefined,
      q.endpointId ? eq(events.endpointId, q.endpointId) : undefined,
      q.from ? gte(events.createdAt, new Date(q.from)) : undefined,
      q.to ? lt(events.createdAt, new Date(q.to)) : undefined,
    );
    // The log can hold millions of rows: each page counts at most EVENT_COUNT_CAP of them.
    const page = await this.database.readOrg(actor.orgId, (tx) =>
      keysetPage(tx, { table: events, id: events.id, sort: timestampSort(events.createdAt), sortName: 'sortBy=createdAt', where: where!, countUpTo: EVENT_COUNT_CAP }, q, (r) => r),
    );
    return { ...page, totalExact: page.totalExact ?? true };
  }

  async get(actor: Actor, id: string): Promise<EventRow & { fires: FireView[] }> {
    if (!UUID_RE.test(id)) throw notFound('Event');
    // Both statements go out together (a read transaction takes no statement after its first await).
    const [[event], fires] = await this.database.readOrg(actor.orgId, (tx) =>
      Promise.all([
        tx.select().from(events).where(and(eq(events.orgId, actor.orgId), eq(events.id, id))),
        tx
          .select({ fire: triggerFires, triggerName: triggers.name })
          .from(triggerFires)
          .innerJoin(triggers, eq(triggers.id, triggerFires.triggerId))
          .where(and(eq(triggerFires.orgId, actor.orgId), eq(triggerFires.eventId, id)))
          .orderBy(triggerFires.createdAt),
      ]),
    );
    if (!event) throw notFound('Event');
    return { ...event, fires: fires.map((f) => ({ ...f.fire, triggerName: f.triggerName, eventType: event.type })) };
  }

  /** Fires, newest first: `status=failed` are the dead letters. */
  async fires(actor: Actor, q: ListFiresQuery): Promise<Page<FireView>> {
    const where = and(eq(triggerFires.orgId, actor.orgId), q.status ? eq(triggerFires.status, q.status) : undefined, q.triggerId ? eq(triggerFires.triggerId, q.triggerId) : undefined)!;
    return this.database.withOrg(actor.orgId, async (tx) => {
      const page = await keysetPage(tx, { table: triggerFires, id: triggerFires.id, sort: timestampSort(triggerFires.createdAt), sortName: 'sortBy=createdAt', where }, q, (r) => r);
      const names = await this.namesOf(tx, page.items);
      return { ...page, items: page.items.map((f) => ({ ...f, triggerName: names.triggers.get(f.triggerId) ?? '', eventType: names.events.get(f.eventId) ?? '' })) };
    });
  }

  private async namesOf(tx: Tx, fires: FireRow[]) {
    const triggerIds = [...new Set(fires.map((f) => f.triggerId))];
    const eventIds = [...new Set(fires.map((f) => f.eventId))];
    const [t, e] = await Promise.all([
      triggerIds.length ? tx.select({ id: triggers.id, name: triggers.name }).from(triggers).where(inArray(triggers.id, triggerIds)) : [],
      eventIds.length ? tx.select({ id: events.id, type: events.type }).from(events).where(inArray(events.id, eventIds)) : [],
    ]);
    return { triggers: new Map(t.map((r) => [r.id, r.name])), events: new Map(e.map((r) => [r.id, r.type])) };
  }

  /**
   * Processes the event again: triggers it matched that failed are tried again (their runs are
   * still made once), and triggers made since get their chance. Fires that fired stay as they are.
   */
  async replay(actor: Actor, id: string): Promise<EventRow & { fires: FireView[] }> {
    if (!UUID_RE.test(id)) throw notFound('Event');
    const [row] = await this.database.withOrg(actor.orgId, (tx) =>
      tx.update(events).set({ processedAt: null, leaseUntil: null }).where(and(eq(events.orgId, actor.orgId), eq(events.id, id))).returning({ id: events.id }),
    );
    if (!row) throw notFound('Event');
    this.onEmitted?.();
    return this.get(actor, id);
  }

  /** Deletes events received before `before` (and their fires); returns how many. */
  async prune(before: Date): Promise<number> {
    const rows = await this.database.system((tx) => tx.delete(events).where(and(lt(events.createdAt, before), sql`processed_at is not null`)).returning({ id: events.id }));
    return rows.length;
  }

  /** The latest events of a webhook endpoint (its accepted deliveries). */
  async ofEndpoint(orgId: string, endpointId: string, limit: number): Promise<EventRow[]> {
    return this.database.readOrg(orgId, (tx) => tx.select().from(events).where(and(eq(events.orgId, orgId), eq(events.endpointId, endpointId))).orderBy(desc(events.createdAt)).limit(limit));
  }
}
