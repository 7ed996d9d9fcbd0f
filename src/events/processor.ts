import { and, eq, inArray, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { rowFromJson } from '../db/json-row.js';
import { AppError } from '../shared/errors.js';
import type { Logger } from '../shared/logger.js';
import { evaluateExpression, renderTemplate, renderTemplatedJson, type ExpressionScope } from '../workflows/expressions.js';
import { debounceFire, insertFiring, recordFire, settleFires, type FireOutcome } from './fire-rows.js';
import { events, triggerFires } from './schema.js';
import type { EventRow, FireRow } from './service.js';
import { typeMatches } from './service.js';
import type { TriggerRow, TriggerService } from './triggers.js';

/** What a fire starts (the app wires the runs and workflows services); each once per idempotency key. */
export interface FireStarter {
  agentRun(orgId: string, agentId: string, input: { task: string; context: Record<string, unknown> }, idempotencyKey: string): Promise<string>;
  workflowRun(orgId: string, workflowId: string, input: unknown, idempotencyKey: string): Promise<string>;
  /** A decision by the agent on the event (its run's id, which is the decision's). */
  decision(orgId: string, d: { agentId: string; decisionType?: string; input: { source: string; type: string; data: unknown }; eventId: string; triggerId: string }, idempotencyKey: string): Promise<string>;
  orgName(orgId: string): Promise<string>;
  /** Which of these runs are still active (queued, running or waiting): the concurrency limit's places. */
  activeRuns(orgId: string, runIds: string[]): Promise<Set<string>>;
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
 *
 * A debounced trigger's fire waits `pending` until its `due_at` (a later event of its key takes
 * its place, and it becomes `debounced`); a trigger with `maxConcurrentRuns` queues fires past its
 * limit (`queued`) and admits them as places free up. Both wait in the database, not here: every
 * pass also takes due fires and admits queued ones (`duePass`), so any processor finishes what
 * a dead one left (decision 73).
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
      let nextDue: number | null = null;
      try {
        took = await this.pass();
        const due = await this.duePass();
        took += due.took;
        nextDue = due.nextDueAt;
      } catch (err) {
        this.logger.warn({ err }, 'event processing pass failed; trying again');
      }
      if (took === 0 && this.running) {
        let sleep = this.hearing ? this.idleMs : this.deafIdleMs;
        // A debounced fire falls due: wake for it (no timer lives only here: any processor's pass takes it).
        if (nextDue !== null) sleep = Math.max(10, Math.min(sleep, nextDue - Date.now() + 10));
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, sleep);
          this.wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        this.wake = null;
      }
    }
  }

  /**
   * One pass: takes up to `batch` events and processes them; returns how many it took. The plain
   * fires of the pass (triggers with no debounce, throttle or limit: `isPlain`) are written, marked and the events closed in one statement
   * each for the whole pass, not one transaction each per event: at thousands of events a second
   * the processor shares the machine with the intake, and each statement is a wait and a wake-up
   * of the database (docs/events.md, decision 75).
   */
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
    if (taken.length) await this.processAll(taken);
    return taken.length;
  }

  /** Fires every trigger each event matches, then marks the events processed (those that failed stay, taken again after their lease). */
  private async processAll(taken: EventRow[]): Promise<void> {
    const plain: PlainFire[] = [];
    const failed = new Set<string>();
    const fail = (event: EventRow) => (err: unknown) => {
      failed.add(event.id);
      this.logger.warn({ err, eventId: event.id }, 'could not process an event; it is taken again after its lease');
    };
    await Promise.all(
      taken.map(async (event) => {
        try {
          const listening = (await this.triggers.enabledOf(event.orgId)).filter((t) => typeMatches(t.eventType, event.type));
          if (!listening.length) return;
          const scope = await this.scopeOf(event);
          for (const trigger of listening) {
            const verdict = isPlain(trigger) ? await this.filterVerdict(trigger, scope) : 'error';
            if (verdict === 'fire') plain.push({ event, trigger, scope });
            else if (verdict === 'error') await this.consider(event, trigger, scope);
          }
        } catch (err) {
          fail(event)(err);
        }
      }),
    );
    await this.firePlain(plain).catch((err: unknown) => {
      for (const p of plain) fail(p.event)(err);
    });
    const done = taken.filter((e) => !failed.has(e.id)).map((e) => e.id);
    if (!done.length) return;
    await this.database.system((tx) => tx.update(events).set({ processedAt: new Date(), leaseUntil: null }).where(inArray(events.id, done)));
  }

  /** A trigger's filter on the event: `error` when it throws (`consider` records that as the fire's failure). */
  private async filterVerdict(trigger: TriggerRow, scope: ExpressionScope): Promise<'fire' | 'skip' | 'error'> {
    if (!trigger.filter) return 'fire';
    try {
      return (await evaluateExpression(trigger.filter, scope, { nodeId: null, path: 'filter' })) === true ? 'fire' : 'skip';
    } catch {
      return 'error';
    }
  }

  /**
   * The plain fires of a pass: written `firing` in one statement (a pair fired before, a replay or
   * an event taken again after its processor died, goes the one-by-one way, which finds its
   * fire), their runs started (each once, by its idempotency key), then all marked `fired` or
   * `failed` in one statement. A process that dies in between leaves the events unprocessed: taken
   * again, they find their fires `firing` and start the same runs.
   */
  private async firePlain(plain: PlainFire[]): Promise<void> {
    if (!plain.length) return;
    const made = await insertFiring(this.database, plain);
    const outcomes: FireOutcome[] = [];
    await Promise.all(
      plain.map(async ({ event, trigger, scope }) => {
        const id = made.get(`${event.id}:${trigger.id}`);
        if (!id) return this.consider(event, trigger, scope);
        try {
          outcomes.push({ id, status: 'fired', run_id: await this.startRun(event, trigger, scope, 1), error: null });
        } catch (err) {
          outcomes.push({ id, status: 'failed', run_id: null, error: errorOf(err) });
        }
      }),
    );
    await settleFires(this.database, outcomes);
  }

  /**
   * The fires that wait on time or on room, from the database (so any processor finds them, also
   * after the one that wrote them died): debounced fires whose time came and starts whose holder
   * ran out of time (taken under a lease, SKIP LOCKED), then triggers with queued fires (admitted
   * as their places free up). Answers how many it started and when the next pending fire is due.
   */
  async duePass(): Promise<{ took: number; nextDueAt: number | null }> {
    const { rows } = await this.database.system((tx) =>
      tx.execute(sql`
        with c as (
          select id, status from trigger_fires
          where status in ('pending', 'firing') and due_at is not null and due_at <= now()
          order by due_at limit ${this.batch}
          for update skip locked)
        update trigger_fires f set status = 'firing', due_at = now() + make_interval(secs => ${this.leaseMs / 1000}), updated_at = now()
        from c where f.id = c.id
        returning to_jsonb(f.*) as f, c.status as was`),
    );
    const claimed = (rows as { f: Record<string, unknown>; was: string }[]).map((r) => ({ fire: rowFromJson(triggerFires, r.f), was: r.was }));
    await Promise.all(claimed.map((c) => this.due(c.fire, c.was).catch((err: unknown) => this.logger.warn({ err, fireId: c.fire.id }, 'could not start a due fire; it is taken again after its lease'))));
    // One statement for both (two partial indexes, empty on most installs).
    const { rows: look } = await this.database.system((tx) =>
      tx.execute(sql`
        select (select min(due_at) from trigger_fires where status = 'pending' and due_at is not null) as at,
          (select coalesce(jsonb_agg(q), '[]'::jsonb) from (select distinct org_id, trigger_id from trigger_fires where status = 'queued' limit 1000) q) as queued`),
    );
    const { at, queued } = (look as { at: string | Date | null; queued: { org_id: string; trigger_id: string }[] }[])[0]!;
    for (const q of queued) {
      await this.admitQueued(q.org_id, q.trigger_id).catch((err: unknown) => this.logger.warn({ err, triggerId: q.trigger_id }, 'could not admit queued fires; trying again'));
    }
    return { took: claimed.length, nextDueAt: at ? new Date(at).getTime() : null };
  }

  /**
   * One of the trigger's runs ended (the engine's run:finished, in this process): its place is
   * free, and the trigger's oldest queued fire starts. Other processes' ends reach the queue by
   * the due pass, which asks whether the runs holding places are still active.
   */
  async runEnded(orgId: string, runId: string): Promise<void> {
    const limited = (await this.triggers.enabledOf(orgId)).some((t) => t.maxConcurrentRuns !== null);
    if (!limited) return;
    const freed = await this.database.withOrg(orgId, (tx) =>
      tx
        .update(triggerFires)
        .set({ holdsPlace: false, updatedAt: new Date() })
        .where(and(eq(triggerFires.orgId, orgId), eq(triggerFires.runId, runId), eq(triggerFires.holdsPlace, true)))
        .returning({ triggerId: triggerFires.triggerId }),
    );
    for (const f of freed) await this.admitQueued(orgId, f.triggerId);
  }

  private async scopeOf(event: EventRow, collapsed = 1): Promise<ExpressionScope> {
    const view = { id: event.id, type: event.type, source: event.source, occurredAt: event.occurredAt.toISOString(), payload: event.payload, dedupeKey: event.dedupeKey };
    const env = { org: { id: event.orgId, name: await this.starter.orgName(event.orgId) } };
    // Expressions see {event, env, debounce}; `input` is the payload too, as a workflow's trigger node sees it.
    return { event: view, env, debounce: { count: collapsed }, input: event.payload, nodes: {} } as unknown as ExpressionScope;
  }

  private async consider(event: EventRow, trigger: TriggerRow, scope: ExpressionScope) {
    const site = { nodeId: null, path: `trigger ${trigger.name}` };
    let key: string | null = null;
    let debounceKey: string | null = null;
    try {
      if (trigger.filter && (await evaluateExpression(trigger.filter, scope, { ...site, path: 'filter' })) !== true) return;
      if (trigger.throttleKey && trigger.throttleSeconds) key = String((await renderTemplate(trigger.throttleKey, scope, { ...site, path: 'throttleKey' })) ?? '');
      if (trigger.debounceKey && trigger.debounceSeconds) debounceKey = String((await renderTemplate(trigger.debounceKey, scope, { ...site, path: 'debounce.key' })) ?? '');
    } catch (err) {
      await recordFire(this.database, event, trigger, { status: 'failed', error: errorOf(err) });
      return;
    }
    const fire =
      debounceKey !== null
        ? await debounceFire(this.database, event, trigger, debounceKey, trigger.debounceSeconds!)
        : await recordFire(this.database, event, trigger, { status: trigger.maxConcurrentRuns ? 'queued' : 'firing', throttleKey: key, throttleSeconds: trigger.throttleSeconds });
    if (fire.status === 'queued') return this.admitQueued(event.orgId, trigger.id, { event, scope });
    if (fire.status === 'failed' && trigger.maxConcurrentRuns) {
      // A dead letter tried again (a replay) waits for a place like any other.
      await this.database.withOrg(event.orgId, (tx) => tx.update(triggerFires).set({ status: 'queued', updatedAt: new Date() }).where(and(eq(triggerFires.id, fire.id), eq(triggerFires.status, 'failed'))));
      return this.admitQueued(event.orgId, trigger.id, { event, scope });
    }
    if (fire.status !== 'firing' && fire.status !== 'failed') return;
    await this.go(event, trigger, fire, scope);
  }

  /** Starts the fire's run (once, by its idempotency key) and records it: `fired` with the run, or `failed`. */
  private async go(event: EventRow, trigger: TriggerRow, fire: FireRow, scope: ExpressionScope): Promise<boolean> {
    try {
      const runId = await this.startRun(event, trigger, scope, fire.collapsed);
      await this.database.withOrg(event.orgId, (tx) => tx.update(triggerFires).set({ status: 'fired', runId, error: null, dueAt: null, updatedAt: new Date() }).where(eq(triggerFires.id, fire.id)));
      return true;
    } catch (err) {
      await this.database.withOrg(event.orgId, (tx) =>
        tx.update(triggerFires).set({ status: 'failed', error: errorOf(err), dueAt: null, holdsPlace: false, updatedAt: new Date() }).where(eq(triggerFires.id, fire.id)),
      );
      return false;
    }
  }

  /**
   * A due fire the due pass took (now `firing`, leased by `dueAt`): a debounced one whose time
   * came (`was` pending) goes to the queue when its trigger has a limit, else starts; a start
   * whose holder died starts again (the same run, by its idempotency key).
   */
  private async due(fire: FireRow, was: string): Promise<void> {
    const trigger = (await this.triggers.enabledOf(fire.orgId)).find((t) => t.id === fire.triggerId);
    if (!trigger) {
      await this.database.withOrg(fire.orgId, (tx) =>
        tx
          .update(triggerFires)
          .set({ status: 'failed', holdsPlace: false, dueAt: null, error: { code: 'trigger_disabled', message: 'The trigger was switched off before this fire could start; replay the event once it is on' }, updatedAt: new Date() })
          .where(eq(triggerFires.id, fire.id)),
      );
      return;
    }
    const event = await this.eventOf(fire);
    if (was === 'pending' && trigger.maxConcurrentRuns) {
      await this.database.withOrg(fire.orgId, (tx) => tx.update(triggerFires).set({ status: 'queued', dueAt: null, updatedAt: new Date() }).where(eq(triggerFires.id, fire.id)));
      await this.admitQueued(fire.orgId, trigger.id);
      return;
    }
    await this.go(event, trigger, fire, await this.scopeOf(event, fire.collapsed));
  }

  private async eventOf(fire: FireRow): Promise<EventRow> {
    const [event] = await this.database.readOrg(fire.orgId, (tx) => tx.select().from(events).where(and(eq(events.orgId, fire.orgId), eq(events.id, fire.eventId))));
    return event!;
  }

  /**
   * Starts the trigger's queued fires, oldest first, while it has room under `maxConcurrentRuns`.
   * Places are counted and taken under an advisory lock on the trigger, in one transaction, so two
   * processors admitting at once never exceed the limit; a fire admitted holds its place
   * (`holds_place`) from then until its run ends (or its start fails). Places whose runs ended
   * unheard (in a process that died before it said so) are given back first, by asking the runs.
   */
  private async admitQueued(orgId: string, triggerId: string, known?: { event: EventRow; scope: ExpressionScope }): Promise<void> {
    for (;;) {
      const trigger = (await this.triggers.enabledOf(orgId)).find((t) => t.id === triggerId);
      if (!trigger) {
        await this.database.withOrg(orgId, (tx) =>
          tx
            .update(triggerFires)
            .set({ status: 'failed', error: { code: 'trigger_disabled', message: 'The trigger was switched off while this fire waited for room; replay the event once it is on' }, updatedAt: new Date() })
            .where(and(eq(triggerFires.orgId, orgId), eq(triggerFires.triggerId, triggerId), eq(triggerFires.status, 'queued'))),
        );
        return;
      }
      const limit = trigger.maxConcurrentRuns;
      await this.releaseEnded(orgId, triggerId);
      const admitted = await this.database.withOrg(orgId, async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`troupe:trigger-places:${triggerId}`}))`);
        const [held] = await tx
          .select({ n: sql<number>`count(*)::int` })
          .from(triggerFires)
          .where(and(eq(triggerFires.orgId, orgId), eq(triggerFires.triggerId, triggerId), eq(triggerFires.holdsPlace, true)));
        const room = limit === null ? this.batch : Math.max(0, limit - (held?.n ?? 0));
        if (room === 0) return [];
        const next = await tx
          .select({ id: triggerFires.id })
          .from(triggerFires)
          .where(and(eq(triggerFires.orgId, orgId), eq(triggerFires.triggerId, triggerId), eq(triggerFires.status, 'queued')))
          // In the order the events came (two processors may record fires of later events first).
          .orderBy(sql`(select ${events.createdAt} from ${events} where ${events.id} = ${triggerFires.eventId})`, triggerFires.createdAt, triggerFires.id)
          .limit(room);
        if (!next.length) return [];
        return tx
          .update(triggerFires)
          .set({ status: 'firing', holdsPlace: limit !== null, dueAt: sql`now() + make_interval(secs => ${this.leaseMs / 1000})`, updatedAt: new Date() })
          .where(inArray(triggerFires.id, next.map((f) => f.id)))
          .returning();
      });
      if (!admitted.length) return;
      for (const fire of admitted) {
        const event = known?.event.id === fire.eventId ? known.event : await this.eventOf(fire);
        const scope = known?.event.id === fire.eventId && fire.collapsed === 1 ? known.scope : await this.scopeOf(event, fire.collapsed);
        await this.go(event, trigger, fire, scope);
      }
      // Round again: a start that failed gave its place back, and a run may already have ended
      // before its fire said which run it was (its run:finished found no place to free).
    }
  }

  /** Gives back the places of fires whose runs are no longer active (ended where no one heard it). */
  private async releaseEnded(orgId: string, triggerId: string): Promise<void> {
    const holders = await this.database.readOrg(orgId, (tx) =>
      tx
        .select({ id: triggerFires.id, runId: triggerFires.runId })
        .from(triggerFires)
        .where(and(eq(triggerFires.orgId, orgId), eq(triggerFires.triggerId, triggerId), eq(triggerFires.holdsPlace, true), eq(triggerFires.status, 'fired')))
        .limit(1000),
    );
    const runIds = holders.map((h) => h.runId).filter((id): id is string => id !== null);
    if (!runIds.length) return;
    const active = await this.starter.activeRuns(orgId, runIds);
    const ended = holders.filter((h) => h.runId && !active.has(h.runId)).map((h) => h.id);
    if (!ended.length) return;
    await this.database.withOrg(orgId, (tx) => tx.update(triggerFires).set({ holdsPlace: false, updatedAt: new Date() }).where(and(inArray(triggerFires.id, ended), eq(triggerFires.holdsPlace, true))));
  }

  /**
   * What the trigger starts. The targets are handled here alone: a new kind of target is one more
   * case. Each run once per (trigger, event) by its idempotency key.
   */
  private async startRun(event: EventRow, trigger: TriggerRow, scope: ExpressionScope, collapsed: number): Promise<string> {
    const key = `trigger:${trigger.id}:${event.id}`;
    const context = { event: (scope as unknown as { event: Record<string, unknown> }).event, ...(trigger.debounceKey ? { debounce: { count: collapsed } } : {}) };
    switch (targetOf(trigger)) {
      case 'agent': {
        const task = String((await renderTemplate(trigger.task ?? '', scope, { nodeId: null, path: 'task' })) ?? '');
        return this.starter.agentRun(event.orgId, trigger.agentId!, { task, context }, key);
      }
      case 'workflow': {
        const input = trigger.input === null || trigger.input === undefined ? event.payload : await renderTemplatedJson(trigger.input, scope, { nodeId: null, path: 'input' });
        return this.starter.workflowRun(event.orgId, trigger.workflowId!, input, key);
      }
      case 'decision':
        return this.starter.decision(
          event.orgId,
          { agentId: trigger.decisionAgentId!, ...(trigger.decisionType ? { decisionType: trigger.decisionType } : {}), input: { source: event.source, type: event.type, data: event.payload }, eventId: event.id, triggerId: trigger.id },
          key,
        );
    }
  }
}

/** A fire of this event by this trigger, in a pass (`firePlain`). */
interface PlainFire {
  event: EventRow;
  trigger: TriggerRow;
  scope: ExpressionScope;
}

/** A trigger with no debounce, throttle or concurrency limit: its fires need no lock and no wait, and are written a pass at a time. */
function isPlain(trigger: TriggerRow): boolean {
  return !(trigger.debounceKey && trigger.debounceSeconds) && !(trigger.throttleKey && trigger.throttleSeconds) && !trigger.maxConcurrentRuns;
}

/** What a trigger starts (one case per kind of target). */
function targetOf(trigger: TriggerRow): 'agent' | 'workflow' | 'decision' {
  if (trigger.agentId) return 'agent';
  if (trigger.decisionAgentId) return 'decision';
  return 'workflow';
}

function errorOf(err: unknown): { code: string; message: string } {
  if (err instanceof AppError) return { code: err.code, message: err.message };
  const e = err as { code?: unknown; message?: unknown };
  return { code: typeof e?.code === 'string' ? e.code : 'fire_failed', message: typeof e?.message === 'string' ? e.message.slice(0, 2000) : String(err) };
}
