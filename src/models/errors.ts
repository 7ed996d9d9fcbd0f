import { APICallError, LoadAPIKeyError, NoSuchModelError } from '@ai-sdk/provider';
import { AppError } from '../shared/errors.js';

/** Who has to act on a failure: the organization (user), Troupe (system) or the provider (third_party). */
export type ErrorCategory = 'user' | 'system' | 'third_party';

/**
 * A model-call failure classified once, at the boundary: the retry loop, the fallback chain and
 * the run record decide from these fields alone. `message` is safe to store and show (key-like
 * strings are redacted).
 */
export interface ClassifiedError {
  retryable: boolean;
  /** From the provider's `retry-after-ms` / `retry-after` header, when it sent one. */
  retryAfterMs?: number;
  code: string;
  category: ErrorCategory;
  message: string;
  /** HTTP status of the provider's answer, when there was one. */
  status?: number;
}

// Codes of Node/undici network failures that are worth another try (a restart, a dropped
// connection, a slow proxy). The AI SDK wraps most of them in a retryable APICallError already;
// this catches the ones that arrive raw, e.g. from a custom fetch.
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'ENETUNREACH',
  'EHOSTUNREACH',
  'UND_ERR_SOCKET',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

const MAX_MESSAGE = 500;

/**
 * Provider error bodies sometimes echo part of the key ("Incorrect API key provided: sk-ab…"):
 * anything shaped like a key is cut out before the message is stored on a run or logged.
 */
export function redactKeys(text: string): string {
  return text.replace(/\b(?:sk|gsk|rk|pk|xai)[-_][A-Za-z0-9_*.-]{6,}|\bAIza[A-Za-z0-9_-]{20,}/g, '[redacted]');
}

const clip = (text: string) => {
  const clean = redactKeys(text.replace(/\s+/g, ' ').trim());
  return clean.length > MAX_MESSAGE ? `${clean.slice(0, MAX_MESSAGE - 1)}…` : clean;
};

/**
 * Milliseconds to wait from a provider's headers: `retry-after-ms` (OpenAI) first, then
 * `retry-after` as seconds or as an HTTP date. Undefined when absent or unreadable; never negative.
 */
