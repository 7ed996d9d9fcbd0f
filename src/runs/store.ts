import { and, asc, eq, gt } from 'drizzle-orm';
import type { AgentRow } from '../agents/lookups.js';
import { normalize, type SpendStanding } from '../billing/budgets.js';
import { batcher, type BatchedCall } from '../db/call-batcher.js';
import type { Database, Tx } from '../db/client.js';
import type { LiveEvent } from './bus.js';
import { LeaseLostError } from './errors.js';
import { runEvents, type runs, type runSteps, type RunError, type StepStatus } from './schema.js';

export type RunRow = typeof runs.$inferSelect;
export type StepRow = typeof runSteps.$inferSelect;
export type EventRow = typeof runEvents.$inferSelect;
export type { AgentRow };

/** The longest a held write waits for company before it goes alone (see RunWriter.send). */
export const HOLD_MS = 20;

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

/** A step row as it starts; on the same step key again (resume, approval) the row is reused and a retry counted. */
export interface StepStart {
  seq: number;
  stepKey: string;
  kind: 'model_call' | 'tool_call' | 'node';
  model?: string;
  toolName?: string;
  toolCallId?: string;
  input: unknown;
  status?: StepStatus;
}

/** The end of a step (by key); fields left out keep their value. */
export interface StepFinish {
  stepKey: string;
  status: StepStatus;
  output?: unknown;
  error?: RunError | null;
  model?: string;
  inputTokens?: number;
  outputTokens?: number;
  cachedInputTokens?: number;
  costMicros?: number;
  billedMicros?: number;
  latencyMs?: number;
}

/** A ledger row for the model-call step `stepKey` (its step_id is looked up in the write). */
export interface LedgerRow {
  stepKey: string;
  agentId: string;
  conversationId: string | null;
  taskId: string | null;
  /** The workflow the run serves (an agent node's child run), for usage by workflow. */
  workflowId?: string | null;
  provider: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  baseCostMicros: number;
  billedCostMicros: number;
  markupBps: number;
  priceEffectiveFrom: string | null;
  at: Date;
}

export interface RunPatch {
  status?: RunRow['status'];
  stopReason?: string;
  error?: RunError | null;
  output?: string;
  deadlineAt?: Date;
  /** Sets finished_at. */
  finished?: boolean;
  /** Gives the lease up (lease owner and expiry cleared). */
  release?: boolean;
  usedRulesModel?: boolean;
  /** A workflow run's output, or an agent run's structured output. */
  result?: unknown;
  /** A parked workflow run's earliest timer (null: none). */
  wakeAt?: Date | null;
}

export interface RunCounters {
  stepCount?: number;
  inputTokens?: number;
  outputTokens?: number;
  cachedInputTokens?: number;
  costMicros?: number;
  billedMicros?: number;
}

/** Everything one fenced write may carry; troupe_run_write applies it in one statement. */
export interface Write {
  start?: StepStart[];
  finish?: StepFinish[];
  ledger?: LedgerRow[];
  events?: NewEvent[];
  /** System audit entries targeting this run. */
  audit?: { action: string; details?: Record<string, unknown> }[];
  patch?: RunPatch;
  add?: RunCounters;
  /** Commit synchronously (the write guards a side effect that must not be repeated). */
  durable?: boolean;
  /** Return the spend standing of this agent after the write. */
  spendAgent?: string;
}

export interface WriteResult {
  /** The events written, with their seq, for the live bus. */
  events: LiveEvent[];
  /** Billed cost of the ledger rows written. */
  billedMicros: number;
  cancelRequested: boolean;
  spend: SpendStanding | null;
}

interface SqlWrite extends Omit<Write, 'events'> {
  events?: (NewEvent & { seq: number })[];
}

interface WriteItem {
  org: string;
  run: string;
  generation: number;
  leaseMs: number;
  w: SqlWrite;
}

interface RawWriteResult {
  fenced?: boolean;
  cancel?: boolean;
  spend?: SpendStanding | null;
  /** troupe_run_park: every approval was already decided, the run went back to queued. */
  requeued?: boolean;
}

/**
 * Writes of different runs go to the database together (db/call-batcher.ts), ordered by the
 * monthly_spend row their ledger rows lock.
 */
const RUN_WRITE: BatchedCall<WriteItem> = {
  one: 'troupe_run_write',
  args: (i) => [i.org, i.run, i.generation, i.leaseMs, JSON.stringify(i.w)],
  many: 'troupe_runs_write',
  lockKey: (i) => `${i.org}/${i.w.ledger?.[0]?.agentId ?? ''}/${i.run}`,
};

interface Pending {
  write: SqlWrite;
  resolve: (r: WriteResult) => void;
  reject: (err: unknown) => void;
}

const concat = <T>(a: T[] | undefined, b: T[] | undefined) => (a && b ? [...a, ...b] : (a ?? b));

/**
 * A step's input or output as the JSON text it is stored as (a json column, decision 45): it is
 * replayed into prompts when the run resumes, and a value that went through jsonb comes back with
 * its object keys reordered, a different prompt that misses the provider's prompt cache.
 */
