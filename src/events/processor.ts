import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { rowFromJson } from '../db/json-row.js';
import { AppError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { evaluateExpression, renderTemplate, renderTemplatedJson, type ExpressionScope } from '../workflows/expressions.js';
import { events, triggerFires } from './schema.js';
import type { EventRow } from './service.js';
import { typeMatches } from './service.js';
import type { TriggerRow, TriggerService } from './triggers.js';

/** What a fire starts (the app wires the runs and workflows services); each once per idempotency key. */
export interface FireStarter {
  agentRun(orgId: string, agentId: string, input: { task: string; context: Record<string, unknown> }, idempotencyKey: string): Promise<string>;
  workflowRun(orgId: string, workflowId: string, input: unknown, idempotencyKey: string): Promise<string>;
  orgName(orgId: string): Promise<string>;
}

export interface ProcessorOptions {
  /** Events taken per pass (default 100). */
  batch?: number;
  /** How long a pass holds its events (default 30 s); past it another processor may take them. */
  leaseMs?: number;
  /**
   * Sleep between passes that found nothing while the database's notices are heard (default 5 s:
   * a safety net; a new event in any process wakes it at once through `troupe_events`).
   */
  idleMs?: number;
  /** The same while the notices are not heard (the listening connection is down): default 250 ms. */
  deafIdleMs?: number;
}

/** The channel troupe_event_emit notifies when it stores an event. */
export const EVENTS_CHANNEL = 'troupe_events';

/**
 * Matches events to triggers and fires them (issue 16; docs/events.md). Any number of processes
 * may run it: a pass takes the oldest unprocessed events under a lease (FOR UPDATE SKIP LOCKED),
 * so two never hold the same event, and one that dies leaves its events to the next once the
 * lease lapses.
 *
 * Exactly once per (event, trigger): the fire row (trigger_fires, unique on the pair) is written
 * before the run is started, and the run's idempotency key is `trigger:<trigger>:<event>`, so a
 * pass that dies between the two makes the same run when the event is taken again, and finds the
 * fire there. A throttled trigger decides under an advisory lock on (trigger, key), so two
 * processes cannot both fire for one key. A start that fails (an agent paused, a budget used up,
 * a bad template) leaves the fire `failed`: a dead letter, tried again when the event is replayed.
 */
export class EventProcessor {
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private readonly batch: number;
  private readonly leaseMs: number;
  private readonly idleMs: number;
  private readonly deafIdleMs: number;
  private hearing = false;
  private unwatch: (() => Promise<void>) | null = null;

  constructor(
    private readonly database: Database,
    private readonly triggers: TriggerService,
    private readonly starter: FireStarter,
    private readonly logger: Logger,
    options: ProcessorOptions = {},
  ) {
    this.batch = options.batch ?? 100;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.idleMs = options.idleMs ?? 5000;
    this.deafIdleMs = options.deafIdleMs ?? 250;
  }

  start() {
    if (this.running) return;
    this.running = true;
    this.unwatch = this.database.watch(
      EVENTS_CHANNEL,
      () => this.kick(),
      (live) => {
        this.hearing = live;
        // Notices sent while not listening are lost: look now.
        if (live) this.kick();
      },
    );
    this.loop = this.run();
  }

  async stop() {
    this.running = false;
    this.kick();
    await this.loop;
    await this.unwatch?.().catch(() => {});
  }

  /** A new event: look now. */
  kick() {
    this.wake?.();
  }

  private async run() {
    while (this.running) {
      let took = 0;
      try {
        took = await this.pass();
      } catch (err) {
        this.logger.warn({ err }, 'event processing pass failed; trying again');
      }
      if (took === 0 && this.running) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, this.hearing ? this.idleMs : this.deafIdleMs);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = null;
      }
    }
  }

  /** One pass: takes up to `batch` events and processes them; returns how many it took. */
  async pass(): Promise<number> {
    const { rows } = await this.database.system((tx) =>
      tx.execute(sql`
        update events set lease_until = now() + make_interval(secs => ${this.leaseMs / 1000})
        where id in (
          select id from events
          where processed_at is null and (lease_until is null or lease_until < now())
          order by created_at limit ${this.batch}
          for update skip locked)
        returning to_jsonb(events.*) as e`),
    );
    const taken = (rows as { e: Record<string, unknown> }[]).map((r) => rowFromJson(events, r.e));
    await Promise.all(taken.map((e) => this.process(e).catch((err: unknown) => this.logger.warn({ err, eventId: e.id }, 'could not process an event; it is taken again after its lease'))));
    return taken.length;
  }

  /** Fires every trigger the event matches, then marks it processed. */
  async process(event: EventRow): Promise<void> {
    const all = await this.triggers.enabledOf(event.orgId);
    const listening = all.filter((t) => typeMatches(t.eventType, event.type));
    if (listening.length) {
      const scope = await this.scopeOf(event);
      for (const trigger of listening) await this.consider(event, trigger, scope);
    }
    await this.database.withOrg(event.orgId, (tx) => tx.update(events).set({ processedAt: new Date(), leaseUntil: null }).where(and(eq(events.orgId, event.orgId), eq(events.id, event.id))));
  }

  private async scopeOf(event: EventRow): Promise<ExpressionScope> {
    const view = { id: event.id, type: event.type, source: event.source, occurredAt: event.occurredAt.toISOString(), payload: event.payload, dedupeKey: event.dedupeKey };
    const env = { org: { id: event.orgId, name: await this.starter.orgName(event.orgId) } };
    // Expressions see {event, env}; `input` is the payload too, as a workflow's trigger node sees it.
    return { event: view, env, input: event.payload, nodes: {} } as unknown as ExpressionScope;
  }

  private async consider(event: EventRow, trigger: TriggerRow, scope: ExpressionScope) {
    const site = { nodeId: null, path: `trigger ${trigger.name}` };
    let key: string | null = null;
    try {
      if (trigger.filter && (await evaluateExpression(trigger.filter, scope, { ...site, path: 'filter' })) !== true) return;
      if (trigger.throttleKey && trigger.throttleSeconds) key = String((await renderTemplate(trigger.throttleKey, scope, { ...site, path: 'throttleKey' })) ?? '');
    } catch (err) {
      await this.record(event, trigger, { status: 'failed', error: errorOf(err) });
      return;
    }
    const fire = await this.record(event, trigger, { status: 'firing', throttleKey: key, throttleSeconds: trigger.throttleSeconds });
    if (fire.status !== 'firing' && fire.status !== 'failed') return;
    try {
      const runId = await this.startRun(event, trigger, scope);
      await this.database.withOrg(event.orgId, (tx) => tx.update(triggerFires).set({ status: 'fired', runId, error: null, updatedAt: new Date() }).where(eq(triggerFires.id, fire.id)));
    } catch (err) {
      await this.database.withOrg(event.orgId, (tx) => tx.update(triggerFires).set({ status: 'failed', error: errorOf(err), updatedAt: new Date() }).where(eq(triggerFires.id, fire.id)));
    }
  }

  /**
   * The fire of (event, trigger), made once: `firing` (go on and start), `throttled` (a fire for
   * its key came within the window), or `failed`. An existing one comes back as it is; a failed
   * one counts another attempt (a replay tries it again).
   */
  private async record(event: EventRow, trigger: TriggerRow, want: { status: 'firing' | 'failed'; throttleKey?: string | null; throttleSeconds?: number | null; error?: { code: string; message: string } }) {
    return this.database.withOrg(event.orgId, async (tx) => {
      if (want.throttleKey !== null && want.throttleKey !== undefined) await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`troupe:throttle:${trigger.id}:${want.throttleKey}`}))`);
      const [existing] = await tx.select().from(triggerFires).where(and(eq(triggerFires.eventId, event.id), eq(triggerFires.triggerId, trigger.id)));
      if (existing) {
        if (existing.status !== 'failed') return existing;
        const [again] = await tx
          .update(triggerFires)
          .set({ attempts: sql`${triggerFires.attempts} + 1`, ...(want.status === 'failed' ? { error: want.error } : {}), updatedAt: new Date() })
          .where(eq(triggerFires.id, existing.id))
          .returning();
        return again!;
      }
      let status: 'firing' | 'failed' | 'throttled' = want.status;
      if (status === 'firing' && want.throttleKey !== null && want.throttleKey !== undefined && want.throttleSeconds) {
        const [recent] = await tx
          .select({ id: triggerFires.id })
          .from(triggerFires)
          .where(
            and(
              eq(triggerFires.triggerId, trigger.id),
              eq(triggerFires.throttleKey, want.throttleKey),
              sql`${triggerFires.status} in ('firing', 'fired')`,
              sql`${triggerFires.createdAt} > now() - make_interval(secs => ${want.throttleSeconds})`,
            ),
          )
          .limit(1);
        if (recent) status = 'throttled';
      }
      const [row] = await tx
        .insert(triggerFires)
        .values({ orgId: event.orgId, triggerId: trigger.id, eventId: event.id, status, throttleKey: want.throttleKey ?? null, error: want.error ?? null })
        .onConflictDoNothing()
        .returning();
      if (row) return row;
      const [raced] = await tx.select().from(triggerFires).where(and(eq(triggerFires.eventId, event.id), eq(triggerFires.triggerId, trigger.id)));
      return raced!;
    });
  }

  private async startRun(event: EventRow, trigger: TriggerRow, scope: ExpressionScope): Promise<string> {
    const key = `trigger:${trigger.id}:${event.id}`;
    const context = { event: (scope as unknown as { event: Record<string, unknown> }).event };
    if (trigger.agentId) {
      const task = String((await renderTemplate(trigger.task ?? '', scope, { nodeId: null, path: 'task' })) ?? '');
      return this.starter.agentRun(event.orgId, trigger.agentId, { task, context }, key);
    }
    const input = trigger.input === null || trigger.input === undefined ? event.payload : await renderTemplatedJson(trigger.input, scope, { nodeId: null, path: 'input' });
    return this.starter.workflowRun(event.orgId, trigger.workflowId!, input, key);
  }
}

function errorOf(err: unknown): { code: string; message: string } {
  if (err instanceof AppError) return { code: err.code, message: err.message };
  const e = err as { code?: unknown; message?: unknown };
  return { code: typeof e?.code === 'string' ? e.code : 'fire_failed', message: typeof e?.message === 'string' ? e.message.slice(0, 2000) : String(err) };
}
