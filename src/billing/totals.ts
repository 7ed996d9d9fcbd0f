import { sql, type SQL } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import { sumOf } from './money.js';

/** Sums over ledger rows. Every figure is an SQL sum, so a report equals its rows exactly. */
export interface UsageTotals {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  baseCostMicros: number;
  billedCostMicros: number;
}

export const ZERO_TOTALS: UsageTotals = { calls: 0, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, baseCostMicros: 0, billedCostMicros: 0 };

/** The select list of the sums; as text, since bigint/numeric sums come back as strings (or BigInt) by driver. */
const SUMS = sql.raw(`count(*)::text as calls,
  coalesce(sum(input_tokens), 0)::text as input_tokens,
  coalesce(sum(output_tokens), 0)::text as output_tokens,
  coalesce(sum(cached_input_tokens), 0)::text as cached_input_tokens,
  coalesce(sum(base_cost_micros), 0)::text as base_cost_micros,
  coalesce(sum(billed_cost_micros), 0)::text as billed_cost_micros`);

export const totalsOf = (row: Record<string, unknown>): UsageTotals => ({
  calls: sumOf(row.calls),
  inputTokens: sumOf(row.input_tokens),
  outputTokens: sumOf(row.output_tokens),
  cachedInputTokens: sumOf(row.cached_input_tokens),
  baseCostMicros: sumOf(row.base_cost_micros),
  billedCostMicros: sumOf(row.billed_cost_micros),
});

/** Ledger rows of one organization in [start, end). */
export const inRange = (orgId: string, start: Date, end: Date): SQL =>
  sql`org_id = ${orgId} and created_at >= ${start.toISOString()}::timestamptz and created_at < ${end.toISOString()}::timestamptz`;

/** Totals of the rows matching `where`. */
export async function sumRows(tx: Tx, where: SQL): Promise<UsageTotals> {
  const { rows } = await tx.execute(sql`select ${SUMS} from ledger_entries where ${where}`);
  return totalsOf(rows[0] ?? {});
}

/**
 * Totals per value of `key` (an SQL expression over ledger_entries), most billed first. The key
 * comes back as text (null stays null: e.g. calls outside any conversation).
 */
export async function sumBy(tx: Tx, where: SQL, key: SQL): Promise<{ key: string | null; totals: UsageTotals }[]> {
  const { rows } = await tx.execute(sql`
    select (${key})::text as key, ${SUMS} from ledger_entries where ${where}
    group by 1 order by sum(billed_cost_micros) desc, 1 nulls first`);
  return rows.map((r) => ({ key: (r.key as string | null) ?? null, totals: totalsOf(r) }));
}

/**
 * Like sumBy, but only the `top` most billed keys; the other keys are summed into `rest` (with
 * how many keys it holds), in the same query, so items plus rest still equal the totals exactly.
 */
export async function sumTopBy(
  tx: Tx,
  where: SQL,
  key: SQL,
  top: number,
): Promise<{ items: { key: string | null; totals: UsageTotals }[]; rest: UsageTotals & { groups: number } }> {
  const { rows } = await tx.execute(sql`
    with g as (
      select (${key})::text as key, count(*) as calls,
        sum(input_tokens) as input_tokens, sum(output_tokens) as output_tokens, sum(cached_input_tokens) as cached_input_tokens,
        sum(base_cost_micros) as base_cost_micros, sum(billed_cost_micros) as billed_cost_micros,
        row_number() over (order by sum(billed_cost_micros) desc, (${key})::text nulls first) as rank
      from ledger_entries where ${where} group by 1
    )
    select case when rank <= ${top} then key end as key, rank > ${top} as rest, count(*)::text as groups,
      sum(calls)::text as calls, sum(input_tokens)::text as input_tokens, sum(output_tokens)::text as output_tokens,
      sum(cached_input_tokens)::text as cached_input_tokens, sum(base_cost_micros)::text as base_cost_micros,
      sum(billed_cost_micros)::text as billed_cost_micros
    from g group by 1, 2 order by 2, sum(billed_cost_micros) desc, 1 nulls first`);
  const items = rows.filter((r) => !r.rest).map((r) => ({ key: (r.key as string | null) ?? null, totals: totalsOf(r) }));
  const restRow = rows.find((r) => r.rest);
  return { items, rest: restRow ? { groups: sumOf(restRow.groups), ...totalsOf(restRow) } : { groups: 0, ...ZERO_TOTALS } };
}
