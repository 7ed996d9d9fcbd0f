import type { FastifyInstance } from 'fastify';
import { badRequest } from '../shared/errors.js';

/**
 * PostgreSQL text cannot hold the NUL character (U+0000); a string carrying one would fail deep in
 * a query as a 500. Refuse it at the edge instead, naming the field, for every route at once.
 */
export function registerNulGuard(app: FastifyInstance) {
  app.addHook('preValidation', async (request) => {
    for (const [part, value] of [
      ['body', request.body],
      ['querystring', request.query],
      ['params', request.params],
    ] as const) {
      const path = findNul(value, part);
      if (path) throw badRequest(`${path}: text may not contain the NUL character (\\u0000)`, [{ path, message: 'contains a NUL character' }]);
    }
  });
}

function findNul(value: unknown, path: string, depth = 0): string | null {
  if (typeof value === 'string') return value.includes('\u0000') ? path : null;
  if (depth > 64 || value === null || typeof value !== 'object') return null;
  for (const [key, child] of Object.entries(value)) {
    if (key.includes('\u0000')) return `${path}.${key.replaceAll('\u0000', '\\u0000')}`;
    const found = findNul(child, `${path}.${key}`, depth + 1);
    if (found) return found;
  }
  return null;
}
