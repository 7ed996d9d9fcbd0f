/** Writing results for people (tables, `key: value`) and for scripts (`--json`). */

/** Writes one line to stdout. */
export function printLine(line = ''): void {
  process.stdout.write(`${line}\n`);
}

/** Writes a note for the person at the terminal to stderr, so stdout stays clean for scripts. */
export function printNote(line: string): void {
  process.stderr.write(`${line}\n`);
}

/** Writes `value` as pretty JSON to stdout (`--json`). */
export function printJson(value: unknown): void {
  printLine(JSON.stringify(value, null, 2));
}

/** An ISO timestamp as `YYYY-MM-DD HH:MM` UTC; anything else unchanged. */
export function shortTime(value: unknown): string {
  if (typeof value !== 'string' || !/^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(value)) return display(value);
  return `${value.slice(0, 10)} ${value.slice(11, 16)}`;
}

/** A scalar as shown in human output: null/undefined as `-`, arrays comma-separated. */
export function display(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (Array.isArray(value)) return value.length ? value.map(display).join(', ') : '-';
  if (typeof value === 'object') return JSON.stringify(value);
  const text = String(value);
  return text === '' ? '-' : text;
}

export interface Column<T> {
  header: string;
  value: (row: T) => string;
}

/** Rows as an aligned plain-text table with a header line (the last column is not padded). */
export function formatTable<T>(columns: readonly Column<T>[], rows: readonly T[]): string {
  const cells = [columns.map((c) => c.header), ...rows.map((row) => columns.map((c) => oneLine(c.value(row))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i]!.length)));
  return cells
    .map((line) => line.map((cell, i) => (i === line.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ').trimEnd())
    .join('\n');
}

/**
 * An object as `key: value` lines; nested objects are flattened to dotted keys
 * (`limits.maxSteps: 10`) and multi-line text is indented under its key.
 */
export function formatKeyValues(object: Record<string, unknown>): string {
  const entries: [string, unknown][] = [];
  const walk = (prefix: string, value: unknown) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length) {
      for (const [k, v] of Object.entries(value)) walk(prefix ? `${prefix}.${k}` : k, v);
    } else entries.push([prefix, value]);
  };
  walk('', object);
  const width = Math.max(0, ...entries.map(([k]) => k.length + 1));
  return entries
    .map(([key, value]) => {
      const text = display(value).trimEnd();
      const label = `${key}:`.padEnd(width);
      return text.includes('\n') ? `${key}:\n${text.replace(/^/gm, '  ')}` : `${label} ${text}`;
    })
    .join('\n');
}

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, ' ');
