import { bigint, date, integer, pgTable, primaryKey, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, orgId, updatedAt } from '../db/columns.js';

/**
 * Price list, global. One row per (provider, model, effective_from): a price change is a new
 * row, so a cost can always be recomputed with the price in force on the day of the call.
 * Prices are integer micro-dollars per million tokens.
 */
export const modelPrices = pgTable(
  'model_prices',
  {
    provider: text('provider').notNull(),
    modelId: text('model_id').notNull(),
    effectiveFrom: date('effective_from', { mode: 'string' }).notNull(),
    displayName: text('display_name').notNull(),
    contextWindow: integer('context_window').notNull(),
    maxOutputTokens: integer('max_output_tokens').notNull(),
    inputPerMtokMicros: bigint('input_per_mtok_micros', { mode: 'number' }).notNull(),
    outputPerMtokMicros: bigint('output_per_mtok_micros', { mode: 'number' }).notNull(),
    cachedInputPerMtokMicros: bigint('cached_input_per_mtok_micros', { mode: 'number' }),
  },
  (t) => [primaryKey({ columns: [t.provider, t.modelId, t.effectiveFrom] })],
);

/** An organization's key for one provider, encrypted with AES-256-GCM (see shared/crypto.ts). */
export const providerCredentials = pgTable(
  'provider_credentials',
  {
    id: id(),
    orgId: orgId(),
    provider: text('provider').notNull(),
    encryptedApiKey: text('encrypted_api_key'),
    baseUrl: text('base_url'),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('provider_credentials_org_provider_key').on(t.orgId, t.provider)],
);

/**
 * Keyword rules of the offline rules model: text containing any keyword gets the rule's label
 * (highest priority first). Organizations edit them; the decision engine falls back on them.
 */
export const classificationRules = pgTable(
  'classification_rules',
  {
    id: id(),
    orgId: orgId(),
    label: text('label').notNull(),
    keywords: text('keywords').array().notNull(),
    priority: integer('priority').notNull().default(0),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('classification_rules_org_label_key').on(t.orgId, t.label)],
);
