import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = path.resolve(import.meta.dirname, '../..');

interface Started {
  child: ChildProcess;
  url: string;
  output: () => string;
}

/** Starts `troupe serve` as its own process and waits for the line that prints its URL. */
function start(dataDir: string): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', 'serve'], {
    cwd: ROOT,
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', TROUPE_DATA_DIR: dataDir, LOG_LEVEL: 'warn', DATABASE_URL: '', REDIS_URL: '', TROUPE_SECRET_KEY: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (out += d));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start in time:\n${out}`)), 60_000);
    child.on('exit', (code) => reject(new Error(`server exited with ${code}:\n${out}`)));
    child.stdout!.on('data', () => {
      const m = /Troupe is running at (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, output: () => out });
      }
    });
  });
}

function stop(s: Started): Promise<number | null> {
  return new Promise((resolve) => {
    s.child.removeAllListeners('exit');
    s.child.on('exit', (code) => resolve(code));
    s.child.kill('SIGTERM');
  });
}

async function call(url: string, method: string, body?: unknown, token?: string) {
  const res = await fetch(url, {
    method,
    headers: { ...(body ? { 'content-type': 'application/json' } : {}), ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body ? JSON.stringify(body) : undefined,
  });
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- loosely typed JSON for a black-box test
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

describe('smoke: the real server on an empty embedded data folder', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'troupe-smoke-'));
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('signs up, creates an agent, stops, starts again and finds the agent', { timeout: 180_000 }, async () => {
    const first = await start(dataDir);
    expect(first.output()).toContain('First start: no account exists yet');
    expect(first.output()).toMatch(/trs_[\w-]+/);
    expect(existsSync(path.join(dataDir, 'secret.key'))).toBe(true);

    const signup = await call(`${first.url}/api/v1/auth/signup`, 'POST', { email: 'smoke@example.com', password: 'smoke test password', name: 'Smoke' });
    expect(signup.status).toBe(201);
    const token = signup.body.tokens.accessToken as string;
    const created = await call(`${first.url}/api/v1/agents`, 'POST', { name: 'Receptionist', model: 'openai:gpt-4o-mini', instructions: 'Greet people.' }, token);
    expect(created.status).toBe(201);
    expect(await stop(first)).toBe(0);
    expect(existsSync(path.join(dataDir, 'troupe.lock'))).toBe(false);

    const second = await start(dataDir);
    try {
      expect(second.output()).not.toContain('First start');
      const signin = await call(`${second.url}/api/v1/auth/signin`, 'POST', { email: 'smoke@example.com', password: 'smoke test password' });
      expect(signin.status).toBe(200);
      const list = await call(`${second.url}/api/v1/agents`, 'GET', undefined, signin.body.tokens.accessToken as string);
      expect(list.status).toBe(200);
      expect(list.body.items.map((a: { id: string; name: string }) => [a.id, a.name])).toEqual([[created.body.id, 'Receptionist']]);
    } finally {
      await stop(second);
    }
  });
});
