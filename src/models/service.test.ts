import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, json, seedMember, type TestApp } from '../../test/helpers/app.js';
import { BUILTIN_CATALOG } from './catalog.js';
import { credentialAad } from './credentials.js';
import { modelPrices, providerCredentials } from './schema.js';

const day = (d: string) => new Date(`${d}T12:00:00Z`);

describe('ModelService prices', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('postgres');
  });
  afterAll(() => t.close());

  const countRows = async () =>
    Number((await t.ctx.database.db.select({ n: sql<number>`count(*)` }).from(modelPrices))[0]!.n);

  it('synced the built-in catalog at start, and a second sync changes nothing', async () => {
    expect(await countRows()).toBe(BUILTIN_CATALOG.length);
    // xmin is the id of the transaction that last wrote a row: unchanged means not rewritten.
    const snapshot = () =>
      t.ctx.database.db
        .select({ provider: modelPrices.provider, modelId: modelPrices.modelId, from: modelPrices.effectiveFrom, xmin: sql<string>`xmin::text` })
        .from(modelPrices)
        .orderBy(modelPrices.provider, modelPrices.modelId, modelPrices.effectiveFrom);
    const before = await snapshot();
    await t.ctx.services.models.syncCatalog();
    await t.ctx.services.models.syncCatalog();
    expect(await countRows()).toBe(BUILTIN_CATALOG.length);
    expect(await snapshot()).toEqual(before);
  });

  it('sync restores a built-in row that was changed by hand, and keeps rows it does not know', async () => {
    const row = and(eq(modelPrices.provider, 'openai'), eq(modelPrices.modelId, 'gpt-4o-mini'), eq(modelPrices.effectiveFrom, '2024-07-18'));
    await t.ctx.database.system(async (tx) => {
      await tx.update(modelPrices).set({ inputPerMtokMicros: 1 }).where(row);
      await tx.insert(modelPrices).values({
        provider: 'openai',
        modelId: 'retired-model',
        effectiveFrom: '2023-01-01',
        displayName: 'Retired',
        contextWindow: 4096,
        maxOutputTokens: 1024,
        inputPerMtokMicros: 500_000,
        outputPerMtokMicros: 1_500_000,
      });
    });
    await t.ctx.services.models.syncCatalog();
    const [fixed] = await t.ctx.database.db.select().from(modelPrices).where(row);
    expect(fixed?.inputPerMtokMicros).toBe(150_000);
    expect(await t.ctx.services.models.priceAt('openai', 'retired-model', day('2024-01-01'))).toMatchObject({ inputPerMtokMicros: 500_000 });
  });

  it('priceAt picks the row in force on the day asked for', async () => {
    await t.ctx.database.system((tx) =>
      tx.insert(modelPrices).values({
        provider: 'openai',
        modelId: 'gpt-4o-mini',
        effectiveFrom: '2030-03-01',
        displayName: 'GPT-4o mini',
        contextWindow: 128_000,
        maxOutputTokens: 16_384,
        inputPerMtokMicros: 100_000,
        outputPerMtokMicros: 400_000,
        cachedInputPerMtokMicros: null,
      }),
    );
    const models = t.ctx.services.models;
    expect(await models.priceAt('openai', 'gpt-4o-mini', day('2024-07-17'))).toBeNull();
    expect((await models.priceAt('openai', 'gpt-4o-mini', new Date('2024-07-18T00:00:00Z')))?.inputPerMtokMicros).toBe(150_000);
    expect((await models.priceAt('openai', 'gpt-4o-mini', new Date('2030-02-28T23:59:59Z')))?.inputPerMtokMicros).toBe(150_000);
    expect(await models.priceAt('openai', 'gpt-4o-mini', new Date('2030-03-01T00:00:00Z'))).toMatchObject({
      effectiveFrom: '2030-03-01',
      inputPerMtokMicros: 100_000,
      cachedInputPerMtokMicros: null,
    });
    // Models without a list price (local servers) have no row: the ledger books them at 0.
    expect(await models.priceAt('ollama', 'llama3.2:3b', new Date())).toBeNull();
    // Listing today still shows the current price, not the future one.
    const [mini] = (await models.listModels({ provider: 'openai', search: 'gpt-4o-mini' })).filter((m) => m.modelId === 'gpt-4o-mini');
    expect(mini?.inputPerMtokMicros).toBe(150_000);
    expect((await models.listModels({ provider: 'openai', at: day('2030-06-01') })).find((m) => m.modelId === 'gpt-4o-mini')?.inputPerMtokMicros).toBe(100_000);
  });
});

