import type { FastifyInstance } from 'fastify';
import { badRequest } from '../shared/errors.js';

/**
 * How deeply a request's JSON may nest (the body object itself is level 1). Real payloads stay far
 * below it (agent contexts, tool arguments); 5,000 levels overflowed the stack in JSON.stringify,
 * and everything the server stores is nested a few levels further inside its own records.
 */
export const MAX_JSON_DEPTH = 64;

/** NUL (PostgreSQL text cannot hold it) or a lone UTF-16 surrogate (jsonb refuses it; text silently gets U+FFFD). */
// eslint-disable-next-line no-control-regex -- NUL is exactly what is looked for
const BAD_CHAR = /[\u0000\p{Cs}]/u;
// Shown in a path instead of the character itself, so the problem stays readable and well-formed.
// eslint-disable-next-line no-control-regex -- as above
const BAD_CHARS = /[\u0000\p{Cs}]/gu;
const PARTS = ['body', 'querystring', 'params'] as const;

/**
 * One guard at the edge for what would otherwise fail deep in a query or a serializer as a 500:
 * NUL characters and lone surrogates in any string or object key, and JSON nested deeper than
 * MAX_JSON_DEPTH, in the body, query string and path parameters of every route. It runs before
 * validation (after authentication) and answers 400 naming the field. The walk is iterative, so
 * no depth the JSON parser accepts can overflow the stack here (V8's JSON.parse and
 * secure-json-parse's prototype scan are iterative too).
 */
export function registerInputGuard(app: FastifyInstance) {
  app.addHook('preValidation', async (request) => {
    for (const part of PARTS) {
      const bad = inspect(request[part === 'querystring' ? 'query' : part], part);
      if (bad) throw badRequest(`${bad.path}: ${bad.detail}`, [{ path: bad.path, message: bad.message }]);
    }
  });
}

interface Finding {
  path: string;
  message: string;
  detail: string;
}

/** A container still to visit; its path is rebuilt from the parent chain only when reported. */
interface Frame {
  value: object;
  depth: number;
  parent: Frame | null;
  key: string;
}

/** The first problem in `value` (depth first), or null. */
export function inspect(value: unknown, root: string): Finding | null {
  if (typeof value === 'string') return checkString(value, root);
  if (value === null || typeof value !== 'object') return null;
  const stack: Frame[] = [{ value, depth: 1, parent: null, key: root }];
  while (stack.length) {
    const frame = stack.pop()!;
    if (frame.depth > MAX_JSON_DEPTH) {
      return {
        path: pathOf(frame),
        message: `is nested deeper than ${MAX_JSON_DEPTH} levels`,
        detail: `JSON may nest at most ${MAX_JSON_DEPTH} levels deep`,
      };
    }
    const entries: [string, unknown][] = Array.isArray(frame.value) ? frame.value.map((v, i) => [String(i), v]) : Object.entries(frame.value);
    for (const [key, child] of entries) {
      if (BAD_CHAR.test(key)) {
        const found = checkString(key, `${pathOf(frame)}.${shown(key)}`);
        if (found) return { ...found, message: `name ${found.message}` };
      }
      if (typeof child === 'string') {
        const found = BAD_CHAR.test(child) ? checkString(child, `${pathOf(frame)}.${shown(key)}`) : null;
        if (found) return found;
      } else if (child !== null && typeof child === 'object') {
        stack.push({ value: child, depth: frame.depth + 1, parent: frame, key });
      }
    }
  }
  return null;
}

function checkString(text: string, path: string): Finding | null {
  if (text.includes('\u0000')) return { path, message: 'contains a NUL character', detail: 'text may not contain the NUL character (\\u0000)' };
  if (BAD_CHAR.test(text)) {
    return {
      path,
      message: 'contains an unpaired UTF-16 surrogate',
      detail: 'text must be well-formed Unicode (a \\ud800-\\udfff escape must be half of a surrogate pair)',
    };
  }
  return null;
}

function pathOf(frame: Frame): string {
  const keys: string[] = [];
  for (let f: Frame | null = frame; f; f = f.parent) keys.push(f.parent ? shown(f.key) : f.key);
  return keys.reverse().join('.');
}

/** A key as it appears in a path: bad characters escaped, very long names cut. */
function shown(key: string): string {
  const escaped = key.replace(BAD_CHARS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > 100 ? `${escaped.slice(0, 100)}…` : escaped;
}
