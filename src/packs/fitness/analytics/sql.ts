import { sql, type SQL } from 'drizzle-orm';
import { sumOf } from '../../../billing/money.js';
import type { Tx } from '../../../db/client.js';

/** An instant as a typed SQL literal parameter (both drivers send the same text; no type is left to inference). */
export const at = (d: Date): SQL => sql`${d.toISOString()}::timestamptz`;

/** A count or sum PostgreSQL returned (bigint and numeric arrive as text) as a safe integer; null is 0. */
export const int = (v: unknown): number => sumOf(v);

/** Text or null. */
export const textOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

/** A timestamptz column's value as ISO 8601 (drivers return Date or text). */
export const iso = (v: unknown): string | null => (v === null || v === undefined ? null : new Date(v as string | Date).toISOString());

/**
 * Sends a report's statements at once (one round trip under `readOrg`), after turning just-in-time
 * compilation off for the transaction, and returns their rows in order. The reports' plans join
 * aggregates to aggregates, whose row estimates multiply into costs far past jit_above_cost: on a
 * 50,000-member gym PostgreSQL then spent 300-600 ms compiling a query that runs in 100-200 ms.
 */
export async function statements<Q extends SQL[]>(tx: Tx, ...queries: Q): Promise<{ [K in keyof Q]: Record<string, unknown>[] }> {
  const [, ...results] = await Promise.all([tx.execute(sql`set local jit = off`), ...queries.map((q) => tx.execute(q))]);
  return results.map((r) => r.rows) as { [K in keyof Q]: Record<string, unknown>[] };
}
