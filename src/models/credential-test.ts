import { APICallError } from '@ai-sdk/provider';
import { classifyModelError, endpointFailure, redactKeys } from './errors.js';
import { DEFAULT_BASE_URLS, ollamaUrl } from './language-model.js';
import type { ProviderId } from './providers.js';

/** What POST /credentials/:provider/test answers: the test ran (200) whatever the provider said. */
export type ConnectionTest =
  | { ok: true; latencyMs: number; models: string[]; modelCount: number }
  | { ok: false; latencyMs: number; status: number | null; code: string; message: string };

/** The most model ids an answer lists (a provider may offer hundreds). */
const MAX_MODELS = 50;
/** A test that hangs longer than this fails as a timeout. */
export const TEST_TIMEOUT_MS = 10_000;
const MAX_MESSAGE = 300;

type Probe = { url: string; headers: Record<string, string> };

/**
 * The cheapest call that proves a key: listing models (free, needs no model name, answers 401
 * for a bad key). OpenRouter lists models without a key, so its key endpoint is asked instead.
 */
function probe(provider: Exclude<ProviderId, 'rules'>, apiKey: string | null, baseUrl: string): Probe {
  const base = baseUrl.replace(/\/+$/, '');
  const bearer: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  switch (provider) {
    case 'anthropic':
      return { url: `${base}/models?limit=${MAX_MODELS}`, headers: { 'anthropic-version': '2023-06-01', ...(apiKey ? { 'x-api-key': apiKey } : {}) } };
    case 'google':
      return { url: `${base}/models?pageSize=${MAX_MODELS}`, headers: apiKey ? { 'x-goog-api-key': apiKey } : {} };
    case 'openrouter':
      return { url: `${base}/key`, headers: bearer };
    case 'ollama':
      return { url: `${ollamaUrl(base)}/models`, headers: bearer };
    default:
      return { url: `${base}/models`, headers: bearer };
  }
}

/** The provider's own error text from its error body (OpenAI, Anthropic, Google, Groq, Ollama shapes), or null. */
function providerMessage(body: unknown): string | null {
  if (!body || typeof body !== 'object') return null;
  const b = body as { error?: unknown; message?: unknown };
  if (typeof b.error === 'string') return b.error;
  if (b.error && typeof b.error === 'object' && typeof (b.error as { message?: unknown }).message === 'string') return (b.error as { message: string }).message;
  if (typeof b.message === 'string') return b.message;
  return null;
}

/** Model ids from a list answer: `data[].id` (OpenAI, Anthropic, Groq, Ollama, vLLM) or `models[].name` (Google). */
function modelIds(body: unknown): string[] | null {
  if (!body || typeof body !== 'object') return null;
  const b = body as { data?: unknown; models?: unknown };
  if (Array.isArray(b.data)) return b.data.flatMap((m) => (m && typeof (m as { id?: unknown }).id === 'string' ? [(m as { id: string }).id] : []));
  if (Array.isArray(b.models)) return b.models.flatMap((m) => (m && typeof (m as { name?: unknown }).name === 'string' ? [(m as { name: string }).name.replace(/^models\//, '')] : []));
  return null;
}

const parse = (text: string): unknown => {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
};

/**
 * One real, minimal call to `provider` with a credential (stored or a candidate from the form),
 * through `fetch`: the model clients' own (http-fetch.ts), guarded for a base URL the organization
 * gave (`tenantOrigin`), exactly as the engine would call it. Never throws for the provider's
 * answer or a network failure: those are `{ ok: false }` with the provider's own message, trimmed,
 * key-like strings and the key itself cut out.
 *
 * For an organization's own base URL only an answer in a provider's error format is shown as is;
 * anything else (refused by the egress guard, no connection, not a provider's answer) is the one
 * generic `model_endpoint_failed`, as on a run (errors.ts endpointFailure): the test must not make
 * the stored URL a port scanner either.
 */
export async function testConnection(
  provider: Exclude<ProviderId, 'rules'>,
  cred: { apiKey: string | null; baseUrl: string | null },
  fetch: typeof globalThis.fetch,
  tenantOrigin: string | undefined,
): Promise<ConnectionTest> {
  const baseUrl = cred.baseUrl ?? DEFAULT_BASE_URLS[provider]!;
  const { url, headers } = probe(provider, cred.apiKey, baseUrl);
  const clean = (text: string) => {
    let t = text.replace(/\s+/g, ' ').trim();
    if (cred.apiKey) t = t.split(cred.apiKey).join('[redacted]');
    t = redactKeys(t);
    return t.length > MAX_MESSAGE ? `${t.slice(0, MAX_MESSAGE - 1)}…` : t;
  };
  const generic = (latencyMs: number): ConnectionTest => {
    const f = endpointFailure(tenantOrigin!);
    return { ok: false, latencyMs, status: null, code: f.code, message: f.message };
  };
  const t0 = performance.now();
  const elapsed = () => Math.round(performance.now() - t0);
  let res: Response;
  let text: string;
  try {
    res = await fetch(url, { method: 'GET', headers: { accept: 'application/json', ...headers }, signal: AbortSignal.timeout(TEST_TIMEOUT_MS) });
    text = await res.text();
  } catch (err) {
    if (tenantOrigin) return generic(elapsed());
    const c = classifyModelError(err);
    const timeout = c.code === 'provider_timeout' || (err instanceof Error && err.name === 'TimeoutError');
    return {
      ok: false,
      latencyMs: elapsed(),
      status: null,
      code: timeout ? 'provider_timeout' : 'provider_unreachable',
      message: timeout ? `${new URL(url).origin} did not answer within ${TEST_TIMEOUT_MS / 1000} s` : `Could not reach ${new URL(url).origin}`,
    };
  }
  const latencyMs = elapsed();
  const body = parse(text);
  if (!res.ok) {
    const own = providerMessage(body);
    if (tenantOrigin && own === null) return generic(latencyMs);
    const responseHeaders: Record<string, string> = {};
    res.headers.forEach((v, k) => (responseHeaders[k] = v));
    const classified = classifyModelError(new APICallError({ message: own ?? `HTTP ${res.status}`, url, requestBodyValues: {}, statusCode: res.status, responseHeaders, responseBody: text }));
    return { ok: false, latencyMs, status: res.status, code: classified.code, message: clean(own ?? (text || `HTTP ${res.status} ${res.statusText}`)) };
  }
  if (provider === 'openrouter' && body && typeof body === 'object') return { ok: true, latencyMs, models: [], modelCount: 0 };
  const ids = modelIds(body);
  if (!ids) {
    if (tenantOrigin) return generic(latencyMs);
    return { ok: false, latencyMs, status: res.status, code: 'provider_bad_response', message: 'The answer was not a list of models' };
  }
  return { ok: true, latencyMs, models: ids.slice(0, MAX_MODELS), modelCount: ids.length };
}