const asJsonText = (value: unknown): string | undefined => (value === undefined ? undefined : JSON.stringify(value));

/** Several writes as one, in order: lists concatenated, later patch fields win, counters summed. */
function merge(writes: SqlWrite[]): SqlWrite {
  if (writes.length === 1) return writes[0]!;
  const out: SqlWrite = {};
  for (const w of writes) {
    out.start = concat(out.start, w.start);
    out.finish = concat(out.finish, w.finish);
    // One UPDATE applies the batch: a step finished twice in it would take either row, so the later wins.
    if (out.finish && w.finish && out.finish.length > w.finish.length) {
      const later = new Map(w.finish.map((f) => [f.stepKey, f]));
      out.finish = [...out.finish.slice(0, out.finish.length - w.finish.length).filter((f) => !later.has(f.stepKey)), ...w.finish];
    }
    out.ledger = concat(out.ledger, w.ledger);
    out.events = concat(out.events, w.events);
    out.audit = concat(out.audit, w.audit);
    if (w.patch) out.patch = { ...out.patch, ...w.patch };
    if (w.add) {
      const add: Record<string, number> = { ...out.add };
      for (const [k, v] of Object.entries(w.add)) add[k] = (add[k] ?? 0) + (v as number);
      out.add = add;
    }
    if (w.durable) out.durable = true;
    if (w.spendAgent) out.spendAgent = w.spendAgent;
  }
  return out;
}

/**
 * Persistence of one run by the worker that holds its lease: an ordered write chain.
 *
 * Every write is one call of troupe_run_write, which first extends the lease `where generation =
 * ours`: a worker whose lease was taken over gets LeaseLostError and writes nothing (the fence of
 * STYLE.md). Writes go to the database in the order they were sent; a write sent while another
 * is in flight waits and is merged with any others waiting into one call (group commit), so the
 * records of a fast loop cost one round trip per batch, not per row.
 *
 * `send` does not wait: the engine records repeatable work (the end of a model call, idempotent
 * tools) while it goes on, held briefly so it rides with the next write. `commit` waits for the
 * write and everything sent before it; the engine uses it for the start of every model call,
 * before and after any side effect that must not happen twice, and at the end of the run. A
 * failed write fails every later one; the loop hears of it at its next `commit` or `check`.
 */
export class RunWriter {
  private nextSeq: number;
  private queue: Pending[] = [];
  private inFlight: Promise<void> | null = null;
  private failure: unknown = null;
  private last: Promise<unknown> = Promise.resolve();
  private holdTimer: NodeJS.Timeout | null = null;

  constructor(
    private readonly database: Database,
    readonly lease: Lease,
    lastSeq: number,
    /** Called with every write's result, in order (the executor publishes events and notices cancels). */
    private readonly onResult: (r: WriteResult) => void = () => {},
    /** Called once when a write fails (the executor stops the run on a lost lease). */
    private readonly onFailure: (err: unknown) => void = () => {},
  ) {
    this.nextSeq = lastSeq + 1;
  }

  /**
   * Queues a write; resolves once it is in the database. Rejections are also kept for `check`.
   * With `hold`, the write waits up to HOLD_MS for the next one to ride along with (the record
   * of a model call goes with the start of the next, one round trip for both).
   */
  send(w: Write, opts: { hold?: boolean } = {}): Promise<WriteResult> {
    if (this.failure) return Promise.reject(this.failure);
    const write = this.numbered(w);
    const p = new Promise<WriteResult>((resolve, reject) => this.queue.push({ write, resolve, reject }));
    p.catch(() => {}); // kept in this.failure; surfaced by check/commit
    this.last = p;
    if (!opts.hold) this.pump();
    else if (!this.holdTimer) {
      this.holdTimer = setTimeout(() => {
        this.holdTimer = null;
        this.pump();
      }, HOLD_MS);
      this.holdTimer.unref();
    }
    return p;
  }

  /** Sends a write and waits until it and every earlier one are in the database. */
  async commit(w: Write): Promise<WriteResult> {
    this.check();
    return this.send(w);
  }

  /** Waits for every write sent so far (held ones go now). */
  async flush(): Promise<void> {
    this.check();
    this.pump();
    await this.last;
    this.check();
  }

  /** Throws the failure of an earlier write, if any. */
  check() {
    if (this.failure) throw this.failure;
  }

  /**
   * A write plus work of the caller's in one transaction (e.g. the conversation's messages with
   * the end of a chat run). Waits for the chain first, so it stays in order.
   */
  async write<T>(fn: (tx: Tx) => Promise<T>, w: Write): Promise<{ result: T } & WriteResult> {
    await this.flush();
    const write = this.numbered(w);
    const p = this.database.withOrg(this.lease.orgId, async (tx) => {
      const out = await this.call(write, tx);
      return { result: await fn(tx), ...out };
    });
    this.last = p.catch(() => {});
    const out = await p;
    this.onResult(out);
    return out;
  }

