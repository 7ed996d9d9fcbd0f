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
