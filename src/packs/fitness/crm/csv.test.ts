import { describe, expect, it } from 'vitest';
import { asAmount, asBool, asDay, asEnum, asList, asTime, cellText } from './csv-cells.js';
import { toCell } from './csv-export.js';
import { CsvSyntaxError, parseCsv } from './csv-parse.js';
import { csvRecord } from '../../../billing/csv.js';

describe('parseCsv (RFC 4180)', () => {
  it('reads a header and records, with row numbers as a spreadsheet shows them', () => {
    expect(parseCsv('a,b\n1,2\n3,4\n')).toEqual({
      header: ['a', 'b'],
      records: [
        { row: 2, cells: ['1', '2'] },
        { row: 3, cells: ['3', '4'] },
      ],
    });
  });

  it('takes quoted fields with commas, doubled quotes and line breaks, CRLF, CR and a BOM', () => {
    const text = '\uFEFFname,note\r\n"Doe, Jane","said ""hi""\r\nthen left"\r\nBob,plain\rAnn,"x"';
    const { header, records } = parseCsv(text);
    expect(header).toEqual(['name', 'note']);
    expect(records).toEqual([
      { row: 2, cells: ['Doe, Jane', 'said "hi"\r\nthen left'] },
      { row: 3, cells: ['Bob', 'plain'] },
      { row: 4, cells: ['Ann', 'x'] },
    ]);
  });

  it('keeps empty fields, a trailing empty field and quoted empty strings; skips blank lines but counts them', () => {
    expect(parseCsv('a,b,c\n,,\n\n"",x,\n1,2,').records).toEqual([
      { row: 2, cells: ['', '', ''] },
      { row: 4, cells: ['', 'x', ''] },
      { row: 5, cells: ['1', '2', ''] },
    ]);
  });

  it('treats a quote inside an unquoted field as text', () => {
    expect(parseCsv('h\n5\'11"').records[0]!.cells).toEqual(['5\'11"']);
  });

  it('refuses an unclosed quote and text after a closing quote, naming the row', () => {
    expect(() => parseCsv('a,b\n1,"open\n2,3')).toThrow(CsvSyntaxError);
    expect(() => parseCsv('a,b\n1,"open\n2,3')).toThrow(/row 2: a quoted field is not closed/);
    expect(() => parseCsv('a\n"x"y')).toThrow(/row 2: text follows a closing quote/);
  });

  it('stops at the row limit', () => {
    expect(() => parseCsv('a\n1\n2\n3', 2)).toThrow(/more than 2 rows/);
    expect(parseCsv('a\n1\n2', 2).records).toHaveLength(2);
  });

  it('reads an empty file as nothing', () => {
    expect(parseCsv('')).toEqual({ header: [], records: [] });
    expect(parseCsv('\uFEFF')).toEqual({ header: [], records: [] });
  });

  it('reads back what the export writes, formula guard included', () => {
    const values = ['=SUM(A1)', '+1 555 0100', '-x', '@me', 'a "quote", and, commas', 'line\r\nbreak', null, 42, -7];
    const written = csvRecord(['h1', 'h2', 'h3', 'h4', 'h5', 'h6', 'h7', 'h8', 'h9']) + csvRecord(values.map(toCell));
    expect(written).toContain("'=SUM(A1)");
    expect(written).toContain("'+1 555 0100");
    const cells = parseCsv(written).records[0]!.cells.map(cellText);
    expect(cells).toEqual(['=SUM(A1)', '+1 555 0100', '-x', '@me', 'a "quote", and, commas', 'line\r\nbreak', '', '42', '-7']);
  });
});

describe('cells', () => {
  it('reads amounts exactly, in micro-dollars', () => {
    expect(asAmount('49.99')).toEqual({ value: 49_990_000 });
    expect(asAmount('$1,234.5')).toEqual({ value: 1_234_500_000 });
    expect(asAmount('0.000001')).toEqual({ value: 1 });
    expect(asAmount('12')).toEqual({ value: 12_000_000 });
    expect(asAmount('19.99 USD')).toEqual({ value: 19_990_000 });
    for (const bad of ['-5', '1.2345678', 'abc', '1,23.4']) expect(asAmount(bad)).toHaveProperty('error');
  });

  it('reads times as ISO, UTC unless an offset is given, and refuses impossible days', () => {
    expect(asTime('2026-01-31')).toEqual({ value: '2026-01-31T00:00:00Z' });
    expect(asTime('2026-01-31 18:30')).toEqual({ value: '2026-01-31T18:30:00Z' });
    expect(asTime('2026-01-31T18:30:05.123+02:00')).toEqual({ value: '2026-01-31T18:30:05.123+02:00' });
    expect(asTime('2026-01-31T18:30:05-0500')).toEqual({ value: '2026-01-31T18:30:05-05:00' });
    for (const bad of ['2026-02-30', '31/01/2026', 'soon', '2026-01-31T25:00']) expect(asTime(bad)).toHaveProperty('error');
    expect(asDay('1990-04-23')).toEqual({ value: '1990-04-23' });
    expect(asDay('1990-02-29')).toHaveProperty('error');
  });

  it('reads booleans, enumerations and lists as people write them', () => {
    expect([asBool('Yes'), asBool('n'), asBool('1'), asBool('FALSE')]).toEqual([{ value: true }, { value: false }, { value: true }, { value: false }]);
    expect(asBool('maybe')).toHaveProperty('error');
    expect(asEnum('No Show')).toEqual({ value: 'no_show' });
    expect(asEnum('past-due')).toEqual({ value: 'past_due' });
    expect(asList('vip; morning ,, yoga')).toEqual({ value: ['vip', 'morning', 'yoga'] });
  });

  it('takes the export formula guard off, and only that', () => {
    expect(cellText("  '=1+1 ")).toBe('=1+1');
    expect(cellText("'+44 20")).toBe('+44 20');
    expect(cellText("O'Brien")).toBe("O'Brien");
    expect(cellText("'quoted'")).toBe("'quoted'");
  });
});