  /**
   * The write that stops the run to wait for a person, after every earlier write: one call
   * (troupe_run_park, migration 0018) that, holding the run's row, writes `wait` if one of the
   * run's approvals is still pending, and `requeue` if all were decided while the run was on its
   * way to the wait (decision 40: a decision is consumed whenever the run reaches its wait).
   */
  async park(wait: Write, requeue: Write): Promise<WriteResult & { requeued: boolean }> {
    return this.parkWith('troupe_run_park', wait, requeue, []);
  }

  /**
   * A workflow run's park (troupe_workflow_park): `wait` unless one of `children` finished, one of
   * `approvalIds` was decided, or a cancel was asked meanwhile; then `requeue`.
   */
  async parkWorkflow(wait: Write, requeue: Write, children: string[], approvalIds: string[]): Promise<WriteResult & { requeued: boolean }> {
    return this.parkWith('troupe_workflow_park', wait, requeue, [`{${children.join(',')}}`, `{${approvalIds.join(',')}}`]);
  }

  private async parkWith(fn: string, wait: Write, requeue: Write, extra: string[]): Promise<WriteResult & { requeued: boolean }> {
    await this.flush();
    // Both numbered from the same seq: one of them is written.
    const seq = this.nextSeq;
    const waiting = this.numbered(wait);
    this.nextSeq = seq;
    const requeued = this.numbered(requeue);
    const { orgId, runId, generation, ms } = this.lease;
    const p = this.database.call<RawWriteResult>(fn, [orgId, runId, generation, ms, JSON.stringify(waiting), JSON.stringify(requeued), ...extra]);
    this.last = p.catch(() => {});
    const r = await p;
    if (r.fenced) throw new LeaseLostError(runId);
    const out = { ...result(r.requeued ? requeued : waiting, r), requeued: r.requeued === true };
    this.onResult(out);
    return out;
  }

  /**
   * Extends the lease (and learns of a cancel request) without writing anything else. Outside
   * the chain: a heartbeat that fails for a passing reason must not fail the run's writes.
   */
  heartbeat(): Promise<WriteResult> {
    return this.call({}, undefined, true);
  }

  /**
   * The write with its events numbered (consecutive seqs, from a counter only the lease holder
   * advances) and its step inputs and outputs as JSON text, taken now.
   */
  private numbered(w: Write): SqlWrite {
    return {
      ...w,
      start: w.start?.map((st) => ({ ...st, input: asJsonText(st.input) })),
      finish: w.finish?.map((f) => (f.output === undefined ? f : { ...f, output: asJsonText(f.output) })),
      events: w.events?.map((e) => ({ ...e, seq: this.nextSeq++ })),
    };
  }

  private pump() {
    if (this.holdTimer) {
      clearTimeout(this.holdTimer);
      this.holdTimer = null;
    }
    if (this.inFlight || this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.inFlight = this.call(merge(batch.map((b) => b.write))).then(
      (r) => {
        this.inFlight = null;
        this.onResult(r);
        for (const b of batch) b.resolve(r);
        this.pump();
      },
      (err: unknown) => {
        this.inFlight = null;
        if (!this.failure) {
          this.failure = err;
          this.onFailure(err);
        }
        for (const b of [...batch, ...this.queue]) b.reject(err);
        this.queue = [];
      },
    );
  }

  /** `alone`: a call of its own, not batched (a heartbeat holds one row lock and waits for none, so it can be in no deadlock). */
  private async call(w: SqlWrite, tx?: Tx, alone = false): Promise<WriteResult> {
    const { orgId, runId, generation, ms } = this.lease;
    const item: WriteItem = { org: orgId, run: runId, generation, leaseMs: ms, w };
    const r =
      tx || alone
        ? await this.database.call<RawWriteResult>(RUN_WRITE.one, RUN_WRITE.args(item), tx)
        : await batcher<WriteItem, RawWriteResult>(this.database, RUN_WRITE).call(item);
    if (r.fenced) throw new LeaseLostError(runId);
    return result(w, r);
  }
}

/** What the engine learns from a write it sent (`w`) and the database's answer (`r`). */
function result(w: SqlWrite, r: RawWriteResult): WriteResult {
  return {
    events: (w.events ?? []).map((e) => ({ seq: e.seq, type: e.type, data: e.data })),
    billedMicros: (w.ledger ?? []).reduce((sum, l) => sum + l.billedCostMicros, 0),
    cancelRequested: r.cancel === true,
    spend: r.spend ? normalize(r.spend) : null,
  };
}

/** Events of a run after `afterSeq`, for SSE replay. */
export async function eventsAfter(tx: Tx, orgId: string, runId: string, afterSeq: number, limit = 1000): Promise<EventRow[]> {
  return tx
    .select()
    .from(runEvents)
    .where(and(eq(runEvents.orgId, orgId), eq(runEvents.runId, runId), gt(runEvents.seq, afterSeq)))
    .orderBy(asc(runEvents.seq))
    .limit(limit);
}
