import type { ModelMessage } from 'ai';
import type { Agent } from '../../agents/dto.js';
import type { LiveEvent } from '../bus.js';
import { RunStop } from '../errors.js';
import type { RunRow, RunWriter, StepRow } from '../store.js';
import type { EngineDeps } from './ports.js';
import type { SpendStanding } from '../../billing/budgets.js';
import { monthOf } from '../../billing/month.js';

/** Everything one execution of one run holds while it works. */
export interface RunContext {
  deps: EngineDeps;
  run: RunRow;
  agent: Agent;
  writer: RunWriter;
  /** Steps already in the database when this execution began, by step key (the memo of a resumed run). */
  done: Map<string, StepRow>;
  /** Aborted by cancel, timeout or shutdown; its reason says which. */
  signal: AbortSignal;
  system: string;
  messages: ModelMessage[];
  /** Messages this run produced (assistant and tool), for the conversation. */
  produced: ModelMessage[];
  nextSeq: number;
  totals: { inputTokens: number; outputTokens: number; costMicros: number };
  lastText: string;
  usedRulesModel: boolean;
  /** Spend as of the latest confirmed write, plus the billed cost of ledger rows sent since (for the budget check). */
  budget: { standing: SpendStanding; unconfirmedMicros: number };
}

/** The spend standing the next budget check judges: confirmed plus what this run sent since. */
export function standingNow(ctx: RunContext): SpendStanding {
  const { standing, unconfirmedMicros } = ctx.budget;
  const month = monthOf(new Date());
  // A standing from last month says nothing about this one but our own new spend.
  if (standing.month !== month) return { month, orgSpent: unconfirmedMicros, agentSpent: unconfirmedMicros, orgBudget: standing.orgBudget, raised: [] };
  return { ...standing, orgSpent: standing.orgSpent + unconfirmedMicros, agentSpent: standing.agentSpent + unconfirmedMicros };
}

/** Publishes written events (and any live-only ones) to SSE subscribers. */
export function publish(ctx: RunContext, events: LiveEvent[]) {
  for (const e of events) ctx.deps.bus.publish(ctx.run.id, { seq: e.seq, type: e.type, data: e.data });
}

/** The abort reason as a stop reason: 'canceled' | 'timeout' | 'shutdown'. */
export function abortReason(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  return typeof r === 'string' ? r : 'canceled';
}

/** The stop an aborted signal means: timeout fails the run with a stored error; cancel and shutdown cancel it. */
export function abortStop(signal: AbortSignal): RunStop {
  const reason = abortReason(signal);
  if (reason === 'timeout') {
    return new RunStop('failed', 'timeout', { code: 'timeout', category: 'user', message: "The run took longer than the agent's time limit (limits.timeoutSeconds)" });
  }
  return new RunStop('canceled', 'canceled');
}
