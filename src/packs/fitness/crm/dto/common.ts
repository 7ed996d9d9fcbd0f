import { z } from 'zod';
import { pageQuery } from '../../../../shared/page-schema.js';

// Field shapes shared by the fitness CRM's API schemas. Pure: imports only zod (the dashboard
// reads these files too). Input fields are defined once without defaults; each entity's create
// schema adds defaults and its update schema makes every field optional, so a PATCH never resets
// a field it did not mention. `null` clears a nullable field; an empty string does too.

/** `schema` or null; an empty string is null too (what HTML forms send for "nothing"). */
export const orBlank = <T extends z.ZodType<unknown, string>>(schema: T) =>
  z
    .union([z.literal(''), schema])
    .nullable()
    .transform((v) => (v === '' ? null : (v as z.output<T> | null)));

/** Trimmed text up to `max` characters. */
export const text = (max: number) => z.string().trim().max(max);
/** Trimmed, 1 to `max` characters. */
export const name = (max = 200) => z.string().trim().min(1).max(max);
/** Trimmed text or null; blank is null. */
export const nullableText = (max: number) =>
  z
    .string()
    .trim()
    .max(max)
    .nullable()
    .transform((v) => v || null);
export const email = orBlank(z.email().max(254))
  .transform((v) => v?.toLowerCase() ?? null)
  .describe("Stored lower-case; unique among the organization's contacts");
export const phone = orBlank(
  z
    .string()
    .trim()
    .max(40)
    .regex(/^\+?[0-9 ().\-/]*[0-9][0-9 ().\-/]*(?:\s*(?:x|ext\.?)\s*[0-9]+)?$/i, 'must be a phone number: digits, spaces, + ( ) - . /'),
);
export const externalId = nullableText(200).describe('Id in the system the record came from; unique in the organization');
export const ref = (what: string) => z.uuid().describe(`${what} id`);
export const nullableRef = (what: string) => orBlank(z.uuid()).describe(`${what} id, or null`);
const YEARS = 'must be in the years 1900 to 2999';
const sensibleYear = (s: string) => s >= '1900' && s < '3000';
export const time = z.iso
  .datetime({ offset: true })
  .refine(sensibleYear, YEARS)
  .transform((s) => new Date(s))
  .describe('ISO 8601 time with Z or an offset');
export const nullableTime = orBlank(time);
export const day = z.iso.date().refine(sensibleYear, YEARS).describe('YYYY-MM-DD');
export const nullableDay = orBlank(day);
export const micros = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).describe('Micro-dollars (1 USD = 1 000 000)');
export const currency = z
  .string()
  .trim()
  .toUpperCase()
  .regex(/^[A-Z]{3}$/, 'must be a three-letter ISO 4217 code, e.g. USD')
  .describe('ISO 4217 code');
export const tags = z
  .array(z.string().trim().toLowerCase().min(1).max(50))
  .max(50)
  .transform((list) => [...new Set(list)])
  .describe('Stored lower-case, without repeats');
export const jsonObject = z.record(z.string(), z.unknown());

/** Shapes of the responses: what the database holds, checked loosely so old rows always serialize. */
export const out = {
  id: z.uuid(),
  time: z.string().describe('ISO 8601, UTC'),
  nullableTime: z.string().nullable().describe('ISO 8601, UTC'),
  day: z.string().nullable().describe('YYYY-MM-DD'),
  int: z.number().int(),
  micros: z.number().int().describe('Micro-dollars'),
  number: z.number(),
  nullableNumber: z.number().nullable(),
  text: z.string(),
  nullableText: z.string().nullable(),
  nullableId: z.uuid().nullable(),
  bool: z.boolean(),
};
export const rowBase = { id: out.id, orgId: out.id, createdAt: out.time };
export const rowTimes = { ...rowBase, updatedAt: out.time };

/** Makes every field optional (for PATCH bodies), keeping each field's own null rules. */
export function optionalAll<T extends Record<string, z.ZodType>>(fields: T): { [K in keyof T]: z.ZodOptional<T[K]> } {
  return Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, v.optional()])) as { [K in keyof T]: z.ZodOptional<T[K]> };
}

/** `status=a,b` or `status=a&status=b`: any of these values. */
export function anyOf<T extends readonly [string, ...string[]]>(values: T, what = 'value') {
  return z
    .union([z.string(), z.array(z.string())])
    .transform((v, ctx) => {
      const list = [...new Set((Array.isArray(v) ? v : [v]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean))];
      const unknown = list.filter((s) => !(values as readonly string[]).includes(s));
      if (unknown.length) ctx.addIssue({ code: 'custom', message: `unknown ${what} ${unknown.map((s) => `"${s}"`).join(', ')}; one of ${values.join(', ')}` });
      return list as T[number][];
    })
    .describe(`Any of these, comma-separated or repeated: ${values.join(', ')}`);
}

/** The page parameters plus `from`/`to` (inclusive) on the list's time, and a sort among `sorts`. */
export function listQuery<S extends readonly [string, ...string[]]>(sorts: S, timeName: string, sortOrder: 'asc' | 'desc' = 'desc') {
  return pageQuery.extend({
    from: time.optional().describe(`${timeName} at or after this time`),
    to: time.optional().describe(`${timeName} at or before this time`),
    sortBy: z.enum(sorts).default(sorts[0]),
    sortOrder: z.enum(['asc', 'desc']).default(sortOrder),
  });
}

export const searchText = z
  .string()
  .trim()
  .max(200)
  .optional()
  .transform((v) => v || undefined);
export const idFilter = z.uuid().optional();
