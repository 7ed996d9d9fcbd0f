import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, seedMember, type TestApp } from '../../test/helpers/app.js';

// The embedded database is the default install: the same SQL must hold there (distinct on,
// on conflict … where, row-level security on credentials).
describe('models module on PGlite', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('pglite');
  });
  afterAll(() => t.close());

  it('syncs the catalog idempotently, lists current prices and round-trips a credential', async () => {
    const models = t.ctx.services.models;
    await models.syncCatalog();
    const listed = await models.listModels();
    expect(listed.find((m) => m.modelId === 'o3')?.inputPerMtokMicros).toBe(2_000_000);
    expect(new Set(listed.map((m) => `${m.provider}:${m.modelId}`)).size).toBe(listed.length);
    const owner = await seedMember(t.ctx, 'owner');
    await models.putCredential({ orgId: owner.orgId, role: 'owner', userId: owner.userId, apiKeyId: null }, 'google', { apiKey: 'AIza-test' });
    expect(await models.resolveCredential(owner.orgId, 'google')).toEqual({ apiKey: 'AIza-test', baseUrl: null, source: 'organization' });
    const stranger = await seedMember(t.ctx, 'owner');
    expect(await models.listCredentials(stranger.orgId)).toEqual([]);
  });
});
