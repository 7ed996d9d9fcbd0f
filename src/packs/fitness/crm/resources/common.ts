import { eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { AppError } from '../../../../shared/errors.js';
import type { KeysetSort } from '../../../../shared/keyset.js';

export { timestampSort } from '../../../../shared/keyset.js';

/** Sorts by a lower-cased text expression (names as people read them). */
export const textSort = (expr: SQL): KeysetSort => ({
  expr,
  key: sql<string>`${expr}`,
  param: (v) => (typeof v === 'string' ? sql`${v}::text` : null),
});

/** Sorts by an integer column (bigint arrives as a string from raw SQL; values stay below 2^53). */
export const intSort = (column: PgColumn): KeysetSort => ({
  expr: sql`${column}`,
  key: sql<number>`${column}`.mapWith(Number),
  param: (v) => (typeof v === 'number' && Number.isSafeInteger(v) ? sql`${v}::bigint` : null),
});

export const eqIf = (column: PgColumn, value: unknown): SQL | undefined => (value === undefined ? undefined : eq(column, value));
export const anyIf = (column: PgColumn, values: readonly string[] | undefined): SQL | undefined =>
  !values?.length ? undefined : values.length === 1 ? eq(column, values[0]!) : inArray(column, [...values]);

/** A 409 naming the body field whose value another row of the organization already has. */
export const taken = (code: string, field: string, message: string) => () => new AppError(409, code, message, [{ path: `body.${field}`, message: 'already taken' }]);

/** The time to store beside a flag a PATCH sets: now when the value changes, else nothing (keep the old time). */
export const changedAt = (next: boolean | undefined, was: boolean): Date | undefined => (next === undefined || next === was ? undefined : new Date());
