import { and, eq } from 'drizzle-orm';
import { agentFromJson } from '../agents/lookups.js';
import { normalize, type SpendStanding } from '../billing/budgets.js';
import { batcher, type BatchedCall } from '../db/call-batcher.js';
import type { Database } from '../db/client.js';
import { rowFromJson } from '../db/json-row.js';
import { runs, runSteps } from './schema.js';
import { LEASE_MS, type AgentRow, type Lease, type RunRow, type StepRow } from './store.js';

/*
 * Taking a run for a worker, and giving it back outside the writer (the writes in between are
 * store.ts's RunWriter).
 */

interface ClaimItem {
  org: string;
  run: string;
  owner: string;
  leaseMs: number;
}

/** Claims of different runs go together too, ordered by run (the rows they lock). */
const RUN_CLAIM: BatchedCall<ClaimItem> = {
  one: 'troupe_run_claim',
  args: (i) => [i.org, i.run, i.owner, i.leaseMs],
  many: 'troupe_runs_claim',
  lockKey: (i) => i.run,
};

export interface Claim {
  lease: Lease;
  run: RunRow;
  lastSeq: number;
  steps: StepRow[];
  /** Null for a workflow run. */
  agent: AgentRow | null;
  spend: SpendStanding;
}

/**
 * Hands a run back to the queue outside its writer, fenced by the lease's generation: after a
 * lost database connection the writer keeps its failure (and the seq of a write that may or may
 * not have landed), so this writes no event, only the state. False when the run was not ours.
 */
export async function handBack(database: Database, lease: Lease): Promise<boolean> {
  const rows = await database.withOrg(lease.orgId, (tx) =>
    tx
      .update(runs)
      .set({ status: 'queued', leaseOwner: null, leaseExpiresAt: null, updatedAt: new Date() })
      .where(and(eq(runs.id, lease.runId), eq(runs.orgId, lease.orgId), eq(runs.generation, lease.generation), eq(runs.status, 'running')))
      .returning({ id: runs.id }),
  );
  return rows.length > 0;
}

/**
 * Takes the run for this worker: a queued run, or a running one whose lease expired (its worker
 * died). Bumps `generation`, which fences every write of the previous holder. Returns with it
 * what the engine needs to start (steps, last event seq, agent, spend): one round trip
 * (troupe_run_claim), shared with the claims of other runs made at the same moment. Null when someone else holds it or it is not runnable.
 */
export async function claimRun(database: Database, orgId: string, runId: string, owner: string, leaseMs = LEASE_MS): Promise<Claim | null> {
  const r = await batcher<
    ClaimItem,
    {
      run: Record<string, unknown>;
      lastSeq: number;
      steps: string | Record<string, unknown>[];
      agent: Record<string, unknown> | null;
      spend: SpendStanding;
    } | null
  >(database, RUN_CLAIM).call({ org: orgId, run: runId, owner, leaseMs });
  if (!r) return null;
  const run = rowFromJson(runs, r.run);
  if (!r.agent && run.agentId !== null) throw new Error(`claimRun: the agent of run ${runId} is missing`);
  return {
    lease: { orgId, runId, generation: run.generation, owner, ms: leaseMs },
    run,
    lastSeq: Number(r.lastSeq),
    // JSON text (migration 0017): parsed here, so step inputs and outputs keep their key order.
    steps: (typeof r.steps === 'string' ? (JSON.parse(r.steps) as Record<string, unknown>[]) : r.steps).map((s) => rowFromJson(runSteps, s)),
    agent: r.agent ? agentFromJson(r.agent) : null,
    spend: normalize(r.spend),
  };
}
