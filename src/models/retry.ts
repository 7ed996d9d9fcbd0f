import { classifyModelError, type ClassifiedError } from './errors.js';

/** What the retry loop reports before it waits. */
export interface RetryInfo {
  /** Which retry this will be: 1 for the first retry (the second call). */
  attempt: number;
  /** How long it waits first. */
  delayMs: number;
  error: ClassifiedError;
  cause: unknown;
}

export interface RetryOptions {
  /** Retries after the first call; 0 = call once. Troupe passes TROUPE_MODEL_MAX_RETRIES (default 3). */
  maxRetries: number;
  /** First backoff ceiling; doubles each retry. Default 500 ms. */
  baseDelayMs?: number;
  /** No wait is longer than this. Default 30 000 ms. */
  maxDelayMs?: number;
  /** Stops waiting and calling as soon as it aborts; the abort reason is thrown. */
  signal?: AbortSignal;
  onRetry?: (info: RetryInfo) => void;
  /** Injectable for tests; default: an abortable timer. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Injectable for tests; default Math.random (used for the jitter). */
  random?: () => number;
  /** Default classifyModelError. */
  classify?: (err: unknown) => ClassifiedError;
}

/** The reason a signal aborted with, as something throwable. */
export function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/** A timer that rejects with the signal's reason as soon as the signal aborts. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(abortReason(signal));
    const onAbort = () => {
      clearTimeout(timer);
      reject(abortReason(signal!));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Calls `fn` until it succeeds, retrying errors that `classify` calls retryable, at most
 * `maxRetries` times. The wait before retry n is "full jitter" — uniform in
 * [0, min(maxDelayMs, baseDelayMs·2^(n-1))] — so many runs hitting one rate limit spread out
 * instead of returning in lockstep. A provider's Retry-After wins over the backoff; when it asks
 * for more than `maxDelayMs`, waiting is pointless for an interactive run, so the error is
 * thrown at once and the caller moves on to its next (fallback) model.
 *
 * Troupe owns retries: every AI SDK call made inside `fn` must pass `maxRetries: 0`, or the SDK
 * retries on its own (2 times by default) and the attempts multiply.
 *
 * `fn` gets the number of retries made so far (0 on the first call). Throws the last error
 * unchanged (classify it again if needed), or the abort reason.
 */
export async function withRetries<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions): Promise<T> {
  const { maxRetries, baseDelayMs = 500, maxDelayMs = 30_000, signal, onRetry } = options;
  const sleep = options.sleep ?? abortableSleep;
  const random = options.random ?? Math.random;
  const classify = options.classify ?? classifyModelError;
  for (let retry = 0; ; retry++) {
    if (signal?.aborted) throw abortReason(signal);
    try {
      return await fn(retry);
    } catch (err) {
      if (signal?.aborted) throw abortReason(signal);
      const error = classify(err);
      if (!error.retryable || retry >= maxRetries) throw err;
      if (error.retryAfterMs !== undefined && error.retryAfterMs > maxDelayMs) throw err;
      const backoff = Math.min(maxDelayMs, baseDelayMs * 2 ** retry);
      const delayMs = error.retryAfterMs ?? Math.floor(random() * backoff);
      onRetry?.({ attempt: retry + 1, delayMs, error, cause: err });
      await sleep(delayMs, signal);
    }
  }
}
