import { and, asc, desc, eq, lte, sql, type SQL } from 'drizzle-orm';
import type { Database, Db, Tx } from '../db/client.js';
import type { CatalogEntry } from './catalog.js';
import { isProvider, type ProviderId } from './providers.js';
import { modelPrices } from './schema.js';

/** One model_prices row. */
export type PriceRow = typeof modelPrices.$inferSelect;

/** A model with the price in force on the day asked for. */
export interface CatalogModel extends Omit<PriceRow, 'provider'> {
  provider: ProviderId;
}

export interface ModelFilter {
  provider?: ProviderId;
  /** Case-insensitive substring of the model id or display name. */
  search?: string;
  /** Day whose prices to show; default now. */
  at?: Date;
}

/** The UTC calendar day of `at`, as model_prices.effective_from stores days. */
export const utcDay = (at: Date): string => at.toISOString().slice(0, 10);

/**
 * Writes the catalog in one INSERT … ON CONFLICT DO UPDATE. Rows that already hold the same
 * values are left alone (setWhere), so a normal start writes nothing and leaves no dead tuples.
 * Rows no longer in the catalog are kept: old ledger entries must stay explainable.
 */
export async function upsertPrices(database: Database, entries: readonly CatalogEntry[]): Promise<void> {
  if (entries.length === 0) return;
  const t = modelPrices;
  await database.system((tx) =>
    tx
      .insert(t)
      .values([...entries])
      .onConflictDoUpdate({
        target: [t.provider, t.modelId, t.effectiveFrom],
        set: {
          displayName: sql`excluded.display_name`,
          contextWindow: sql`excluded.context_window`,
          maxOutputTokens: sql`excluded.max_output_tokens`,
          inputPerMtokMicros: sql`excluded.input_per_mtok_micros`,
          outputPerMtokMicros: sql`excluded.output_per_mtok_micros`,
          cachedInputPerMtokMicros: sql`excluded.cached_input_per_mtok_micros`,
        },
        setWhere: sql`(${t.displayName}, ${t.contextWindow}, ${t.maxOutputTokens}, ${t.inputPerMtokMicros}, ${t.outputPerMtokMicros}, ${t.cachedInputPerMtokMicros})
          is distinct from (excluded.display_name, excluded.context_window, excluded.max_output_tokens,
          excluded.input_per_mtok_micros, excluded.output_per_mtok_micros, excluded.cached_input_per_mtok_micros)`,
      }),
  );
}

/**
 * Every model with a price in force on `filter.at` (default today, UTC), one row per model: the
 * latest effective_from ≤ that day. Ordered by provider, then model id. Rows of providers this
 * build does not know are skipped (they could not be called anyway).
 */
export async function currentPrices(database: Database, filter: ModelFilter = {}): Promise<CatalogModel[]> {
  const t = modelPrices;
  const where: SQL[] = [lte(t.effectiveFrom, utcDay(filter.at ?? new Date()))];
  if (filter.provider) where.push(eq(t.provider, filter.provider));
  if (filter.search) {
    // strpos, not LIKE: the search text needs no escaping of % and _.
    const needle = filter.search.toLowerCase();
    where.push(sql`(strpos(lower(${t.modelId}), ${needle}) > 0 or strpos(lower(${t.displayName}), ${needle}) > 0)`);
  }
  const rows = await database.db
    .selectDistinctOn([t.provider, t.modelId])
    .from(t)
    .where(and(...where))
    .orderBy(asc(t.provider), asc(t.modelId), desc(t.effectiveFrom));
  return rows.filter((r): r is CatalogModel => isProvider(r.provider));
}

/**
 * The price row in force at `at`: the one with the latest effective_from ≤ that UTC day; null if
 * none. `q` is the unscoped handle or a caller's transaction: billing reads inside the run
 * engine's transaction, since a second one would wait forever on PGlite (one session). The
 * catalog is global and readable by every role, so an org-scoped transaction sees it.
 */
export async function priceRowAt(q: Db | Tx, provider: string, modelId: string, at: Date): Promise<PriceRow | null> {
  const t = modelPrices;
  const [row] = await q
    .select()
    .from(t)
    .where(and(eq(t.provider, provider), eq(t.modelId, modelId), lte(t.effectiveFrom, utcDay(at))))
    .orderBy(desc(t.effectiveFrom))
    .limit(1);
  return row ?? null;
}

/** Every price row of one model, oldest first (future-dated rows included). */
export async function priceHistory(database: Database, provider: string, modelId: string): Promise<PriceRow[]> {
  const t = modelPrices;
  return database.db
    .select()
    .from(t)
    .where(and(eq(t.provider, provider), eq(t.modelId, modelId)))
    .orderBy(asc(t.effectiveFrom));
}
