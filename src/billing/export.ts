import { and, asc, eq, gte, lt, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { agentNames } from '../agents/lookups.js';
import { csvRecord, type CsvValue } from './csv.js';
import { formatUsd } from './money.js';
import { monthRange, type Month } from './month.js';
import { ledgerEntries } from './schema.js';

/** Rows per page read from the database: memory stays flat whatever the month's size. */
const PAGE_SIZE = 2000;

type Row = typeof ledgerEntries.$inferSelect;

/** The export's columns: name and value, in order. Amounts as integer µ$ and as exact dollars. */
const COLUMNS: [string, (r: Row, agentName: string | null) => CsvValue][] = [
  ['created_at', (r) => r.createdAt.toISOString()],
  ['entry_id', (r) => r.id],
  ['agent_id', (r) => r.agentId],
  ['agent_name', (_, name) => name],
  ['run_id', (r) => r.runId],
  ['step_id', (r) => r.stepId],
  ['conversation_id', (r) => r.conversationId],
  ['task_id', (r) => r.taskId],
  ['workflow_id', (r) => r.workflowId],
  ['provider', (r) => r.provider],
  ['model', (r) => r.model],
  ['input_tokens', (r) => r.inputTokens],
  ['cached_input_tokens', (r) => r.cachedInputTokens],
  ['output_tokens', (r) => r.outputTokens],
  ['base_cost_micros', (r) => r.baseCostMicros],
  ['billed_cost_micros', (r) => r.billedCostMicros],
  ['markup_bps', (r) => r.markupBps],
  ['price_effective_from', (r) => r.priceEffectiveFrom],
  ['base_cost_usd', (r) => formatUsd(r.baseCostMicros)],
  ['billed_cost_usd', (r) => formatUsd(r.billedCostMicros)],
];

export const CSV_HEADER = COLUMNS.map(([name]) => name);

interface Cursor {
  at: string;
  id: string;
}

/** One page of the month's rows after `cursor`, oldest first, with the agent names not yet in `names` added. */
async function readPage(
  database: Database,
  orgId: string,
  month: Month,
  cursor: Cursor | null,
  names: Map<string, string>,
  pageSize: number,
): Promise<{ row: Row; at: string }[]> {
  const { start, end } = monthRange(month);
  const t = ledgerEntries;
  return database.withOrg(orgId, async (tx) => {
    const rows = await tx
      .select({ row: t, at: sql<string>`to_char(${t.createdAt} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')` })
      .from(t)
      .where(
        and(
          eq(t.orgId, orgId),
          gte(t.createdAt, start),
          lt(t.createdAt, end),
          cursor ? sql`(${t.createdAt}, ${t.id}) > (${cursor.at}::timestamptz, ${cursor.id}::uuid)` : undefined,
        ),
      )
      .orderBy(asc(t.createdAt), asc(t.id))
      .limit(pageSize);
    const missing = [...new Set(rows.map((r) => r.row.agentId))].filter((id) => !names.has(id));
    for (const [id, name] of await agentNames(tx, orgId, missing)) names.set(id, name);
    return rows;
  });
}

/**
 * The ledger rows of one month (UTC) as CSV chunks, oldest first: a header record, then one
 * record per row. Pages through (created_at, id) so a large month streams instead of loading
 * at once; rows are append-only, so pages cannot shift under the cursor. `pageSize` default 2000.
 */
export async function* ledgerCsv(database: Database, orgId: string, month: Month, pageSize = PAGE_SIZE): AsyncGenerator<string> {
  yield csvRecord(CSV_HEADER);
  const names = new Map<string, string>();
  let cursor: Cursor | null = null;
  for (;;) {
    const page = await readPage(database, orgId, month, cursor, names, pageSize);
    if (page.length === 0) return;
    yield page.map(({ row }) => csvRecord(COLUMNS.map(([, value]) => value(row, names.get(row.agentId) ?? null)))).join('');
    if (page.length < pageSize) return;
    const last = page.at(-1)!;
    cursor = { at: last.at, id: last.row.id };
  }
}
