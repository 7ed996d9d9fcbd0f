import { and, count, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Tx } from '../db/client.js';
import { keysetAfter, keysetOrder, toPage, type KeysetSort } from '../shared/keyset.js';
import { assertOneOfOffsetCursor, type Page, type PageQuery } from '../shared/pagination.js';

export interface PageSpec<R> {
  table: PgTable & { $inferSelect: R };
  id: PgColumn;
  sort: KeysetSort;
  /** Shown in the error for a cursor that belongs to another sort. */
  sortName: string;
  where: SQL | undefined;
}

/** One page of a tool-data list (offset or cursor), the same way every Troupe list pages. */
export async function keysetPage<R, V>(tx: Tx, spec: PageSpec<R>, q: PageQuery, view: (row: R) => V): Promise<Page<V>> {
  assertOneOfOffsetCursor(q);
  const [{ total } = { total: 0 }] = await tx.select({ total: count() }).from(spec.table).where(spec.where);
  const rows = await tx
    .select({ row: spec.table, id: spec.id, sortKey: spec.sort.key })
    .from(spec.table)
    .where(and(spec.where, q.cursor ? keysetAfter(spec.sort, spec.id, q.sortOrder, q.cursor, spec.sortName) : undefined))
    .orderBy(...keysetOrder(spec.sort, spec.id, q.sortOrder))
    .limit(q.limit + 1)
    .offset(q.offset ?? 0);
  return toPage(rows as { row: R; id: string; sortKey: string | number }[], q, total, (r) => view(r.row));
}