describe('ModelService.resolveCredential', () => {
  let t: TestApp;
  let envApp: TestApp;
  beforeAll(async () => {
    [t, envApp] = await Promise.all([
      createTestApp('postgres'),
      createTestApp('postgres', { OPENAI_API_KEY: 'sk-env', OLLAMA_BASE_URL: 'http://ops:secret@ollama.internal:11434' }),
    ]);
  });
  afterAll(() => Promise.all([t.close(), envApp.close()]));

  it('reports none for a keyed provider and not_needed for local ones when nothing is configured', async () => {
    const { orgId } = await seedMember(t.ctx, 'owner');
    const models = t.ctx.services.models;
    expect(await models.resolveCredential(orgId, 'openai')).toEqual({ apiKey: null, baseUrl: null, source: 'none' });
    expect(await models.resolveCredential(orgId, 'rules')).toEqual({ apiKey: null, baseUrl: null, source: 'not_needed' });
    expect(await models.resolveCredential(orgId, 'ollama')).toEqual({ apiKey: null, baseUrl: null, source: 'not_needed' });
    expect(await models.resolveCredential(orgId, 'openai-compatible')).toEqual({ apiKey: null, baseUrl: null, source: 'none' });
  });

  it('decrypts the organization’s own key, scoped to that organization', async () => {
    const a = await seedMember(t.ctx, 'admin');
    const b = await seedMember(t.ctx, 'admin');
    const models = t.ctx.services.models;
    await models.putCredential({ orgId: a.orgId, role: 'admin', userId: a.userId, apiKeyId: null }, 'groq', { apiKey: 'gsk-org-a' });
    expect(await models.resolveCredential(a.orgId, 'groq')).toEqual({ apiKey: 'gsk-org-a', baseUrl: null, source: 'organization' });
    expect(await models.resolveCredential(b.orgId, 'groq')).toMatchObject({ apiKey: null, source: 'none' });
  });

  it('refuses a ciphertext copied to another organization or provider', async () => {
    const a = await seedMember(t.ctx, 'admin');
    const b = await seedMember(t.ctx, 'admin');
    const models = t.ctx.services.models;
    await models.putCredential({ orgId: a.orgId, role: 'admin', userId: a.userId, apiKeyId: null }, 'openai', { apiKey: 'sk-org-a' });
    const [row] = await t.ctx.database.withOrg(a.orgId, (tx) => tx.select().from(providerCredentials));
    const stolen = row!.encryptedApiKey!;
    expect(() => t.ctx.secrets.decrypt(stolen, credentialAad(b.orgId, 'openai'))).toThrow();
    await t.ctx.database.system(async (tx) => {
      await tx.insert(providerCredentials).values({ orgId: b.orgId, provider: 'openai', encryptedApiKey: stolen });
      await tx.insert(providerCredentials).values({ orgId: a.orgId, provider: 'anthropic', encryptedApiKey: stolen });
    });
    await expect(models.resolveCredential(b.orgId, 'openai')).rejects.toMatchObject({ code: 'credential_unreadable' });
    await expect(models.resolveCredential(a.orgId, 'anthropic')).rejects.toMatchObject({ code: 'credential_unreadable' });
    // The error names the fix, not the key.
    const err = await models.resolveCredential(b.orgId, 'openai').catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/PUT \/api\/v1\/credentials\/openai/);
    expect((err as Error).message).not.toContain('sk-org-a');
  });

  it('falls back to the environment, and an organization key overrides it', async () => {
    const owner = await seedMember(envApp.ctx, 'owner');
    const models = envApp.ctx.services.models;
    expect(await models.resolveCredential(owner.orgId, 'openai')).toEqual({ apiKey: 'sk-env', baseUrl: null, source: 'environment' });
    expect(await models.resolveCredential(owner.orgId, 'ollama')).toMatchObject({ source: 'environment', baseUrl: 'http://ops:secret@ollama.internal:11434' });

    const res = await envApp.app.inject({ method: 'GET', url: '/api/v1/providers', headers: owner.headers });
    const items = json<{ items: { id: string; source: string; baseUrl: string | null }[] }>(res).items;
    expect(items.find((p) => p.id === 'openai')).toMatchObject({ source: 'environment', baseUrl: null });
    // The environment URL is shown, but not the user name and password in it.
    expect(items.find((p) => p.id === 'ollama')).toMatchObject({ source: 'environment', baseUrl: 'http://ollama.internal:11434/' });
    expect(res.body).not.toContain('sk-env');
    expect(res.body).not.toContain('secret');

    const models200 = json<{ items: { id: string; configured: boolean }[] }>(
      await envApp.app.inject({ method: 'GET', url: '/api/v1/models?provider=openai', headers: owner.headers }),
    );
    expect(models200.items.every((m) => m.configured)).toBe(true);

    await models.putCredential({ orgId: owner.orgId, role: 'owner', userId: owner.userId, apiKeyId: null }, 'openai', { apiKey: 'sk-own' });
    expect(await models.resolveCredential(owner.orgId, 'openai')).toEqual({ apiKey: 'sk-own', baseUrl: null, source: 'organization' });
    await models.deleteCredential(owner.orgId, 'openai');
    expect(await models.resolveCredential(owner.orgId, 'openai')).toMatchObject({ apiKey: 'sk-env', source: 'environment' });
  });
});

