import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ToolError } from './errors.js';
import { compileAllowlist, EMPTY_ALLOWLIST } from './net/allowlist.js';
import { resolveTarget } from './net/guard.js';
import { guardedRequest } from './net/request.js';

// Scripted DNS answers. Only the guard's own lookup goes through this mock: a socket that
// resolved the name again (node's internal resolver) would find no such host at all.
const answers = new Map<string, string[][]>();
const lookups: string[] = [];
vi.mock('node:dns/promises', () => ({
  lookup: async (host: string) => {
    lookups.push(host);
    const queue = answers.get(host);
    const next = queue && queue.length > 1 ? queue.shift()! : queue?.[0];
    if (!next) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return next.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  },
}));

describe('resolveTarget', () => {
  it('refuses a name when any of its addresses is private, even next to a public one', async () => {
    answers.set('mixed.test', [['93.184.216.34', '10.0.0.7']]);
    await expect(resolveTarget(new URL('http://mixed.test/'), EMPTY_ALLOWLIST)).rejects.toThrow(/mixed\.test resolves to a private address/);
    answers.set('mapped.test', [['::ffff:169.254.169.254']]);
    await expect(resolveTarget(new URL('http://mapped.test/'), EMPTY_ALLOWLIST)).rejects.toThrow(/link-local/);
  });

  it('pins a public answer, and lets a listed name or range through', async () => {
    answers.set('public.test', [['93.184.216.34']]);
    expect(await resolveTarget(new URL('https://public.test/x'), EMPTY_ALLOWLIST)).toEqual({ address: '93.184.216.34', family: 4 });
    expect(await resolveTarget(new URL('http://mixed.test/'), compileAllowlist(['mixed.test']))).toEqual({ address: '93.184.216.34', family: 4 });
    expect(await resolveTarget(new URL('http://mixed.test/'), compileAllowlist(['10.0.0.0/24']))).toEqual({ address: '93.184.216.34', family: 4 });
  });

  it('reports an unknown host as a tool failure', async () => {
    const err = await resolveTarget(new URL('http://nowhere.test/'), EMPTY_ALLOWLIST).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ToolError);
    expect((err as ToolError).message).toBe('Could not resolve the host nowhere.test');
  });
});

describe('guardedRequest and DNS rebinding', () => {
  let server: http.Server;
  let port: number;
  beforeAll(async () => {
    server = http.createServer((req, res) => res.end(`host=${req.headers.host}`));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => server.close(() => r())));

  it('connects to the address it checked, with one lookup, whatever the name answers next', async () => {
    // First answer: the allowed test server; any later answer would be the internal network.
    answers.set('rebind.test', [['127.0.0.1'], ['10.9.9.9']]);
    lookups.length = 0;
    const res = await guardedRequest({
      url: `http://rebind.test:${port}/`,
      method: 'GET',
      allowlist: compileAllowlist(['127.0.0.1']),
      timeoutMs: 2_000,
      maxBytes: 1024,
      signal: new AbortController().signal,
    });
    expect(res).toMatchObject({ status: 200, body: `host=rebind.test:${port}` });
    expect(lookups).toEqual(['rebind.test']);
  });
});
