import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedRoles, type TestApp } from '../../test/helpers/app.js';
import { modelPrices } from './schema.js';

type Roles = Awaited<ReturnType<typeof seedRoles>>;
interface ModelItem {
  id: string;
  provider: string;
  modelId: string;
  configured: boolean;
  pricing: { inputPerMtokMicros: number; cachedInputPerMtokMicros: number | null; effectiveFrom: string };
}
interface ModelPage {
  items: ModelItem[];
  total: number;
  nextCursor: string | null;
  offset: number | null;
}

describe('catalog and provider routes', () => {
  let t: TestApp;
  let roles: Roles;

  beforeAll(async () => {
    t = await createTestApp('postgres');
    roles = await seedRoles(t.ctx);
  });
  afterAll(() => t.close());

  const get = (url: string, headers: Record<string, string> = roles.viewer.headers) => t.app.inject({ method: 'GET', url, headers });

  describe('GET /api/v1/models', () => {
    it('lists every catalog model with its current price, for a viewer', async () => {
      const res = await get('/api/v1/models');
      expect(res.statusCode).toBe(200);
      const page = json<ModelPage>(res);
      const mini = page.items.find((m) => m.id === 'openai:gpt-4o-mini');
      expect(mini).toMatchObject({
        provider: 'openai',
        modelId: 'gpt-4o-mini',
        displayName: 'GPT-4o mini',
        contextWindow: 128_000,
        maxOutputTokens: 16_384,
        pricing: { inputPerMtokMicros: 150_000, outputPerMtokMicros: 600_000, cachedInputPerMtokMicros: 75_000, effectiveFrom: '2024-07-18' },
        configured: false,
      });
      // The newest row in force wins: o3 is listed once, at its cut price.
      expect(page.items.filter((m) => m.id === 'openai:o3').map((m) => m.pricing.inputPerMtokMicros)).toEqual([2_000_000]);
      // A provider that needs no key is always configured.
      expect(page.items.find((m) => m.id === 'rules:default')?.configured).toBe(true);
      const ids = page.items.map((m) => m.id);
      expect(ids).toEqual([...ids].sort());
      expect(page.total).toBe(ids.length);
    });

    it('filters by provider and by a case-insensitive search', async () => {
      const groq = json<ModelPage>(await get('/api/v1/models?provider=groq'));
      expect(groq.items.length).toBeGreaterThan(1);
      expect(groq.items.every((m) => m.provider === 'groq')).toBe(true);

      const found = json<ModelPage>(await get('/api/v1/models?search=SONNET%204'));
      expect(found.items.map((m) => m.id)).toContain('anthropic:claude-sonnet-4-0');
      expect(found.items.every((m) => m.provider === 'anthropic')).toBe(true);

      // LIKE wildcards are plain text here.
      expect(json<ModelPage>(await get('/api/v1/models?search=%25')).items).toEqual([]);
    });

    it('pages by cursor without gaps or repeats', async () => {
      const all = json<ModelPage>(await get('/api/v1/models')).items.map((m) => m.id);
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res = await get(`/api/v1/models?limit=7${cursor ? `&cursor=${cursor}` : ''}`);
        const page: ModelPage = json<ModelPage>(res);
        seen.push(...page.items.map((m) => m.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(seen).toEqual(all);
      const desc = json<ModelPage>(await get('/api/v1/models?sortOrder=desc&limit=3&offset=1'));
      expect(desc.items.map((m) => m.id)).toEqual([...all].reverse().slice(1, 4));
    });

    it('rejects an unknown provider filter and a bad limit with field paths', async () => {
      const bad = expectProblem(await get('/api/v1/models?provider=acme'), 400);
      expect(bad.errors?.map((e) => e.path)).toContain('querystring.provider');
      const limit = expectProblem(await get('/api/v1/models?limit=0'), 400);
      expect(limit.errors?.map((e) => e.path)).toContain('querystring.limit');
    });

    it('needs authentication', async () => {
      expectProblem(await t.app.inject({ method: 'GET', url: '/api/v1/models' }), 401);
    });

    it('marks a provider configured once the organization stores a key, for that organization only', async () => {
      const put = await t.app.inject({
        method: 'PUT',
        url: '/api/v1/credentials/anthropic',
        headers: roles.admin.headers,
        payload: { apiKey: 'sk-ant-test-configured' },
      });
      expect(put.statusCode).toBe(200);
      const mine = json<ModelPage>(await get('/api/v1/models?provider=anthropic'));
      expect(mine.items.every((m) => m.configured)).toBe(true);
      const theirs = json<ModelPage>(await get('/api/v1/models?provider=anthropic', roles.stranger.headers));
      expect(theirs.items.every((m) => !m.configured)).toBe(true);
    });
  });

  describe('GET /api/v1/models/:provider/:modelId', () => {
    it('returns the model with its whole price history, oldest first', async () => {
      const res = await get('/api/v1/models/openai/o3');
      expect(res.statusCode).toBe(200);
      const body = json<ModelItem & { priceHistory: { effectiveFrom: string; inputPerMtokMicros: number }[] }>(res);
      expect(body.id).toBe('openai:o3');
      expect(body.pricing.inputPerMtokMicros).toBe(2_000_000);
      expect(body.priceHistory.map((p) => [p.effectiveFrom, p.inputPerMtokMicros])).toEqual([
        ['2025-04-16', 10_000_000],
        ['2025-06-10', 2_000_000],
      ]);
    });

    it('finds a model whose id contains a slash when it is encoded as %2F', async () => {
      const res = await get('/api/v1/models/groq/meta-llama%2Fllama-4-scout-17b-16e-instruct');
      expect(res.statusCode).toBe(200);
      expect(json<ModelItem>(res).modelId).toBe('meta-llama/llama-4-scout-17b-16e-instruct');
    });

    it('answers 404 for an unknown model or provider, and for a model priced only in the future', async () => {
      expectProblem(await get('/api/v1/models/openai/gpt-nonexistent'), 404);
      expectProblem(await get('/api/v1/models/acme/gpt-4o'), 404);
      await t.ctx.database.system((tx) =>
        tx.insert(modelPrices).values({
          provider: 'openai',
          modelId: 'gpt-from-the-future',
          effectiveFrom: '2999-01-01',
          displayName: 'Future',
          contextWindow: 1000,
          maxOutputTokens: 100,
          inputPerMtokMicros: 1,
          outputPerMtokMicros: 1,
        }),
      );
      expectProblem(await get('/api/v1/models/openai/gpt-from-the-future'), 404);
      expect(json<ModelPage>(await get('/api/v1/models?search=future')).items).toEqual([]);
    });

    it('needs authentication', async () => {
      expectProblem(await t.app.inject({ method: 'GET', url: '/api/v1/models/openai/gpt-4o' }), 401);
    });
  });

  describe('GET /api/v1/providers', () => {
    it('lists every provider with its credential source, for a viewer', async () => {
      const res = await get('/api/v1/providers', roles.stranger.headers);
      expect(res.statusCode).toBe(200);
      const items = json<{ items: { id: string; source: string; needsKey: boolean; baseUrl: string | null }[] }>(res).items;
      const byId = Object.fromEntries(items.map((p) => [p.id, p]));
      expect(Object.keys(byId).sort()).toEqual(['anthropic', 'google', 'groq', 'ollama', 'openai', 'openai-compatible', 'openrouter', 'rules']);
      expect(byId.openai).toMatchObject({ source: 'none', needsKey: true, envKey: 'OPENAI_API_KEY', baseUrl: null });
      expect(byId.rules).toMatchObject({ source: 'not_needed', needsKey: false });
      expect(byId.ollama).toMatchObject({ source: 'not_needed' });
      // A generic OpenAI-compatible server cannot be called until someone gives its address.
      expect(byId['openai-compatible']).toMatchObject({ source: 'none' });
    });

    it('shows the organization’s own credential and its base URL', async () => {
      const put = await t.app.inject({
        method: 'PUT',
        url: '/api/v1/credentials/ollama',
        headers: roles.owner.headers,
        payload: { baseUrl: 'http://gpu-box.internal:11434' },
      });
      expect(put.statusCode).toBe(200);
      const items = json<{ items: { id: string; source: string; baseUrl: string | null }[] }>(await get('/api/v1/providers')).items;
      expect(items.find((p) => p.id === 'ollama')).toMatchObject({ source: 'organization', baseUrl: 'http://gpu-box.internal:11434' });
    });

    it('needs authentication', async () => {
      expectProblem(await t.app.inject({ method: 'GET', url: '/api/v1/providers' }), 401);
    });
  });

  it('documents its routes in the OpenAPI description, with no key field in any response', async () => {
    const res = await t.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = json<{ paths: Record<string, Record<string, { responses: Record<string, unknown> }>> }>(res);
    for (const p of ['/api/v1/models', '/api/v1/models/{provider}/{modelId}', '/api/v1/providers', '/api/v1/credentials', '/api/v1/credentials/{provider}']) {
      expect(doc.paths[p], p).toBeDefined();
    }
    expect(Object.keys(doc.paths['/api/v1/credentials/{provider}']!).sort()).toEqual(['delete', 'put']);
    expect(JSON.stringify(doc.paths['/api/v1/credentials']!.get!.responses)).not.toContain('apiKey');
  });
});
