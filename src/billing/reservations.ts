import { batcher, type BatchedCall } from '../db/call-batcher.js';
import type { Database } from '../db/client.js';
import { AppError } from '../shared/errors.js';
import { normalize, type SpendStanding } from './budgets.js';
import { formatUsd, sumOf } from './money.js';

/**
 * Budget reservations (decision 44, migration 0015). Before a model call of a run under a budget,
 * the most the call can cost is reserved in the database, checked atomically against budget -
 * spend - the reservations of the other calls in flight, in every process. So concurrent runs
 * overshoot a budget by at most one call's cost per organization (or agent), not by one call per
 * run. Runs without a budget (organization's or agent's) never reserve anything.
 */

export interface ReservationRequest {
  orgId: string;
  agentId: string;
  runId: string;
  /** The run's lease generation: a reservation made by an earlier holder stops counting when the run is claimed again. */
  generation: number;
  /** The model call's step key (`model:3`): the reservation counts until that step has finished. */
  stepKey: string;
  /** The agent's monthly budget; null: none (the organization's still applies). */
  agentBudgetMicros: number | null;
  /** The most the call can cost, billed (maxCallCost). */
  amountMicros: number;
}

export interface ReservationAnswer {
  /**
   * granted: reserved, make the call; exceeded: a budget is used up (the run stops); wait: the
   * other calls in flight hold what is left, ask again once some have finished.
   */
  state: 'granted' | 'exceeded' | 'wait';
  /** The spend standing read with the reservations (committed ledger rows). */
  standing: SpendStanding;
  /** What the other calls in flight hold, organization-wide and for this agent. */
  held: { org: number; agent: number };
}

interface Item {
  org: string;
  run: string;
  generation: number;
  step: string;
  agent: string;
  agentBudget: number | null;
  amount: number;
}

/** Reservations made at the same moment go together, sorted by organization (the locks they take). */
const RESERVE: BatchedCall<Item> = {
  one: 'troupe_budget_reserve',
  args: (i) => [i.org, i.run, i.generation, i.step, i.agent, i.agentBudget, i.amount],
  many: 'troupe_budget_reserves',
  lockKey: (i) => i.org,
};

/** One reservation: one statement (troupe_budget_reserve), shared with the others made at the same moment. */
export async function reserve(database: Database, r: ReservationRequest): Promise<ReservationAnswer> {
  const out = await batcher<Item, { state: ReservationAnswer['state']; spend: SpendStanding; held: { org: unknown; agent: unknown } }>(database, RESERVE).call({
    org: r.orgId,
    run: r.runId,
    generation: r.generation,
    step: r.stepKey,
    agent: r.agentId,
    agentBudget: r.agentBudgetMicros,
    amount: r.amountMicros,
  });
  return { state: out.state, standing: normalize(out.spend), held: { org: sumOf(out.held.org), agent: sumOf(out.held.agent) } };
}

/** Why work over budget is refused up front (troupe_budget_refusal), or null. */
export interface BudgetRefusal {
  scope: 'org' | 'agent';
  spentMicros: number;
  budgetMicros: number;
}

/** The refusal of work over budget, before it is accepted: 402 with code budget_exceeded. */
export function budgetExceeded(r: BudgetRefusal): AppError {
  // Cents when they say it all ($100.00), else every micro-dollar ($0.001500).
  const usd = (micros: number) => `$${formatUsd(micros, micros % 10_000 === 0 ? 2 : 6)}`;
  const spent = `${usd(r.spentMicros)} of ${usd(r.budgetMicros)}`;
  return new AppError(
    402,
    'budget_exceeded',
    r.scope === 'org'
      ? `The organization's monthly budget is used up (${spent}); an owner can raise it, or wait for next month`
      : `The agent's monthly budget is used up (${spent}); raise it (limits.monthlyBudgetMicros) or wait for next month`,
  );
}

/** Null when the organization and the agent may start new work; one key lookup when neither has a budget. */
export async function budgetRefusal(database: Database, orgId: string, agentId: string, agentBudgetMicros: number | null): Promise<BudgetRefusal | null> {
  const r = await database.call<{ scope: 'org' | 'agent'; spentMicros: unknown; budgetMicros: unknown } | null>('troupe_budget_refusal', [orgId, agentId, agentBudgetMicros]);
  return r ? { scope: r.scope, spentMicros: sumOf(r.spentMicros), budgetMicros: sumOf(r.budgetMicros) } : null;
}
