import { eq } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import { organizations } from '../db/tenancy.js';
import { costMicros, type TokenPrices } from '../models/cost.js';
import { billedMicros } from './money.js';
import { priceRowAt } from '../models/prices.js';
import { ledgerEntries } from './schema.js';

/** One model call, as the run engine reports it. Token counts as the AI SDK gives them. */
export interface ModelCallEntry {
  orgId: string;
  agentId: string;
  runId: string;
  /** The model-call step; one ledger row per step, whatever the number of attempts to write it. */
  stepId: string;
  conversationId?: string | null;
  taskId?: string | null;
  workflowId?: string | null;
  provider: string;
  model: string;
  /** Every prompt token, cached ones included. */
  inputTokens: number;
  outputTokens: number;
  /** The part of inputTokens read from the provider's cache. */
  cachedInputTokens: number;
  /** When the call happened: picks the price in force and the month the row counts in. */
  at: Date;
}

/** The money figures of a ledger row. */
export interface LedgerFigures {
  baseCostMicros: number;
  billedCostMicros: number;
  markupBps: number;
  /** effective_from of the price used; null when the model has no list price (cost 0). */
  priceEffectiveFrom: string | null;
}

/** Cached reads the caller may supply (BillingService does); without them both are read in `tx`. */
export interface LedgerLookups {
  price?: (provider: string, model: string, at: Date) => ReturnType<typeof priceRowAt>;
  markupBps?: (orgId: string) => Promise<number>;
}

/** Used to validate token counts even when the model has no price. */
const FREE: TokenPrices = { inputPerMtokMicros: 0, outputPerMtokMicros: 0, cachedInputPerMtokMicros: 0 };

const figures = (row: typeof ledgerEntries.$inferSelect): LedgerFigures => ({
  baseCostMicros: row.baseCostMicros,
  billedCostMicros: row.billedCostMicros,
  markupBps: row.markupBps,
  priceEffectiveFrom: row.priceEffectiveFrom,
});

/**
 * The money figures of one call: base cost at `price` (null: no list price, cost 0), billed cost
 * with the markup, rounded half up. Throws RangeError on impossible token counts.
 */
export function priceFigures(
  price: Awaited<ReturnType<typeof priceRowAt>>,
  usage: { inputTokens: number; outputTokens: number; cachedInputTokens: number },
  markupBps: number,
): LedgerFigures {
  const base = costMicros(price ?? FREE, usage);
  return { baseCostMicros: base, billedCostMicros: billedMicros(base, markupBps), markupBps, priceEffectiveFrom: price?.effectiveFrom ?? null };
}

/**
 * Writes the ledger row of one model call in the caller's org-scoped transaction and returns its
 * figures. Base cost: costMicros() at the catalog price in force at `entry.at`; billed cost:
 * base plus the organization's markup (organizations.markup_bps, default 2000 = 20%), rounded
 * half up. The row's created_at is `entry.at`, so it counts in the month the call happened.
 *
 * Idempotent per stepId: a repeated call for the same step writes nothing and returns the
 * figures already recorded (the first price and markup stand, even if they changed since).
 * Throws RangeError on impossible token counts (negative, fractional, cached > input).
 */
export async function recordModelCall(tx: Tx, entry: ModelCallEntry, lookups: LedgerLookups = {}): Promise<LedgerFigures> {
  const usage = { inputTokens: entry.inputTokens, outputTokens: entry.outputTokens, cachedInputTokens: entry.cachedInputTokens };
  const price = await (lookups.price ?? ((p, m, at) => priceRowAt(tx, p, m, at)))(entry.provider, entry.model, entry.at);
  const org = lookups.markupBps
    ? { markupBps: await lookups.markupBps(entry.orgId) }
    : (await tx.select({ markupBps: organizations.markupBps }).from(organizations).where(eq(organizations.id, entry.orgId)))[0];
  if (!org) throw new Error(`recordModelCall: organization ${entry.orgId} is not visible in this transaction`);
  const money = priceFigures(price, usage, org.markupBps);

  const [row] = await tx
    .insert(ledgerEntries)
    .values({
      orgId: entry.orgId,
      agentId: entry.agentId,
      runId: entry.runId,
      stepId: entry.stepId,
      conversationId: entry.conversationId ?? null,
      taskId: entry.taskId ?? null,
      workflowId: entry.workflowId ?? null,
      provider: entry.provider,
      model: entry.model,
      ...usage,
      ...money,
      createdAt: entry.at,
    })
    .onConflictDoNothing({ target: ledgerEntries.stepId })
    .returning();
  if (row) return figures(row);

  const [existing] = await tx.select().from(ledgerEntries).where(eq(ledgerEntries.stepId, entry.stepId));
  // step_id is unique across organizations; row-level security hides another organization's row.
  if (!existing) throw new Error(`recordModelCall: step ${entry.stepId} is already billed to another organization`);
  return figures(existing);
}
