import { notFound } from './errors.js';

export const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Ids in paths: a malformed id cannot name anything, so it is simply not found (404, not 400). */
export function uuidOr404(id: string, what: string): string {
  if (!UUID_RE.test(id)) throw notFound(what);
  return id;
}
