import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedRoles, type TestApp } from '../../test/helpers/app.js';
import { credentialAad } from './credentials.js';
import { providerCredentials } from './schema.js';

type Roles = Awaited<ReturnType<typeof seedRoles>>;
interface Credential {
  provider: string;
  hasApiKey: boolean;
  baseUrl: string | null;
  source: string;
  createdAt: string;
  updatedAt: string;
}

const KEY = 'sk-proj-PLAINTEXT-do-not-leak-0123456789';

describe('credential routes', () => {
  let t: TestApp;
  let roles: Roles;
  /** Every response body of this file, searched for the key at the end. */
  const bodies: string[] = [];

  beforeAll(async () => {
    t = await createTestApp('postgres');
    roles = await seedRoles(t.ctx);
  });
  afterAll(() => t.close());

  async function call(method: 'GET' | 'PUT' | 'DELETE', url: string, headers: Record<string, string>, payload?: unknown) {
    const res = await t.app.inject({ method, url: `/api/v1${url}`, headers, ...(payload === undefined ? {} : { payload: payload as object }) });
    bodies.push(res.body, JSON.stringify(res.headers));
    return res;
  }
  const storedRows = (orgId: string) =>
    t.ctx.database.system((tx) => tx.select().from(providerCredentials).where(eq(providerCredentials.orgId, orgId)));

  describe('PUT /credentials/:provider', () => {
    it('stores a key for an admin and answers without it', async () => {
      const res = await call('PUT', '/credentials/openai', roles.admin.headers, { apiKey: KEY });
      expect(res.statusCode).toBe(200);
      const body = json<Credential>(res);
      expect(body).toMatchObject({ provider: 'openai', hasApiKey: true, baseUrl: null, source: 'organization' });
      expect(Object.keys(body).sort()).toEqual(['baseUrl', 'createdAt', 'hasApiKey', 'provider', 'source', 'updatedAt']);
    });

    it('encrypts the key at rest, bound to the organization and the provider', async () => {
      const [row] = await storedRows(roles.owner.orgId);
      expect(row?.encryptedApiKey).toMatch(/^v1\./);
      expect(row?.encryptedApiKey).not.toContain(KEY);
      expect(row?.encryptedApiKey).not.toContain(Buffer.from(KEY).toString('base64url').slice(0, 12));
      expect(row?.createdBy).toBe(roles.admin.userId);
      const stored = row!.encryptedApiKey!;
      expect(t.ctx.secrets.decrypt(stored, credentialAad(roles.owner.orgId, 'openai'))).toBe(KEY);
      expect(() => t.ctx.secrets.decrypt(stored, credentialAad(roles.stranger.orgId, 'openai'))).toThrow();
      expect(() => t.ctx.secrets.decrypt(stored, credentialAad(roles.owner.orgId, 'anthropic'))).toThrow();
    });

    it('replaces the whole credential on a second PUT, keeping its creation time', async () => {
      const before = json<{ items: Credential[] }>(await call('GET', '/credentials', roles.owner.headers)).items;
      const res = await call('PUT', '/credentials/openai', roles.owner.headers, { apiKey: `${KEY}-v2`, baseUrl: 'https://proxy.example.com/v1' });
      expect(res.statusCode).toBe(200);
      const after = json<Credential>(res);
      expect(after).toMatchObject({ hasApiKey: true, baseUrl: 'https://proxy.example.com/v1', createdAt: before[0]!.createdAt });
      expect(await t.ctx.services.models.resolveCredential(roles.owner.orgId, 'openai')).toEqual({
        apiKey: `${KEY}-v2`,
        baseUrl: 'https://proxy.example.com/v1',
        source: 'organization',
      });
      expect(await storedRows(roles.owner.orgId)).toHaveLength(1);
    });

    it('validates the body with field paths', async () => {
      const cases: [string, unknown, string][] = [
        ['/credentials/openai', {}, 'body.apiKey'],
        ['/credentials/openai', { apiKey: '' }, 'body.apiKey'],
        ['/credentials/openai', { apiKey: 'sk with spaces' }, 'body.apiKey'],
        // A rejected key must not be echoed either (checked at the end of the file).
        ['/credentials/openai', { apiKey: `${KEY} ` }, 'body.apiKey'],
        ['/credentials/openai', { apiKey: `${KEY}\n${'x'.repeat(500)}` }, 'body.apiKey'],
        ['/credentials/openai', { apiKey: 'x'.repeat(501) }, 'body.apiKey'],
        ['/credentials/openai', { apiKey: 'sk-ok', baseUrl: 'ftp://files.example.com' }, 'body.baseUrl'],
        ['/credentials/openai', { apiKey: 'sk-ok', baseUrl: 'not a url' }, 'body.baseUrl'],
        ['/credentials/openai', { apiKey: 'sk-ok', baseUrl: 'https://user:pass@proxy.example.com' }, 'body.baseUrl'],
        ['/credentials/openai', { apiKey: 'sk-ok', apikey: 'typo' }, 'body'],
        ['/credentials/openai-compatible', { apiKey: 'sk-ok' }, 'body.baseUrl'],
        ['/credentials/ollama', {}, 'body'],
        ['/credentials/rules', { apiKey: 'sk-ok' }, 'params.provider'],
        ['/credentials/acme', { apiKey: 'sk-ok' }, 'params.provider'],
      ];
      for (const [url, payload, path] of cases) {
        const problem = expectProblem(await call('PUT', url, roles.admin.headers, payload), 400);
        expect(problem.errors?.map((e) => e.path), `${url} ${JSON.stringify(payload)}`).toContain(path);
      }
    });

    it('accepts an OpenAI-compatible server with a base URL and no key, and an Ollama server', async () => {
      const vllm = await call('PUT', '/credentials/openai-compatible', roles.admin.headers, { baseUrl: 'https://vllm.example.com:8000/v1' });
      expect(json<Credential>(vllm)).toMatchObject({ hasApiKey: false, baseUrl: 'https://vllm.example.com:8000/v1' });
      const ollama = await call('PUT', '/credentials/ollama', roles.admin.headers, { baseUrl: 'http://ollama.example.com:11434', apiKey: null });
      expect(ollama.statusCode).toBe(200);
    });

    it('refuses a base URL on a private, loopback or link-local address (the server would post the key there)', async () => {
      const urls = [
        'http://127.0.0.1:11434',
        'http://127.0.0.2:6379/v1',
        'http://10.0.0.5:8000/v1',
        'http://192.168.1.20/v1',
        'http://169.254.169.254/latest',
        'http://[::1]:8000/v1',
        'http://[::ffff:127.0.0.1]/v1',
        'http://0x7f000001/v1',
        'http://2130706433/v1',
        'http://0.0.0.0:5432',
        'http://localhost:11434',
        'http://db.localhost/v1',
      ];
      for (const baseUrl of urls) {
        const problem = expectProblem(await call('PUT', '/credentials/openai-compatible', roles.admin.headers, { baseUrl }), 400);
        expect(problem.errors, baseUrl).toEqual([{ path: 'body.baseUrl', message: expect.stringMatching(/^points at a (loopback|private|link-local|unspecified) address/) }]);
      }
      // The stored credential is the public one from before.
      expect((await storedRows(roles.owner.orgId)).find((r) => r.provider === 'openai-compatible')?.baseUrl).toBe('https://vllm.example.com:8000/v1');
    });

    it('needs the admin role', async () => {
      expectProblem(await call('PUT', '/credentials/groq', roles.member.headers, { apiKey: 'gsk-member' }), 403);
      expectProblem(await call('PUT', '/credentials/groq', roles.viewer.headers, { apiKey: 'gsk-viewer' }), 403);
      expectProblem(await call('PUT', '/credentials/groq', {}, { apiKey: 'gsk-anon' }), 401);
    });
  });

  describe('GET /credentials', () => {
    it('lists the organization’s credentials without keys', async () => {
      const res = await call('GET', '/credentials', roles.admin.headers);
      expect(res.statusCode).toBe(200);
      const items = json<{ items: Credential[] }>(res).items;
      expect(items.map((c) => c.provider)).toEqual(['ollama', 'openai', 'openai-compatible']);
      expect(items.find((c) => c.provider === 'openai')).toMatchObject({ hasApiKey: true, source: 'organization' });
    });

    it('shows another organization nothing of this one’s', async () => {
      const res = await call('GET', '/credentials', roles.stranger.headers);
      expect(json<{ items: Credential[] }>(res).items).toEqual([]);
      // Naming the owner's organization in the header does not help a non-member.
      const other = await call('GET', '/credentials', { ...roles.stranger.headers, 'x-org-id': roles.owner.orgId });
      expectProblem(other, 404);
    });

    it('needs the admin role', async () => {
      expectProblem(await call('GET', '/credentials', roles.member.headers), 403);
      expectProblem(await call('GET', '/credentials', roles.viewer.headers), 403);
      expectProblem(await call('GET', '/credentials', {}), 401);
    });
  });

  describe('DELETE /credentials/:provider', () => {
    it('answers 404 in an organization that has no such credential, leaving the owner’s', async () => {
      expectProblem(await call('DELETE', '/credentials/openai', roles.stranger.headers), 404);
      expect((await storedRows(roles.owner.orgId)).map((r) => r.provider)).toContain('openai');
    });

    it('needs the admin role', async () => {
      expectProblem(await call('DELETE', '/credentials/openai', roles.member.headers), 403);
      expectProblem(await call('DELETE', '/credentials/openai', roles.viewer.headers), 403);
      expectProblem(await call('DELETE', '/credentials/openai', {}), 401);
    });

    it('rejects an unknown provider with its field path', async () => {
      const problem = expectProblem(await call('DELETE', '/credentials/acme', roles.admin.headers), 400);
      expect(problem.errors?.map((e) => e.path)).toContain('params.provider');
    });

    it('removes the credential, then answers 404', async () => {
      const res = await call('DELETE', '/credentials/openai', roles.admin.headers);
      expect(res.statusCode).toBe(204);
      expect(res.body).toBe('');
      expect((await storedRows(roles.owner.orgId)).map((r) => r.provider)).not.toContain('openai');
      expectProblem(await call('DELETE', '/credentials/openai', roles.admin.headers), 404);
    });
  });

  it('never returned the key in any response of this file', () => {
    expect(bodies.length).toBeGreaterThan(20);
    const all = bodies.join('\n');
    expect(all).not.toContain(KEY);
    expect(all).not.toContain('PLAINTEXT');
    // Not the ciphertext either.
    expect(all).not.toMatch(/v1\.[\w-]{16}\.[\w-]{22}\./);
  });
});
