import { z } from 'zod';
import { badRequest } from './errors.js';

/**
 * List conventions shared by every list endpoint: `limit` (1–100, default 20) with either
 * `offset` or an opaque `cursor` from the previous page's `nextCursor`; `sortOrder` asc|desc.
 */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  offset: z.coerce.number().int().min(0).max(1_000_000).optional(),
  cursor: z.string().max(500).optional(),
  sortOrder: z.enum(['asc', 'desc']).default('desc'),
});
export type PageQuery = z.infer<typeof pageQuery>;

/** Response envelope for lists: `total` counts every match, not just this page. */
export function pageOf<T extends z.ZodType>(item: T) {
  return z.object({
    items: z.array(item),
    total: z.number().int(),
    limit: z.number().int(),
    offset: z.number().int().nullable(),
    nextCursor: z.string().nullable().describe('Pass as `cursor` for the next page; null on the last page'),
  });
}

export interface Page<T> {
  items: T[];
  total: number;
  limit: number;
  offset: number | null;
  nextCursor: string | null;
}

/** A keyset position: the sort column's value and the row id that breaks ties. */
export interface CursorPosition {
  value: string | number | null;
  id: string;
}

export const encodeCursor = (p: CursorPosition) => Buffer.from(JSON.stringify([p.value, p.id])).toString('base64url');

export function decodeCursor(cursor: string): CursorPosition {
  try {
    const [value, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof id !== 'string' || !(value === null || typeof value === 'string' || typeof value === 'number')) throw new Error();
    return { value, id };
  } catch {
    throw badRequest('cursor is not one this API issued', [{ path: 'querystring.cursor', message: 'invalid cursor' }]);
  }
}

export function assertOneOfOffsetCursor(q: PageQuery) {
  if (q.offset !== undefined && q.cursor !== undefined) {
    throw badRequest('Use either offset or cursor, not both', [{ path: 'querystring.cursor', message: 'conflicts with offset' }]);
  }
}

/** A LIKE/ILIKE pattern matching `text` anywhere, with its wildcards escaped ("50%" means the text "50%"). */
export const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
