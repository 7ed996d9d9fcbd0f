import { getTableColumns, type InferSelectModel, type Table } from 'drizzle-orm';

/**
 * A row that a SQL function returned as `to_jsonb(row)` (snake_case keys, timestamps as ISO
 * text), mapped to what Drizzle's `select()` gives for the same row: camelCase keys, Dates,
 * numbers. json and jsonb columns are taken as they are (already parsed).
 */
export function rowFromJson<T extends Table>(table: T, json: Record<string, unknown>): InferSelectModel<T> {
  const out: Record<string, unknown> = {};
  for (const [key, column] of Object.entries(getTableColumns(table))) {
    const value = json[column.name];
    // json and jsonb values arrive parsed; mapping a JSON string value again would parse "42" into 42.
    out[key] = value === null || value === undefined ? null : column.columnType === 'PgJsonb' || column.columnType === 'PgJson' ? value : column.mapFromDriverValue(value);
  }
  return out as InferSelectModel<T>;
}
