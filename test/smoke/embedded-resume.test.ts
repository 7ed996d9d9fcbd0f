import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTroupe, type TroupeProcess } from '../helpers/processes.js';
import { startProviderStub, type ProviderStub } from '../helpers/provider-stub.js';

// Long, so that a restart that waited for the dead process's lease could not pass by luck.
const LEASE_SECONDS = 120;

/**
 * An embedded server killed with SIGKILL during a run: the next start holds the data folder's
 * lock, which proves the old process is gone, so the run resumes at once (decision 41) instead
 * of after the dead process's lease.
 */
describe('smoke: an embedded server killed mid-run resumes the run at its next start', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'troupe-resume-'));
  let stub: ProviderStub;
  const procs: TroupeProcess[] = [];

  beforeAll(async () => {
    stub = await startProviderStub();
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await stub?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const serve = async () => {
    const p = startTroupe(['serve'], {
      PORT: '0',
      HOST: '127.0.0.1',
      TROUPE_DATA_DIR: dataDir,
      DATABASE_URL: '',
      REDIS_URL: '',
      TROUPE_SECRET_KEY: '',
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: `${stub.url}/v1`,
      TROUPE_RUN_LEASE_SECONDS: String(LEASE_SECONDS),
    });
    procs.push(p);
    const [, url] = await p.waitFor(/Troupe is running at (http:\/\/\S+)/, 90_000);
    return { p, url: url! };
  };

  async function call(url: string, method: string, route: string, token?: string, body?: unknown) {
    const res = await fetch(`${url}/api/v1${route}`, {
      method,
      headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${route}: ${res.status} ${text}`);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- loosely typed JSON for a black-box test
    return JSON.parse(text) as Record<string, any>;
  }

  it('resumes a run left running by a killed process within seconds, not after its lease', { timeout: 300_000 }, async () => {
    const first = await serve();
    const signup = await call(first.url, 'POST', '/auth/signup', undefined, { email: 'resume@example.com', password: 'resume smoke password', name: 'Resume' });
    const token = signup.tokens.accessToken as string;
    const agent = await call(first.url, 'POST', '/agents', token, { name: 'Slow', model: 'openai:gpt-4o-mini', instructions: 'Answer.' });
    // The first model call hangs: the process dies during it.
    stub.enqueue({ text: 'never delivered', delayMs: 60_000 });
    const run = await call(first.url, 'POST', `/agents/${agent.id}/execute`, token, { task: 'Say hello' });
    const end = Date.now() + 60_000;
    while (stub.requests.length === 0 || (await call(first.url, 'GET', `/runs/${run.id}`, token)).status !== 'running') {
      if (Date.now() > end) throw new Error(`the run did not start:\n${first.p.output()}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    first.p.child.kill('SIGKILL');
    expect(await first.p.exited).toBeNull();

    const second = await serve();
    const ready = Date.now();
    let current = await call(second.url, 'GET', `/runs/${run.id}`, token);
    while (current.status !== 'succeeded' && current.status !== 'failed' && Date.now() - ready < 30_000) {
      await new Promise((r) => setTimeout(r, 100));
      current = await call(second.url, 'GET', `/runs/${run.id}`, token);
    }
    const waited = Date.now() - ready;
    console.info(`[embedded-resume] run finished ${waited} ms after the restarted server was ready (lease ${LEASE_SECONDS} s)`);
    expect(current).toMatchObject({ status: 'succeeded', output: 'Hello from the stub.' });
    // Resumed by the sweep at start, not after the lease (120 s) or a periodic sweep (15 s).
    expect(waited).toBeLessThan(10_000);
    expect(stub.requests).toHaveLength(2);
  });
});
