import { and, asc, eq, gt, max, sql } from 'drizzle-orm';
import type { Database, Tx } from '../db/client.js';
import { LeaseLostError } from './errors.js';
import { runEvents, runs, runSteps, type RunError, type StepStatus } from './schema.js';

export type RunRow = typeof runs.$inferSelect;
export type StepRow = typeof runSteps.$inferSelect;
export type EventRow = typeof runEvents.$inferSelect;

/** How long a claimed run stays ours without a write; every fenced write extends it. */
export const LEASE_MS = 30_000;

export interface Lease {
  orgId: string;
  runId: string;
  generation: number;
  owner: string;
  /** Lease length: each fenced write (and the executor's heartbeat) extends it by this much. */
  ms: number;
}

export interface NewEvent {
  type: string;
  data: Record<string, unknown>;
}

/**
 * Persistence of one run by the worker that holds its lease. Every write runs in one transaction
 * that first extends the lease `where generation = ours`: a worker whose lease was taken over
 * gets LeaseLostError and writes nothing (the fence of STYLE.md). Events get consecutive `seq`
 * numbers from a counter only the lease holder advances.
 */
export class RunWriter {
  private nextSeq: number;

  constructor(
    private readonly database: Database,
    readonly lease: Lease,
    lastSeq: number,
  ) {
    this.nextSeq = lastSeq + 1;
  }

  /**
   * Runs fn in a fenced transaction and appends `events` in it. Returns fn's result and the
   * events as written (with their seq), for the live bus. `cancelRequested` tells the loop to stop.
   */
  async write<T>(
    fn: (tx: Tx) => Promise<T>,
    /** Appended in the same transaction; a function decides from fn's result (e.g. none when nothing was done). */
    eventsOf: NewEvent[] | ((result: T) => NewEvent[]) = [],
    runPatch: Partial<typeof runs.$inferInsert> = {},
  ): Promise<{ result: T; events: EventRow[]; cancelRequested: boolean }> {
    const { orgId, runId, generation } = this.lease;
    const firstSeq = this.nextSeq;
    const out = await this.database.withOrg(orgId, async (tx) => {
      const [fence] = await tx
        .update(runs)
        .set({ leaseExpiresAt: sql`now() + make_interval(secs => ${this.lease.ms / 1000})`, updatedAt: sql`now()`, ...runPatch })
        .where(and(eq(runs.id, runId), eq(runs.generation, generation)))
        .returning({ cancelRequestedAt: runs.cancelRequestedAt });
      if (!fence) throw new LeaseLostError(runId);
      const result = await fn(tx);
      const events = typeof eventsOf === 'function' ? eventsOf(result) : eventsOf;
      let written: EventRow[] = [];
      if (events.length) {
        written = await tx
          .insert(runEvents)
          .values(events.map((e, i) => ({ orgId, runId, seq: firstSeq + i, type: e.type, data: e.data })))
          .returning();
      }
      return { result, events: written, cancelRequested: fence.cancelRequestedAt !== null };
    });
    // Only forward: a heartbeat (no events) overlapping a write must not move the counter back.
    this.nextSeq = Math.max(this.nextSeq, firstSeq + out.events.length);
    return out;
  }

  /** Extends the lease (and learns of a cancel request) without writing anything else. */
  async heartbeat(): Promise<{ cancelRequested: boolean }> {
    return this.write(async () => undefined);
  }

  /** Writes a step row as it starts; on the same step key again (resume, approval) it updates that row, counting a retry in `attempts`. */
  startStep(tx: Tx, step: { seq: number; stepKey: string; kind: 'model_call' | 'tool_call'; model?: string; toolName?: string; toolCallId?: string; input: unknown; status?: StepStatus }) {
    const { orgId, runId } = this.lease;
    return tx
      .insert(runSteps)
      .values({ orgId, runId, status: 'started', ...step })
      .onConflictDoUpdate({
        target: [runSteps.runId, runSteps.stepKey],
        // A start over a start that never finished is a retry (the process died mid-call).
        set: { attempts: sql`case when ${runSteps.status} = 'started' then ${runSteps.attempts} + 1 else ${runSteps.attempts} end`, startedAt: sql`now()`, status: step.status ?? 'started' },
      })
      .returning()
      .then((rows) => rows[0]!);
  }

  finishStep(
    tx: Tx,
    stepId: string,
    patch: {
      status: StepStatus;
      output?: unknown;
      error?: RunError | null;
      inputTokens?: number;
      outputTokens?: number;
      cachedInputTokens?: number;
      costMicros?: number;
      billedMicros?: number;
      latencyMs?: number;
      model?: string;
    },
  ) {
    return tx
      .update(runSteps)
      .set({ ...patch, finishedAt: sql`now()` })
      .where(and(eq(runSteps.id, stepId), eq(runSteps.orgId, this.lease.orgId)))
      .returning()
      .then((rows) => rows[0]!);
  }
}

/** Reads of one run's state that any worker or the API may do. */
export async function loadSteps(tx: Tx, orgId: string, runId: string): Promise<StepRow[]> {
  return tx.select().from(runSteps).where(and(eq(runSteps.orgId, orgId), eq(runSteps.runId, runId))).orderBy(asc(runSteps.seq), asc(runSteps.startedAt));
}

export async function lastEventSeq(tx: Tx, runId: string): Promise<number> {
  const [row] = await tx.select({ seq: max(runEvents.seq) }).from(runEvents).where(eq(runEvents.runId, runId));
  return row?.seq ?? 0;
}

export async function eventsAfter(tx: Tx, orgId: string, runId: string, afterSeq: number, limit = 1000): Promise<EventRow[]> {
  return tx
    .select()
    .from(runEvents)
    .where(and(eq(runEvents.orgId, orgId), eq(runEvents.runId, runId), gt(runEvents.seq, afterSeq)))
    .orderBy(asc(runEvents.seq))
    .limit(limit);
}

/**
 * Takes the run for this worker: a queued run, or a running one whose lease expired (its worker
 * died). Bumps `generation`, which fences every write of the previous holder. Null when someone
 * else holds it or it is not runnable.
 */
export async function claimRun(
  database: Database,
  orgId: string,
  runId: string,
  owner: string,
  leaseMs = LEASE_MS,
): Promise<{ lease: Lease; run: RunRow; lastSeq: number; steps: StepRow[] } | null> {
  return database.withOrg(orgId, async (tx) => {
    const [run] = await tx
      .update(runs)
      .set({
        status: 'running',
        leaseOwner: owner,
        leaseExpiresAt: sql`now() + make_interval(secs => ${leaseMs / 1000})`,
        generation: sql`${runs.generation} + 1`,
        startedAt: sql`coalesce(${runs.startedAt}, now())`,
        updatedAt: sql`now()`,
      })
      .where(
        and(
          eq(runs.id, runId),
          eq(runs.orgId, orgId),
          sql`(${runs.status} = 'queued' or (${runs.status} = 'running' and (${runs.leaseExpiresAt} is null or ${runs.leaseExpiresAt} < now())))`,
        ),
      )
      .returning();
    if (!run) return null;
    return { lease: { orgId, runId, generation: run.generation, owner, ms: leaseMs }, run, lastSeq: await lastEventSeq(tx, runId), steps: await loadSteps(tx, orgId, runId) };
  });
}
