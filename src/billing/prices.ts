import { and, desc, eq, lte } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import { utcDay, type PriceRow } from '../models/prices.js';
import { modelPrices } from '../models/schema.js';

/**
 * The price row in force at `at` (latest effective_from ≤ that UTC day), read in the caller's
 * transaction; null when the catalog has no price for the model (local models cost 0).
 *
 * Same query as `ModelService.priceAt`, which reads on its own connection: inside the run
 * engine's transaction that would wait forever on PGlite (one session: a query beside an open
 * transaction queues behind it — checked on this machine). The catalog is global and readable
 * by every role, so the org-scoped transaction sees it.
 */
export async function priceInForce(tx: Tx, provider: string, modelId: string, at: Date): Promise<PriceRow | null> {
  const t = modelPrices;
  const [row] = await tx
    .select()
    .from(t)
    .where(and(eq(t.provider, provider), eq(t.modelId, modelId), lte(t.effectiveFrom, utcDay(at))))
    .orderBy(desc(t.effectiveFrom))
    .limit(1);
  return row ?? null;
}
