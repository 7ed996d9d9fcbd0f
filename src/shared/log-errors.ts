import { pino } from 'pino';

/**
 * Errors as log lines, without the values a failed query carried. Drizzle wraps a driver error in
 * a DrizzleQueryError whose message, stack and `params` hold every bound value (chat text,
 * prompts, tool arguments); PostgreSQL's own error adds the failing row in `detail` ("Failing row
 * contains (…)", "Key (name)=(…) already exists") and quotes a value it could not convert. Those
 * are dropped here, at every level, for every logger built by createLogger; the SQL text (with
 * $1 placeholders), the SQLSTATE code, constraint, table and column stay, which is what an
 * operator needs to find the fault.
 */
export function serializeError(err: unknown): unknown {
  return pino.stdSerializers.err(scrub(err, new Set()) as Error);
}

type ErrorLike = Error & Record<string, unknown>;

const isErrorLike = (v: unknown): v is ErrorLike => v instanceof Error;

/** A DrizzleQueryError (drizzle-orm 0.44+): `Failed query: <sql>\nparams: <values>`. */
const isFailedQuery = (e: ErrorLike) => typeof e.query === 'string' && 'params' in e && e.message.startsWith('Failed query:');

/** node-postgres and PGlite errors: a five-character SQLSTATE and a severity. */
const isDatabaseError = (e: ErrorLike) => typeof e.code === 'string' && /^[0-9A-Z]{5}$/.test(e.code) && typeof e.severity === 'string';

const DB_FIELDS = ['code', 'severity', 'schema', 'table', 'column', 'constraint', 'routine'] as const;

/** Whether a database error is in this error, its causes or its aggregated errors. */
function carriesQuery(err: unknown, seen: Set<unknown>): boolean {
  if (!isErrorLike(err) || seen.has(err)) return false;
  seen.add(err);
  if (isFailedQuery(err) || isDatabaseError(err)) return true;
  return carriesQuery(err.cause, seen) || (Array.isArray(err.errors) && err.errors.some((e: unknown) => carriesQuery(e, seen)));
}

// Every other error is logged as it is: copying one could trip over exotic ones (DOMException's
// accessors need the original object).
function scrub(err: unknown, seen: Set<unknown>): unknown {
  if (!isErrorLike(err) || seen.has(err) || !carriesQuery(err, new Set())) return err;
  seen.add(err);
  let message = err.message;
  const drop = new Set<string>();
  if (isFailedQuery(err)) {
    const count = Array.isArray(err.params) ? err.params.length : 0;
    message = `Failed query: ${err.query as string}\nparams: ${count} not logged`;
    drop.add('params');
  }
  if (isDatabaseError(err)) {
    drop.add('detail');
    // Class 22 (data exception) messages quote the value that failed: `invalid input syntax for type uuid: "…"`.
    if ((err.code as string).startsWith('22')) message = message.replace(/: ".*"$/s, ': (value not logged)');
  }
  const copy = Object.create(Object.getPrototypeOf(err) as object) as ErrorLike;
  for (const key of Object.keys(err)) {
    if (drop.has(key)) continue;
    const value = err[key];
    copy[key] = key === 'where' && typeof value === 'string' ? value.replace(/(parameter \$\d+ = )'[^\n]*'/g, '$1(not logged)') : value;
  }
  Object.defineProperty(copy, 'message', { value: message, enumerable: false, writable: true, configurable: true });
  // The stack opens with the original message: rebuild it from the frames alone.
  const frames = (err.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  Object.defineProperty(copy, 'stack', { value: [`${err.name}: ${message}`, ...frames].join('\n'), enumerable: false, writable: true, configurable: true });
  if (err.cause !== undefined) copy.cause = scrub(err.cause, seen);
  // pino logs only a cause's message and stack: lift the driver's SQLSTATE and names up.
  if (isFailedQuery(err) && isErrorLike(err.cause) && isDatabaseError(err.cause)) {
    const cause = err.cause;
    copy.db = Object.fromEntries(DB_FIELDS.filter((k) => cause[k] !== undefined).map((k) => [k, cause[k]]));
  }
  if (Array.isArray(err.errors)) copy.errors = err.errors.map((e: unknown) => scrub(e, seen));
  return copy;
}
