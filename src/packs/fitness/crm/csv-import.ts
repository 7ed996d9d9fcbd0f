import type { Database, Tx } from '../../../db/client.js';
import { AppError, badRequest, type FieldError } from '../../../shared/errors.js';
import type { Actor } from '../../../shared/roles.js';
import { cellText, type Cell } from './csv-cells.js';
import { CsvSyntaxError, parseCsv } from './csv-parse.js';
import { pgErrorOf, type CrudTable, type Values } from './resource.js';

/**
 * CSV import: a file's rows become rows of one table, all or nothing by default. The header names
 * the columns; each is matched to a field by name (case, spaces, `_` and `-` ignored, plus a few
 * aliases), and `mapping` (CSV header → field, or null to skip a column) overrides that. Every
 * cell is converted (csv-cells.ts), then each row goes through the same rules as the API, with
 * what it refers to (contacts by external id or email, plans by name) read once for the file.
 * Inserts are multi-row, in one transaction.
 */

/** Rows at most in one file (a 16 MiB body holds about 100,000 contact rows). */
export const MAX_IMPORT_ROWS = 100_000;
/** Problems listed in a report at most; `errorCount` counts them all. */
export const MAX_REPORTED_ERRORS = 1000;
const INSERT_BATCH = 500;
export const IMPORT_MODES = ['all', 'partial'] as const;
export type ImportMode = (typeof IMPORT_MODES)[number];

export interface ImportColumn {
  field: string;
  cell: Cell<unknown>;
  /** A row whose cell is empty is refused. */
  required?: boolean;
  /** Other header spellings, normalized (lower-case letters and digits only). */
  aliases?: string[];
}

export interface RowProblem {
  field: string | null;
  message: string;
}

export interface ImportSpec<P> {
  entity: 'contacts' | 'subscriptions' | 'payments';
  table: CrudTable;
  columns: ImportColumn[];
  /** Fields at least one column must map to: each entry lists alternatives. */
  required: string[][];
  /** Fields whose problems belong to other columns (contactId → contactExternalId, contactEmail). */
  fieldColumns?: Record<string, string[]>;
  /** Reads what the rows refer to, once for the file. */
  prefetch(tx: Tx, orgId: string, rows: Values[]): Promise<P>;
  /** One row's values to insert (org_id included), or what is wrong with it. Called in row order. */
  build(row: Values, rowNumber: number, p: P, actor: Actor): { values: Values } | { problems: RowProblem[] };
}

export interface ImportError {
  /** The record's number in the file, the header being 1 (as a spreadsheet shows it). */
  row: number;
  /** The CSV header of the column at fault, or null for the row as a whole. */
  column: string | null;
  field: string | null;
  message: string;
}

export interface ImportReport {
  entity: string;
  dryRun: boolean;
  mode: ImportMode;
  /** Data rows in the file. */
  rows: number;
  /** Rows without a problem (what was imported, or would be). */
  valid: number;
  imported: number;
  /** Rows with at least one problem (not imported). */
  failed: number;
  columns: { column: string; field: string | null }[];
  errors: ImportError[];
  errorCount: number;
}

export interface ImportOptions {
  dryRun: boolean;
  mode: ImportMode;
}

/** A header or field name compared loosely: "First Name", "first_name" and "firstName" are one. */
export const normalizeName = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, '');

/** Which field each CSV column feeds (null: skipped). 400 for a mapping that does not fit the file. */
export function resolveColumns(spec: ImportSpec<unknown>, header: string[], mapping: Record<string, string | null> = {}): (ImportColumn | null)[] {
  const byName = new Map<string, ImportColumn>();
  for (const c of spec.columns) for (const n of [normalizeName(c.field), ...(c.aliases ?? [])]) byName.set(n, c);
  const fields = new Map(spec.columns.map((c) => [c.field, c]));
  const problems: FieldError[] = [];
  for (const key of Object.keys(mapping)) {
    if (!header.includes(key)) problems.push({ path: `body.mapping.${key}`, message: `the CSV has no column "${key}"; its columns are ${header.map((h) => `"${h}"`).join(', ')}` });
  }
  const columns = header.map((h) => {
    if (Object.prototype.hasOwnProperty.call(mapping, h)) {
      const field = mapping[h];
      if (field === null || field === undefined) return null;
      const column = fields.get(field);
      if (!column) problems.push({ path: `body.mapping.${h}`, message: `unknown field "${field}"; one of ${[...fields.keys()].join(', ')}` });
      return column ?? null;
    }
    return byName.get(normalizeName(h)) ?? null;
  });
  const seen = new Map<string, string>();
  columns.forEach((c, i) => {
    if (!c) return;
    const other = seen.get(c.field);
    if (other !== undefined) problems.push({ path: 'body.mapping', message: `columns "${other}" and "${header[i]}" both feed ${c.field}; map one of them to null` });
    seen.set(c.field, header[i]!);
  });
  for (const alternatives of spec.required) {
    if (!alternatives.some((f) => seen.has(f))) {
      problems.push({ path: 'body.csv', message: `no column for ${alternatives.join(' or ')} (name a column so, or map one in mapping)` });
    }
  }
  if (problems.length) throw badRequest(`${problems[0]!.path}: ${problems[0]!.message}`, problems, 'invalid_import');
  return columns;
}

