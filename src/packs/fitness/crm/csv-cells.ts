/**
 * CSV cells to values, as people write them in spreadsheets. Each converter returns the value or
 * a message saying what the cell should look like; the entity's API schema then checks the
 * value exactly as it checks a request body.
 */
export type Cell<T> = (text: string) => { value: T } | { error: string };

/** A cell as written, minus the apostrophe an export puts before = + - @ (the formula guard), trimmed. */
export function cellText(raw: string): string {
  const text = raw.trim();
  return text.length > 1 && text[0] === "'" && /^[=+\-@\t\r]/.test(text.slice(1)) ? text.slice(1) : text;
}

export const asText: Cell<string> = (text) => ({ value: text });

const TRUE = new Set(['true', 'yes', 'y', '1', 't']);
const FALSE = new Set(['false', 'no', 'n', '0', 'f']);
export const asBool: Cell<boolean> = (text) => {
  const t = text.toLowerCase();
  if (TRUE.has(t)) return { value: true };
  if (FALSE.has(t)) return { value: false };
  return { error: 'must be true or false (yes/no, 1/0 also work)' };
};

export const asInt: Cell<number> = (text) => {
  if (!/^-?\d{1,15}$/.test(text)) return { error: 'must be a whole number' };
  return { value: Number(text) };
};

/** Micro-dollars written as an integer. */
export const asMicros: Cell<number> = (text) => {
  if (!/^\d{1,15}$/.test(text)) return { error: 'must be a whole number of micro-dollars (1 USD = 1000000)' };
  return { value: Number(text) };
};

/**
 * An amount in currency units ("49.99", "$1,234.50", "12") as exact micro-dollars: the digits are
 * read as text, never through a float. At most 6 decimals.
 */
export const asAmount: Cell<number> = (text) => {
  let t = text.replace(/^[$€£]\s*/, '').replace(/\s*(USD|EUR|GBP)$/i, '');
  if (/^\d{1,3}(,\d{3})+(\.\d*)?$/.test(t)) t = t.replaceAll(',', '');
  const m = /^(\d{1,9})(?:\.(\d{0,6}))?$/.exec(t);
  if (!m) return { error: 'must be an amount like 49.99 (no minus sign, at most 6 decimals)' };
  return { value: Number(m[1]) * 1_000_000 + Number((m[2] ?? '').padEnd(6, '0')) };
};

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4}-\d{2}-\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(\.\d{1,6})?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

/** A day (YYYY-MM-DD) or a time (YYYY-MM-DD HH:MM[:SS][.fff], T or a space, Z or an offset; none = UTC), as ISO 8601. */
export const asTime: Cell<string> = (text) => {
  let iso: string | null = null;
  if (DATE.test(text)) iso = `${text}T00:00:00Z`;
  const m = DATE_TIME.exec(text);
  if (m) {
    const offset = !m[6] || m[6].toUpperCase() === 'Z' ? 'Z' : m[6].length === 3 ? `${m[6]}:00` : m[6].includes(':') ? m[6] : `${m[6].slice(0, 3)}:${m[6].slice(3)}`;
    iso = `${m[1]}T${m[2]}:${m[3]}:${m[4] ?? '00'}${m[5] ?? ''}${offset}`;
  }
  if (!iso || Number.isNaN(Date.parse(iso)) || !sameDay(iso)) return { error: 'must be a date (2026-01-31) or a time (2026-01-31 18:30, UTC unless an offset is given)' };
  return { value: iso };
};

/** The calendar day as written exists (Date.parse rolls 2026-02-30 over to March). */
function sameDay(iso: string): boolean {
  const [y, mo, d] = iso.slice(0, 10).split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, mo - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === mo - 1 && date.getUTCDate() === d;
}

export const asDay: Cell<string> = (text) => {
  const m = DATE.exec(text);
  if (!m || !sameDay(`${text}T00:00:00Z`)) return { error: 'must be a date like 1990-04-23' };
  return { value: text };
};

/** An enumeration value, written any way a person would: "No Show", "no-show" and "no_show" are one. */
export const asEnum: Cell<string> = (text) => ({ value: text.toLowerCase().replace(/[\s-]+/g, '_') });

/** A list separated by semicolons (commas also work). */
export const asList: Cell<string[]> = (text) => ({ value: text.split(/[;,|]/).map((s) => s.trim()).filter(Boolean) });
