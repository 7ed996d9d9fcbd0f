import { z } from 'zod';
import type { CredentialSummary } from './credentials.js';
import type { CatalogModel, PriceRow } from './prices.js';
import { PROVIDER_IDS } from './providers.js';

/** Request and response shapes of the models module's routes (OpenAPI is generated from them). */

const micros = z.number().int().min(0);
const day = z.iso.date().describe('UTC day (YYYY-MM-DD)');

export const pricingSchema = z
  .object({
    inputPerMtokMicros: micros.describe('Micro-dollars per million input tokens ($0.15 = 150000)'),
    outputPerMtokMicros: micros.describe('Micro-dollars per million output tokens'),
    cachedInputPerMtokMicros: micros.nullable().describe('Micro-dollars per million cached input tokens; null: charged as input'),
    effectiveFrom: day.describe('First UTC day this price applies'),
  })
  .meta({ id: 'ModelPricing' });

export const modelSchema = z
  .object({
    id: z.string().describe('`provider:modelId`, as agents name their model'),
    provider: z.enum(PROVIDER_IDS),
    modelId: z.string(),
    displayName: z.string(),
    contextWindow: z.number().int(),
    maxOutputTokens: z.number().int(),
    pricing: pricingSchema,
    configured: z.boolean().describe('This organization can call the provider: its own credential, an environment key, or none needed'),
  })
  .meta({ id: 'Model' });

export const modelDetailSchema = modelSchema
  .extend({ priceHistory: z.array(pricingSchema).describe('Every price row, oldest first, future-dated ones included') })
  .meta({ id: 'ModelDetail' });

export const sourceSchema = z
  .enum(['organization', 'environment', 'none', 'not_needed'])
  .describe('organization: stored by an admin; environment: server environment variables; none: cannot be called; not_needed: no credential required');

export const providerSchema = z
  .object({
    id: z.enum(PROVIDER_IDS),
    label: z.string(),
    needsKey: z.boolean(),
    envKey: z.string().nullable().describe('Environment variable used when the organization stored no key'),
    source: sourceSchema,
    baseUrl: z.string().nullable().describe('Endpoint calls go to; null: the provider default'),
  })
  .meta({ id: 'Provider' });

export const credentialSchema = z
  .object({
    provider: z.enum(PROVIDER_IDS),
    hasApiKey: z.boolean().describe('A key is stored; the key itself is never returned'),
    baseUrl: z.string().nullable(),
    source: z.literal('organization'),
    createdAt: z.iso.datetime(),
    updatedAt: z.iso.datetime(),
  })
  .meta({ id: 'Credential' });

export const connectionTestSchema = z
  .union([
    z.object({
      ok: z.literal(true),
      latencyMs: z.number().int().describe('Time to the provider’s answer'),
      models: z.array(z.string()).describe('Model ids the provider lists (the first 50; none for OpenRouter, whose key endpoint is asked)'),
      modelCount: z.number().int(),
    }),
    z.object({
      ok: z.literal(false),
      latencyMs: z.number().int(),
      status: z.number().int().nullable().describe('HTTP status of the provider’s answer; null when there was none'),
      code: z.string().describe('provider_auth_failed, provider_unreachable, provider_timeout, model_endpoint_failed, …'),
      message: z.string().describe('The provider’s own error text, trimmed, keys cut out'),
    }),
  ])
  .meta({ id: 'ConnectionTest' });

export const providerParam = z.object({
  provider: z.enum(PROVIDER_IDS).describe('Provider id; an unknown one is a 400 on params.provider'),
});

export const modelParams = z.object({
  provider: z.string().max(50),
  modelId: z.string().min(1).max(200).describe('Model id; encode a "/" in it as %2F (groq/meta-llama%2Fllama-4-…)'),
});

const pricingOf = (row: PriceRow): z.infer<typeof pricingSchema> => ({
  inputPerMtokMicros: row.inputPerMtokMicros,
  outputPerMtokMicros: row.outputPerMtokMicros,
  cachedInputPerMtokMicros: row.cachedInputPerMtokMicros,
  effectiveFrom: row.effectiveFrom,
});

export function modelView(m: CatalogModel, configured: boolean): z.infer<typeof modelSchema> {
  return {
    id: `${m.provider}:${m.modelId}`,
    provider: m.provider,
    modelId: m.modelId,
    displayName: m.displayName,
    contextWindow: m.contextWindow,
    maxOutputTokens: m.maxOutputTokens,
    pricing: pricingOf(m),
    configured,
  };
}

export const historyView = (rows: PriceRow[]) => rows.map(pricingOf);

export const credentialView = (c: CredentialSummary): z.infer<typeof credentialSchema> => ({
  provider: c.provider,
  hasApiKey: c.hasApiKey,
  baseUrl: c.baseUrl,
  source: 'organization',
  createdAt: c.createdAt.toISOString(),
  updatedAt: c.updatedAt.toISOString(),
});
