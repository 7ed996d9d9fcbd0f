import { credentialBody, type CredentialBody } from './dto.js';
import { badRequest, type FieldError } from '../shared/errors.js';
import { addressAllowed, EMPTY_ALLOWLIST, hostAllowed, type Allowlist } from '../tools/net/allowlist.js';
import { hostOf } from '../tools/net/guard.js';
import { classifyAddress, parseIp } from '../tools/net/ip.js';
import { NEEDS_BASE_URL } from './provider-status.js';
import { PROVIDERS, type ProviderId } from './providers.js';

export { credentialBody, type CredentialBody };

/**
 * Checks a credential for `provider` and normalises absent fields to null. Field errors carry
 * request paths (`body.apiKey`, `params.provider`) so the API can hand them on unchanged.
 * A base URL that names a private, loopback, link-local or reserved address (or `localhost`) is
 * refused unless `privateHosts` (TROUPE_PRIVATE_MODEL_HOSTS) covers it; names are resolved and
 * checked again at every call (DNS can change), see http-fetch.ts guardedHttpFetch.
 */
export function checkCredential(provider: ProviderId, body: CredentialBody, privateHosts: Allowlist = EMPTY_ALLOWLIST): { apiKey: string | null; baseUrl: string | null } {
  const parsed = credentialBody.safeParse(body);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((i) => ({ path: ['body', ...i.path.map(String)].join('.'), message: i.message }));
    throw badRequest(`${errors[0]!.path}: ${errors[0]!.message}`, errors);
  }
  const apiKey = parsed.data.apiKey ?? null;
  const baseUrl = parsed.data.baseUrl ?? null;
  const fail = (error: FieldError) => {
    throw badRequest(`${error.path}: ${error.message}`, [error]);
  };
  if (provider === 'rules') fail({ path: 'params.provider', message: 'the offline rules model takes no credential' });
  if (PROVIDERS[provider].needsKey && !apiKey) fail({ path: 'body.apiKey', message: `${PROVIDERS[provider].label} needs an API key` });
  if (NEEDS_BASE_URL.has(provider) && !baseUrl) {
    fail({ path: 'body.baseUrl', message: 'an OpenAI-compatible server needs its base URL, e.g. https://vllm.example.com/v1' });
  }
  if (!apiKey && !baseUrl) fail({ path: 'body', message: 'give an apiKey, a baseUrl or both' });
  const privateKind = baseUrl ? privateTarget(new URL(baseUrl), privateHosts) : null;
  if (privateKind) {
    fail({
      path: 'body.baseUrl',
      message:
        `points at a ${privateKind} address, which an organization may not use; a model server on the ` +
        "server's own network is set by its operator (OLLAMA_BASE_URL, OPENAI_BASE_URL, … or TROUPE_PRIVATE_MODEL_HOSTS)",
    });
  }
  return { apiKey, baseUrl };
}

/** What kind of private address the URL names literally (`localhost` counts as loopback), or null. */
function privateTarget(url: URL, allowlist: Allowlist): string | null {
  const host = hostOf(url).toLowerCase().replace(/\.$/, '');
  const ip = parseIp(host);
  if (ip) {
    const kind = classifyAddress(ip);
    return kind && !addressAllowed(allowlist, ip) ? kind : null;
  }
  // RFC 6761: localhost and its subdomains always mean this machine.
  const local = host === 'localhost' || host.endsWith('.localhost');
  if (local && !hostAllowed(allowlist, host) && !addressAllowed(allowlist, parseIp('127.0.0.1')!)) return 'loopback';
  return null;
}
