import { RunStop } from '../errors.js';
import { abortStop, standingNow, type RunContext } from './context.js';
import type { BudgetVerdictPort } from './ports.js';

/** Characters per token assumed for a prompt's estimate; 3 errs on the dear side (English averages about 4). */
export const CHARS_PER_TOKEN = 3;
/** Prompt tokens counted per tool offered to the model (its name, description and JSON Schema). */
export const TOKENS_PER_TOOL = 300;

/** Waits between asking again while other calls hold what is left of a budget: 50 ms, doubling, at most 1 s. */
const retryDelay = (attempt: number) => Math.min(1000, 50 * 2 ** attempt) * (0.75 + Math.random() / 2);

/** What a model call is about to send, for the estimate of its most (decision 44). */
export interface CallShape {
  /** Characters of its prompt: system prompt and messages (as JSON); counted only under a budget. */
  chars: () => number;
  /** Tools offered. */
  tools: number;
  /** Its output limit; null: the model's maximum in the catalog. */
  maxOutputTokens: number | null;
}

/**
 * The budget check before a model call (step `stepKey`). First the check it always was: a verdict
 * on the spend the run holds (its last write's standing plus its own calls since), no query; that
 * is all without a budget (the organization's, as the run's last write saw it, or the agent's).
 * Under a budget the call then reserves the most it can cost
 * (billing/reservations.ts, one statement): granted, it goes ahead; the budget used up, the run
 * stops with `budget_exceeded`; what is left held by other calls in flight, it waits for them
 * (their cost or their lease decides), up to the run's own limits (timeout, cancel).
 */
export async function budgetGate(ctx: RunContext, stepKey: string, shape: CallShape): Promise<void> {
  const { deps, run, agent } = ctx;
  const agentBudget = agent.limits.monthlyBudgetMicros;
  // First the spend this run knows, its own calls exact (also those whose ledger rows are still
  // on their way), others' as of its last write: no query, and the alerts it newly reaches.
  const own = await deps.billing.judge(run.orgId, agent.id, agentBudget, standingNow(ctx));
  if (!own.allowed) throw budgetStop(own);
  if (own.org.budgetMicros === null && agentBudget === null) return;
  const inputTokens = Math.ceil(shape.chars() / CHARS_PER_TOKEN) + shape.tools * TOKENS_PER_TOOL;
  const amount = await deps.billing.maxCallCost(run.orgId, [agent.model, ...agent.fallbackModels], inputTokens, shape.maxOutputTokens, new Date());
  // No model of the chain has a price: the call costs nothing, there is nothing to reserve.
  if (amount === 0) return;
  for (let attempt = 0; ; attempt++) {
    ctx.writer.check();
    if (ctx.signal.aborted) throw abortStop(ctx.signal);
    const answer = await deps.billing.reserve({
      orgId: run.orgId,
      agentId: agent.id,
      runId: run.id,
      generation: ctx.writer.lease.generation,
      stepKey,
      agentBudgetMicros: agentBudget,
      amountMicros: amount,
    });
    // The verdict raises the 80% and 100% alerts the standing newly reaches, as before.
    const verdict = await deps.billing.judge(run.orgId, agent.id, agentBudget, answer.standing);
    if (answer.state === 'granted') return;
    if (answer.state === 'exceeded' || !verdict.allowed) throw budgetStop(verdict);
    // Among the calls holding the rest may be this run's own last one, whose end (and ledger row)
    // is held for the next write: send it now, so its reservation gives way to its actual cost.
    if (attempt === 0) await ctx.writer.flush();
    else await pause(ctx.signal, retryDelay(attempt));
  }
}

/** The stop of a run whose budget is used up. */
export function budgetStop(budget: BudgetVerdictPort): RunStop {
  return new RunStop('failed', 'budget_exceeded', {
    code: 'budget_exceeded',
    category: 'user',
    message:
      budget.reason === 'agent_budget_exceeded'
        ? "The agent's monthly budget is used up; raise it or wait for next month"
        : "The organization's monthly budget is used up; an owner can raise it",
    details: { org: budget.org, agent: budget.agent },
  });
}

/** Sleeps `ms`, or until the run is aborted (then throws its stop). */
function pause(signal: AbortSignal, ms: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortStop(signal));
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
