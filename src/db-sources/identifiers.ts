import { IDENTIFIER_RE, TABLE_NAME_RE } from './enums.js';

/** A schema-qualified table, as Troupe stores it (`public.orders`). */
export interface QualifiedTable {
  schema: string;
  table: string;
}

/** `orders` → public.orders, `sales.orders` → sales.orders; null when it is not a table name (TABLE_NAME_RE). */
export function parseTableName(text: string): QualifiedTable | null {
  if (!TABLE_NAME_RE.test(text)) return null;
  const dot = text.indexOf('.');
  return dot < 0 ? { schema: 'public', table: text } : { schema: text.slice(0, dot), table: text.slice(dot + 1) };
}

/**
 * An identifier quoted for SQL text: in double quotes, a double quote doubled. Names are checked
 * against IDENTIFIER_RE before they get here; the quoting is the second wall, not the first.
 */
export function quoteIdent(name: string): string {
  if (!IDENTIFIER_RE.test(name)) throw new Error(`not an identifier: ${JSON.stringify(name).slice(0, 80)}`);
  return `"${name.replace(/"/g, '""')}"`;
}

export const quoteTable = (t: QualifiedTable) => `${quoteIdent(t.schema)}.${quoteIdent(t.table)}`;
/** A string literal for DDL, where parameters cannot go (trigger arguments). */
export const quoteLiteral = (text: string) => `'${text.replace(/'/g, "''")}'`;

/**
 * The table's part of its event types (`db.<this>.insert`): the table name, with its schema in
 * front unless it is `public` (`db.orders.insert`, `db.sales.orders.insert`). Characters an event
 * type cannot hold (`$`) become `_`.
 */
export function eventTableName(t: QualifiedTable): string {
  const clean = (s: string) => s.replace(/[^A-Za-z0-9_:-]/g, '_');
  return t.schema === 'public' ? clean(t.table) : `${clean(t.schema)}.${clean(t.table)}`;
}

/** The trigger a source installs on its table: one per source, so two sources on one table do not collide. */
export const triggerName = (sourceId: string) => `troupe_src_${sourceId.replace(/-/g, '')}`;
