import type { Config } from '../config/load.js';
import { PROVIDERS, type ProviderId } from './providers.js';

/**
 * Where a provider's credential comes from, for one organization:
 * - `organization`: the organization stored one (PUT /credentials/:provider); it wins;
 * - `environment`: the server's environment variables (OPENAI_API_KEY, OLLAMA_BASE_URL, …);
 * - `none`: the provider needs a key (or, for `openai-compatible`, a base URL) and has neither;
 * - `not_needed`: the provider works with no credential at all (rules, Ollama on localhost).
 */
export type CredentialSource = 'organization' | 'environment' | 'none' | 'not_needed';

/**
 * Providers that cannot work without a base URL: a generic OpenAI-compatible server has no
 * default address. Ollama has one (http://localhost:11434), so it is not listed.
 */
export const NEEDS_BASE_URL: ReadonlySet<ProviderId> = new Set(['openai-compatible']);

export interface ResolvedCredential {
  apiKey: string | null;
  baseUrl: string | null;
  source: CredentialSource;
}

function envValue(config: Config, name: string | null): string | null {
  if (!name) return null;
  const value = (config as unknown as Record<string, unknown>)[name];
  return typeof value === 'string' && value !== '' ? value : null;
}

/**
 * The credential from the environment for `provider`, used when the organization stored none.
 * An organization credential is never mixed with environment values: a stored key without a
 * base URL goes to the provider's own endpoint, not to an OPENAI_BASE_URL proxy it cannot see.
 */
export function environmentCredential(config: Config, provider: ProviderId): ResolvedCredential {
  const entry = PROVIDERS[provider];
  const apiKey = envValue(config, entry.envKey);
  const baseUrl = envValue(config, entry.envBaseUrl);
  let source: CredentialSource;
  if (entry.needsKey) source = apiKey ? 'environment' : 'none';
  else if (NEEDS_BASE_URL.has(provider)) source = baseUrl ? 'environment' : 'none';
  else source = apiKey || baseUrl ? 'environment' : 'not_needed';
  return { apiKey, baseUrl, source };
}

/** Whether a provider with this credential source can be called. */
export const isUsable = (source: CredentialSource) => source !== 'none';

/**
 * A base URL as it may be shown to any member: user name and password removed, in case an
 * operator put them in an environment URL (stored organization URLs are refused with them).
 */
export function displayUrl(url: string | null): string | null {
  if (!url) return null;
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return url;
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return null;
  }
}