export function parseRetryAfter(headers: Record<string, string> | undefined, now = Date.now()): number | undefined {
  if (!headers) return undefined;
  const get = (name: string) => headers[name] ?? Object.entries(headers).find(([k]) => k.toLowerCase() === name)?.[1];
  const ms = Number.parseFloat(get('retry-after-ms') ?? '');
  if (Number.isFinite(ms)) return Math.max(0, Math.round(ms));
  const raw = get('retry-after')?.trim();
  if (!raw) return undefined;
  if (/^\d+(\.\d+)?$/.test(raw)) return Math.round(Number(raw) * 1000);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/** Walks `cause` links (bounded) looking for something that matches. */
function findCause(err: unknown, match: (e: Record<string, unknown>) => boolean): Record<string, unknown> | undefined {
  let e = err;
  for (let depth = 0; e && typeof e === 'object' && depth < 5; depth++) {
    if (match(e as Record<string, unknown>)) return e as Record<string, unknown>;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

/** A cancellation (AbortSignal), as opposed to a failure: never retried, never a reason to fall back. */
export const isAbortError = (err: unknown) => err instanceof Error && err.name === 'AbortError';

function fromStatus(err: APICallError, status: number): ClassifiedError {
  const message = clip(err.message || `HTTP ${status}`);
  const retryAfterMs = parseRetryAfter(err.responseHeaders);
  const base = { status, message, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
  if (status === 401 || status === 403) return { ...base, retryable: false, code: 'provider_auth_failed', category: 'user' };
  if (status === 404) return { ...base, retryable: false, code: 'provider_model_not_found', category: 'user' };
  if (status === 408) return { ...base, retryable: true, code: 'provider_timeout', category: 'third_party' };
  if (status === 409) return { ...base, retryable: true, code: 'provider_conflict', category: 'third_party' };
  if (status === 429) return { ...base, retryable: true, code: 'provider_rate_limited', category: 'third_party' };
  if (status >= 500) return { ...base, retryable: true, code: 'provider_unavailable', category: 'third_party' };
  if (status === 400 || status === 413 || status === 422) {
    return { ...base, retryable: false, code: 'provider_rejected_request', category: 'user' };
  }
  return { ...base, retryable: err.isRetryable, code: 'provider_error', category: 'third_party' };
}

/**
 * Classifies any error thrown by a model call (AI SDK errors, network errors, Troupe's own
 * AppErrors such as `missing_credential`). Retryable: 408, 409, 429, ≥ 500 and network
 * failures. 401/403 → `provider_auth_failed`, 400 → `provider_rejected_request`, neither
 * retried: the next model in the fallback chain is tried instead. An AI SDK `RetryError`
 * (only seen when a caller forgot `maxRetries: 0`) is judged by its last error.
 */
export function classifyModelError(err: unknown): ClassifiedError {
  const last = (err as { lastError?: unknown } | null)?.lastError;
  if (err instanceof Error && err.name === 'AI_RetryError' && last) return classifyModelError(last);

  if (isAbortError(err)) return { retryable: false, code: 'aborted', category: 'system', message: 'The call was canceled' };
  if (err instanceof AppError) {
    return { retryable: false, code: err.code, category: err.status < 500 ? 'user' : 'system', message: clip(err.message), status: err.status };
  }
  if (APICallError.isInstance(err)) {
    if (err.statusCode !== undefined) return fromStatus(err, err.statusCode);
    return { retryable: err.isRetryable, code: 'provider_unreachable', category: 'third_party', message: clip(err.message) };
  }
  if (LoadAPIKeyError.isInstance(err)) return { retryable: false, code: 'missing_credential', category: 'user', message: clip(err.message) };
  if (NoSuchModelError.isInstance(err)) return { retryable: false, code: 'provider_model_not_found', category: 'user', message: clip(err.message) };

  const network = findCause(
    err,
    (e) =>
      (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) ||
      e.name === 'TimeoutError' ||
      (e instanceof TypeError && /fetch failed|failed to fetch/i.test(e.message)),
  );
  if (network) {
    const timeout = network.name === 'TimeoutError' || /TIMEOUT|ETIMEDOUT/.test(String(network.code));
    return {
      retryable: true,
      code: timeout ? 'provider_timeout' : 'provider_unreachable',
      category: 'third_party',
      message: clip(err instanceof Error ? err.message : String(err)),
    };
  }
  // Malformed answers (bad JSON, schema mismatch, empty body) are the provider's fault but rarely
  // transient; the next model is a better bet than the same one again.
  if (err instanceof Error && /^AI_(InvalidResponseData|JSONParse|TypeValidation|EmptyResponseBody)Error$/.test(err.name)) {
    return { retryable: false, code: 'provider_bad_response', category: 'third_party', message: clip(err.message) };
  }
  return { retryable: false, code: 'model_call_failed', category: 'system', message: clip(err instanceof Error ? err.message : String(err)) };
}

/**
 * How every failed call to a base URL an organization stored is reported, whatever happened: the
 * egress guard refused the address, the connection was refused or timed out, the answer was an
 * HTTP error or not a model's answer. One code and one message (naming only the origin the
 * organization typed itself), retried like a transient failure: distinct codes, messages or retry
 * behaviour would tell the organization what answers at an address it cannot otherwise reach,
 * turning the stored URL into a port scanner. The operator's log keeps the real cause.
 */
export function endpointFailure(origin: string): ClassifiedError {
  return {
    retryable: true,
    code: 'model_endpoint_failed',
    category: 'user',
    message: `No usable answer from ${origin}, the base URL this organization stored for the provider. An administrator can check the URL and the key in the credentials settings.`,
  };
}
