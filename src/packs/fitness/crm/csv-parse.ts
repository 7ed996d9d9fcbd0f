/**
 * An RFC 4180 CSV reader: fields separated by commas, records by CRLF, LF or CR; a field in double
 * quotes may hold commas, line breaks and doubled quotes (""); a UTF-8 byte order mark at the start
 * is dropped. Lenient where spreadsheets are: a quote inside an unquoted field is text, a record
 * may have fewer fields than the header (the rest are empty), and blank lines are skipped (they
 * still count, so row numbers match what a spreadsheet shows: the header is row 1).
 */

export interface CsvRecord {
  /** The record's number in the file, the header being 1. */
  row: number;
  cells: string[];
}

export interface CsvTable {
  header: string[];
  records: CsvRecord[];
}

export class CsvSyntaxError extends Error {
  override name = 'CsvSyntaxError';
  constructor(
    readonly row: number,
    message: string,
  ) {
    super(`row ${row}: ${message}`);
  }
}

const COMMA = 44;
const CR = 13;
const LF = 10;
const QUOTE = 34;

/**
 * Reads `input` into its header and records. Throws CsvSyntaxError for a quoted field that is not
 * closed or is followed by text, and when there are more than `maxRecords` records after the header.
 */
export function parseCsv(input: string, maxRecords = Infinity): CsvTable {
  const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
  const n = text.length;
  const rows: CsvRecord[] = [];
  let cells: string[] = [];
  let row = 1;
  let quotedInRecord = false;
  let i = 0;

  const endRecord = () => {
    const blank = cells.length === 1 && cells[0] === '' && !quotedInRecord;
    if (!blank) {
      if (rows.length > maxRecords) throw new CsvSyntaxError(row, `the file has more than ${maxRecords} rows; split it`);
      rows.push({ row, cells });
    }
    cells = [];
    quotedInRecord = false;
    row++;
  };
  /** Moves past the line break at `j`; true when the text ends there. */
  const pastBreak = (j: number) => {
    i = j + (text.charCodeAt(j) === CR && text.charCodeAt(j + 1) === LF ? 2 : 1);
    return i >= n;
  };

  if (n === 0) return { header: [], records: [] };
  for (;;) {
    if (text.charCodeAt(i) === QUOTE) {
      quotedInRecord = true;
      const startRow = row;
      let value = '';
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q === -1) throw new CsvSyntaxError(startRow, 'a quoted field is not closed (a closing " is missing)');
        if (text.charCodeAt(q + 1) === QUOTE) {
          value += text.slice(j, q + 1);
          j = q + 2;
          continue;
        }
        value += text.slice(j, q);
        i = q + 1;
        break;
      }
      cells.push(value);
      if (i >= n) break;
      const c = text.charCodeAt(i);
      if (c === COMMA) {
        i++;
        if (i >= n) {
          cells.push('');
          break;
        }
        continue;
      }
      if (c === CR || c === LF) {
        endRecord();
        if (pastBreak(i)) return finish(rows);
        continue;
      }
      throw new CsvSyntaxError(startRow, 'text follows a closing quote (a quote inside a quoted field is written "")');
    }
    let j = i;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (c === COMMA || c === CR || c === LF) break;
      j++;
    }
    cells.push(text.slice(i, j));
    if (j >= n) break;
    if (text.charCodeAt(j) === COMMA) {
      i = j + 1;
      if (i >= n) {
        cells.push('');
        break;
      }
      continue;
    }
    endRecord();
    if (pastBreak(j)) return finish(rows);
  }
  endRecord();
  return finish(rows);
}

function finish(rows: CsvRecord[]): CsvTable {
  const [header, ...records] = rows;
  return { header: header?.cells ?? [], records };
}