/** Reads a file and imports it (unless `dryRun`); see ImportReport. Nothing is written when a row fails in mode `all`. */
export async function importCsv<P>(
  database: Database,
  actor: Actor,
  spec: ImportSpec<P>,
  body: { csv: string; mapping?: Record<string, string | null> },
  options: ImportOptions,
): Promise<ImportReport> {
  let table;
  try {
    table = parseCsv(body.csv, MAX_IMPORT_ROWS);
  } catch (err) {
    if (err instanceof CsvSyntaxError) throw badRequest(`The CSV cannot be read: ${err.message}`, [{ path: 'body.csv', message: err.message }], 'invalid_csv');
    throw err;
  }
  const header = table.header.map((h) => h.trim());
  if (header.length === 0 || header.every((h) => h === '')) throw badRequest('The CSV is empty: it needs a header row naming the columns', [{ path: 'body.csv', message: 'is empty' }], 'invalid_csv');
  const dup = header.find((h, i) => h !== '' && header.indexOf(h) !== i);
  if (dup !== undefined) throw badRequest(`Two columns are named "${dup}"`, [{ path: 'body.csv', message: `two columns are named "${dup}"` }], 'invalid_csv');
  if (table.records.length === 0) throw badRequest('The CSV has a header but no rows', [{ path: 'body.csv', message: 'has no rows' }], 'invalid_csv');
  const columns = resolveColumns(spec as ImportSpec<unknown>, header, body.mapping);

  const errors: ImportError[] = [];
  let errorCount = 0;
  const columnOf = (field: string | null): string | null => {
    if (field === null) return null;
    for (const f of [field, ...(spec.fieldColumns?.[field] ?? [])]) {
      const i = columns.findIndex((c) => c?.field === f);
      if (i >= 0) return header[i]!;
    }
    return null;
  };
  const report = (row: number, problems: RowProblem[]) => {
    errorCount += problems.length;
    for (const p of problems) if (errors.length < MAX_REPORTED_ERRORS) errors.push({ row, column: columnOf(p.field), field: p.field, message: p.message });
  };

  // Cells to values; a row with a bad cell goes no further.
  const parsed: { row: number; values: Values }[] = [];
  let failed = 0;
  for (const record of table.records) {
    const values: Values = {};
    const problems: RowProblem[] = [];
    columns.forEach((column, i) => {
      if (!column) return;
      const text = cellText(record.cells[i] ?? '');
      if (text === '') {
        if (column.required) problems.push({ field: column.field, message: 'is required' });
        return;
      }
      const result = column.cell(text);
      if ('error' in result) problems.push({ field: column.field, message: result.error });
      else values[column.field] = result.value;
    });
    const extra = record.cells.slice(header.length).filter((c) => c.trim() !== '').length;
    if (extra) problems.push({ field: null, message: `has ${record.cells.length} fields; the header has ${header.length}` });
    if (problems.length) {
      failed++;
      report(record.row, problems);
    } else parsed.push({ row: record.row, values });
  }

  return database.withOrg(actor.orgId, async (tx) => {
    const p = await spec.prefetch(tx, actor.orgId, parsed.map((r) => r.values));
    const good: Values[] = [];
    for (const { row, values } of parsed) {
      const built = spec.build(values, row, p, actor);
      if ('problems' in built) {
        failed++;
        report(row, built.problems);
      } else good.push(built.values);
    }
    const write = !options.dryRun && good.length > 0 && (failed === 0 || options.mode === 'partial');
    if (write) {
      try {
        for (let i = 0; i < good.length; i += INSERT_BATCH) await tx.insert(spec.table).values(good.slice(i, i + INSERT_BATCH) as never);
      } catch (err) {
        // Only a write made meanwhile by someone else can still collide (every row was checked).
        if (pgErrorOf(err)?.code === '23505') throw new AppError(409, 'import_conflict', 'Rows were added meanwhile that collide with this file (the same email or external id); nothing was imported. Try again.');
        throw err;
      }
    }
    return {
      entity: spec.entity,
      dryRun: options.dryRun,
      mode: options.mode,
      rows: table.records.length,
      valid: good.length,
      imported: write ? good.length : 0,
      failed,
      columns: header.map((column, i) => ({ column, field: columns[i]?.field ?? null })),
      errors: errors.sort((a, b) => a.row - b.row),
      errorCount,
    };
  });
}
