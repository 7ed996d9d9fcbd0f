import { badRequest } from './errors.js';
import type { PageQuery } from './page-schema.js';

export { pageOf, pageQuery, type Page, type PageQuery } from './page-schema.js';

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
