import { credentialBody, type CredentialBody } from './dto.js';
import { badRequest, type FieldError } from '../shared/errors.js';
import { NEEDS_BASE_URL } from './provider-status.js';
import { PROVIDERS, type ProviderId } from './providers.js';

export { credentialBody, type CredentialBody };

/**
 * Checks a credential for `provider` and normalises absent fields to null. Field errors carry
 * request paths (`body.apiKey`, `params.provider`) so the API can hand them on unchanged.
 */
export function checkCredential(provider: ProviderId, body: CredentialBody): { apiKey: string | null; baseUrl: string | null } {
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
    fail({ path: 'body.baseUrl', message: 'an OpenAI-compatible server needs its base URL, e.g. http://localhost:8000/v1' });
  }
  if (!apiKey && !baseUrl) fail({ path: 'body', message: 'give an apiKey, a baseUrl or both' });
  return { apiKey, baseUrl };
}
