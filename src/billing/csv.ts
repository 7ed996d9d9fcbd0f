/**
 * RFC 4180 CSV: fields separated by commas, records by CRLF; a field holding a comma, a quote,
 * CR or LF is quoted, with quotes doubled. Text that a spreadsheet would run as a formula
 * (starting with = + - @, tab or CR: "CSV injection") gets a leading apostrophe; numbers are
 * written as they are, so a negative amount stays a number.
 */
export type CsvValue = string | number | null;

const FORMULA_START = /^[=+\-@\t\r]/;

export function csvField(value: CsvValue): string {
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  const text = FORMULA_START.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export const csvRecord = (values: readonly CsvValue[]): string => `${values.map(csvField).join(',')}\r\n`;
