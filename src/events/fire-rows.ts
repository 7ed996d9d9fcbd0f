import { and, eq, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { triggerFires } from './schema.js';
import type { EventRow, FireRow } from './service.js';
import type { TriggerRow } from './triggers.js';

/*
 * The writes of a trigger's fire rows; processor.ts decides when (decisions 73 and 75): the one
 * fire of a pair, a debounce window's, and a pass's plain fires and their ends.
 */

/** A fire's end: `fired` with its run, or `failed` with the error (a dead letter). */
export interface FireOutcome {
  id: string;
  status: 'fired' | 'failed';
  run_id: string | null;
  error: { code: string; message: string } | null;
}

/**
 * Writes the pairs' fires `firing` in one statement; answers the new fires' ids by
 * `<event>:<trigger>`. A pair whose fire exists is left out (the caller goes the one-by-one way).
 */
export async function insertFiring(database: Database, pairs: { event: EventRow; trigger: TriggerRow }[]): Promise<Map<string, string>> {
  const values = pairs.map((p) => ({ org_id: p.event.orgId, trigger_id: p.trigger.id, event_id: p.event.id }));
  const { rows } = await database.system((tx) =>
    tx.execute(sql`
      insert into trigger_fires (org_id, trigger_id, event_id, status)
      select org_id, trigger_id, event_id, 'firing' from jsonb_to_recordset(${JSON.stringify(values)}::jsonb) as p(org_id uuid, trigger_id uuid, event_id uuid)
      on conflict (event_id, trigger_id) do nothing
      returning id, event_id, trigger_id`),
  );
  return new Map((rows as { id: string; event_id: string; trigger_id: string }[]).map((r) => [`${r.event_id}:${r.trigger_id}`, r.id]));
}

/** Marks the fires' ends in one statement. */
export async function settleFires(database: Database, outcomes: FireOutcome[]): Promise<void> {
  if (!outcomes.length) return;
  await database.system((tx) =>
    tx.execute(sql`
      update trigger_fires f set status = o.status, run_id = o.run_id, error = o.error, due_at = null, updated_at = now()
      from jsonb_to_recordset(${JSON.stringify(outcomes)}::jsonb) as o(id uuid, status text, run_id uuid, error jsonb)
      where f.id = o.id`),
  );
}

/**
 * A debounced trigger's fire for the event (trailing debounce), under an advisory lock on
 * (trigger, key): the key's live fire (`pending`) is superseded by this event's, due `seconds`
 * after this event arrived and carrying one more event; the superseded fire becomes `debounced`
 * and points at the new one (as do those it carried). An event older than the live fire's (two
 * processors took a burst out of order) is carried by it instead. The fire of a pair is still
 * written once: an existing one comes back as it is (a failed one counts another attempt).
 */
export async function debounceFire(database: Database, event: EventRow, trigger: TriggerRow, key: string, seconds: number): Promise<FireRow> {
  return database.withOrg(event.orgId, async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`troupe:debounce:${trigger.id}:${key}`}))`);
    const [existing] = await tx.select().from(triggerFires).where(and(eq(triggerFires.eventId, event.id), eq(triggerFires.triggerId, trigger.id)));
    if (existing) {
      if (existing.status !== 'failed') return existing;
      const [again] = await tx.update(triggerFires).set({ attempts: sql`${triggerFires.attempts} + 1`, updatedAt: new Date() }).where(eq(triggerFires.id, existing.id)).returning();
      return again!;
    }
    const dueAt = new Date(event.createdAt.getTime() + seconds * 1000);
    // The live fire, locked: the due pass skips it while we hold it, and if the due pass took it
    // first, it is no longer pending and this event starts a new window.
    const [live] = await tx
      .select()
      .from(triggerFires)
      .where(and(eq(triggerFires.orgId, event.orgId), eq(triggerFires.triggerId, trigger.id), eq(triggerFires.debounceKey, key), eq(triggerFires.status, 'pending')))
      .limit(1)
      .for('update');
    const base = { orgId: event.orgId, triggerId: trigger.id, eventId: event.id, debounceKey: key };
    // (Equal times, events stored in one statement: the one processed last is the last.)
    if (live && live.dueAt && live.dueAt.getTime() > dueAt.getTime()) {
      const [row] = await tx.insert(triggerFires).values({ ...base, status: 'debounced', carriedBy: live.id }).returning();
      await tx.update(triggerFires).set({ collapsed: sql`${triggerFires.collapsed} + 1`, updatedAt: new Date() }).where(eq(triggerFires.id, live.id));
      return row!;
    }
    const [row] = await tx
      .insert(triggerFires)
      .values({ ...base, status: 'pending', dueAt, collapsed: (live?.collapsed ?? 0) + 1 })
      .returning();
    if (live) {
      await tx.update(triggerFires).set({ status: 'debounced', carriedBy: row!.id, dueAt: null, updatedAt: new Date() }).where(eq(triggerFires.id, live.id));
      await tx.update(triggerFires).set({ carriedBy: row!.id, updatedAt: new Date() }).where(and(eq(triggerFires.orgId, event.orgId), eq(triggerFires.carriedBy, live.id)));
    }
    return row!;
  });
}

/**
 * The fire of (event, trigger), made once: `firing` (go on and start), `queued` (wait for a
 * place under the trigger's concurrency limit), `throttled` (a fire for its key came within the
 * window), or `failed`. An existing one comes back as it is; a failed one counts another attempt
 * (a replay tries it again).
 */
export async function recordFire(database: Database, event: EventRow, trigger: TriggerRow, want: { status: 'firing' | 'queued' | 'failed'; throttleKey?: string | null; throttleSeconds?: number | null; error?: { code: string; message: string } }): Promise<FireRow> {
  return database.withOrg(event.orgId, async (tx) => {
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
    let status: 'firing' | 'queued' | 'failed' | 'throttled' = want.status;
    if (status !== 'failed' && want.throttleKey !== null && want.throttleKey !== undefined && want.throttleSeconds) {
      const [recent] = await tx
        .select({ id: triggerFires.id })
        .from(triggerFires)
        .where(
          and(
            eq(triggerFires.triggerId, trigger.id),
            eq(triggerFires.throttleKey, want.throttleKey),
            sql`${triggerFires.status} in ('firing', 'fired', 'queued')`,
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
