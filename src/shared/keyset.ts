import { and, asc, count, desc, sql, type SQL } from 'drizzle-orm';
import type { PgColumn, PgTable } from 'drizzle-orm/pg-core';
import type { Tx } from '../db/client.js';
import { badRequest } from './errors.js';
import { UUID_RE } from './ids.js';
import { assertOneOfOffsetCursor, decodeCursor, encodeCursor, type Page, type PageQuery } from './pagination.js';

/**
 * Keyset (cursor) paging on (sort value, id). A sort says how rows are ordered, how its value is
 * written into a cursor, and how a cursor's value comes back as a typed SQL parameter.
 */
export interface KeysetSort {
  /** What rows are ordered by (before the id tie-breaker). */
  expr: SQL;
  /** The same value as it goes into a cursor: timestamps as text with microseconds, since a JS Date would drop them. */
  key: SQL<string | number>;
  /** The cursor value back as a typed SQL parameter, or null when it cannot be one (a cursor from another sort). */
  param(value: string | number | null): SQL | null;
}

const ISO_MICROS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$/;

export const timestampSort = (column: PgColumn): KeysetSort => ({
  expr: sql`${column}`,
  key: sql<string>`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
  param: (v) => (typeof v === 'string' && ISO_MICROS.test(v) ? sql`${v}::timestamptz` : null),
});

export function keysetOrder(sort: KeysetSort, id: PgColumn, order: 'asc' | 'desc'): SQL[] {
  const dir = order === 'asc' ? asc : desc;
  return [dir(sort.expr), dir(id)];
}

/** Rows strictly after the cursor in the list's order; 400 naming `querystring.cursor` for a foreign cursor. */
export function keysetAfter(sort: KeysetSort, id: PgColumn, order: 'asc' | 'desc', cursor: string, sortName = 'this list'): SQL {
  const position = decodeCursor(cursor);
  const value = sort.param(position.value);
  if (!value || !UUID_RE.test(position.id)) {
    throw badRequest('cursor does not belong to this sort; start again without it', [
      { path: 'querystring.cursor', message: `not a cursor for ${sortName}` },
    ]);
  }
  return order === 'asc' ? sql`(${sort.expr}, ${id}) > (${value}, ${position.id}::uuid)` : sql`(${sort.expr}, ${id}) < (${value}, ${position.id}::uuid)`;
}

/**
 * Builds the page from rows fetched with `limit + 1` (the extra row only tells that another page
 * exists). Each row carries its cursor key and id.
 */
export function toPage<R extends { sortKey: string | number; id: string }, T>(rows: R[], q: PageQuery, total: number, item: (row: R) => T): Page<T> {
  const page = rows.slice(0, q.limit);
  const last = page.at(-1);
  return {
    items: page.map(item),
    total,
    limit: q.limit,
    offset: q.cursor ? null : (q.offset ?? 0),
    nextCursor: rows.length > q.limit && last ? encodeCursor({ value: last.sortKey, id: last.id }) : null,
  };
}

export interface PageSpec<R> {
  table: PgTable & { $inferSelect: R };
  id: PgColumn;
  sort: KeysetSort;
  /** Shown in the error for a cursor that belongs to another sort. */
  sortName?: string;
  where: SQL | undefined;
  /**
   * Count at most this many matches (a log of millions is not counted on every page): past it,
   * `total` is `countUpTo + 1` and `totalExact` false. Default: count them all.
   */
  countUpTo?: number;
}

/**
 * One page of a single-table list, the way every Troupe list pages: `total` counts all matches,
 * then `limit` rows after the cursor (or at the offset), newest first unless asked otherwise.
 */
export async function keysetPage<R, V>(tx: Tx, spec: PageSpec<R>, q: PageQuery, view: (row: R) => V): Promise<Page<V>> {
  assertOneOfOffsetCursor(q);
  const cap = spec.countUpTo;
  const counted =
    cap === undefined
      ? tx.select({ total: count() }).from(spec.table).where(spec.where)
      : tx.select({ total: count() }).from(tx.select({ one: sql`1`.as('one') }).from(spec.table).where(spec.where).limit(cap + 1).as('capped'));
  // Together: on PostgreSQL both go out in one round trip (pipelined, decision 54).
  const [[{ total } = { total: 0 }], rows] = await Promise.all([
    counted,
    tx
      .select({ row: spec.table, id: spec.id, sortKey: spec.sort.key })
      .from(spec.table)
      .where(and(spec.where, q.cursor ? keysetAfter(spec.sort, spec.id, q.sortOrder, q.cursor, spec.sortName) : undefined))
      .orderBy(...keysetOrder(spec.sort, spec.id, q.sortOrder))
      .limit(q.limit + 1)
      .offset(q.offset ?? 0),
  ]);
  const page = toPage(rows as { row: R; id: string; sortKey: string | number }[], q, total, (r) => view(r.row));
  return cap === undefined ? page : { ...page, totalExact: total <= cap };
}
