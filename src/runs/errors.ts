import type { RunError } from './schema.js';

/** The worker no longer holds the run's lease: another worker owns it now, so stop without writing. */
export class LeaseLostError extends Error {
  override name = 'LeaseLostError';
  constructor(runId: string) {
    super(`Lost the lease on run ${runId}; another worker owns it now`);
  }
}

/**
 * Ends the loop on purpose: the run reached a final or waiting state with this reason.
 * Thrown from deep in a step, caught by the executor, which records it.
 */
export class RunStop extends Error {
  override name = 'RunStop';
  constructor(
    readonly status: 'succeeded' | 'failed' | 'canceled' | 'waiting_approval',
    readonly stopReason: string,
    readonly error?: RunError,
  ) {
    super(error?.message ?? stopReason);
  }
}

/** Any thrown value as the stored `{code, category, message}` shape. */
export function toRunError(err: unknown, fallbackCode = 'internal_error'): RunError {
  if (isDatabaseError(err)) {
    // A failed query's message quotes its SQL and may quote its values (a prompt, a chat line);
    // the run's error is readable by the organization, so it gets no more than the log's
    // redacted line says (shared/log-errors.ts).
    return { code: fallbackCode, category: 'system', message: 'An internal database error stopped the run' };
  }
  if (err && typeof err === 'object') {
    const e = err as { code?: unknown; category?: unknown; message?: unknown; status?: unknown };
    const category = e.category === 'user' || e.category === 'third_party' || e.category === 'system' ? e.category : 'system';
    return {
      code: typeof e.code === 'string' ? e.code : fallbackCode,
      category,
      message: typeof e.message === 'string' && e.message ? e.message : 'The run failed',
    };
  }
  return { code: fallbackCode, category: 'system', message: String(err) };
}

/** node-postgres' or PGlite's DatabaseError (a SQLSTATE and a severity), or Drizzle's wrapper of a failed query. */
function isDatabaseError(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, severity, query } = e as { code?: unknown; severity?: unknown; query?: unknown };
    if ((typeof query === 'string' && 'params' in e) || (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && typeof severity === 'string')) return true;
  }
  return false;
}
