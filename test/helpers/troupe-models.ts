import type { LanguageModelV3 } from '@ai-sdk/provider';
import { LanguageModels } from '../../src/models/language-model.js';
import type { ProviderId } from '../../src/models/providers.js';

/**
 * A model as Troupe builds it (src/models/language-model.ts) for `provider:modelId`, pointed at a
 * provider stub (test/helpers/provider-stub.ts): the credential comes from the "environment",
 * with key `test-key` and the stub as base URL (`/v1beta` for Google, `/v1` for the others).
 */
export async function troupeModel(stubUrl: string, provider: ProviderId, modelId: string): Promise<LanguageModelV3> {
  const baseUrl = provider === 'google' ? `${stubUrl}/v1beta` : `${stubUrl}/v1`;
  const models = new LanguageModels({
    resolveCredential: () => Promise.resolve({ apiKey: 'test-key', baseUrl, source: 'environment' }),
    loadRules: () => Promise.resolve([]),
    anyProviderConfigured: () => Promise.resolve(true),
  });
  return (await models.resolve('org', `${provider}:${modelId}`)).model;
}
