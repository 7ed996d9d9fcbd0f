import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, seedMember, type TestApp } from '../../test/helpers/app.js';
import type { Config } from '../config/load.js';
import type { ToolOutcome } from './errors.js';
import { toolContext } from '../../test/helpers/tool-context.js';

/** A local server standing in for both the internet and the internal network. */
function startServer() {
  const hits: { url: string; method: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      hits.push({ url: req.url!, method: req.method!, headers: req.headers, body });
      const path = req.url!.split('?')[0];
      if (path === '/hello') return res.writeHead(200, { 'content-type': 'text/plain', 'x-test': 'yes' }).end('hello world');
      if (path === '/big') return res.writeHead(200).end('x'.repeat(100_000));
      if (path === '/slow') return; // never answers
      if (path === '/to-metadata') return res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      if (path === '/to-ipv6-loopback') return res.writeHead(302, { location: `http://[::1]:${port()}/hello` }).end();
      if (path === '/to-file') return res.writeHead(302, { location: 'file:///etc/passwd' }).end();
      if (path === '/to-hello') return res.writeHead(301, { location: '/hello' }).end();
      if (path === '/see-other') return res.writeHead(303, { location: '/echo' }).end();
      if (path === '/loop') return res.writeHead(302, { location: '/loop' }).end();
      if (path === '/echo') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ method: req.method, body, auth: req.headers.authorization ?? null }));
      res.writeHead(404).end('not here');
    });
  });
  const port = () => (server.address() as AddressInfo).port;
  return new Promise<{ port: number; hits: typeof hits; close: () => Promise<void> }>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        port: port(),
        hits,
        close: () => {
          server.closeAllConnections();
          return new Promise((r) => server.close(() => r()));
        },
      }),
    ),
  );
}

describe('http_request', () => {
  let t: TestApp;
  let srv: Awaited<ReturnType<typeof startServer>>;
  let plainOrg: string;
  let allowedOrg: string;
  beforeAll(async () => {
    t = await createTestApp('postgres');
    srv = await startServer();
    plainOrg = (await seedMember(t.ctx)).orgId;
    const admin = await seedMember(t.ctx);
    allowedOrg = admin.orgId;
    await t.ctx.services.tools.settings.update({ orgId: allowedOrg, role: 'owner', userId: admin.userId, apiKeyId: null }, { httpAllowlist: ['127.0.0.1/32'] });
  });
  afterAll(async () => {
    await srv.close();
    await t.close();
  });

  const ctx = (orgId: string, config: Partial<Config> = {}) => toolContext({ app: t.ctx, orgId, config });
  const call = (orgId: string, args: unknown, config?: Partial<Config>) => t.ctx.services.tools.execute('http_request', args, ctx(orgId, config));
  const failure = (res: ToolOutcome) => {
    if (res.ok) throw new Error(`expected a failure, got ${JSON.stringify(res.output).slice(0, 200)}`);
    return res.error;
  };

  it.each([
    ['loopback', (p: number) => `http://127.0.0.1:${p}/hello`],
    ['IPv6 loopback', (p: number) => `http://[::1]:${p}/hello`],
    ['a name resolving to loopback', (p: number) => `http://localhost:${p}/hello`],
    ['IPv4-mapped IPv6 loopback', (p: number) => `http://[::ffff:127.0.0.1]:${p}/hello`],
    ['decimal IPv4', (p: number) => `http://2130706433:${p}/hello`],
    ['hex IPv4', (p: number) => `http://0x7f000001:${p}/hello`],
    ['octal IPv4', (p: number) => `http://0177.0.0.1:${p}/hello`],
    ['short IPv4', (p: number) => `http://127.1:${p}/hello`],
    ['private 10/8', () => 'http://10.0.0.1/'],
    ['private 192.168/16', () => 'http://192.168.0.10/'],
    ['cloud metadata (link-local)', () => 'http://169.254.169.254/latest/meta-data/'],
    ['unspecified', (p: number) => `http://0.0.0.0:${p}/hello`],
  ])('refuses %s without connecting', async (_name, url) => {
    const before = srv.hits.length;
    const error = failure(await call(plainOrg, { url: url(srv.port) }));
    expect(error.code).toBe('not_allowed');
    expect(error.message).toMatch(/Refused: .*(loopback|private|link-local|unspecified) address.*httpAllowlist/);
    expect(srv.hits.length).toBe(before);
  });

  it('refuses other schemes and credentials in URLs', async () => {
    expect(failure(await call(plainOrg, { url: 'file:///etc/passwd' })).code).toBe('not_allowed');
    expect(failure(await call(plainOrg, { url: 'ftp://example.com/' })).code).toBe('not_allowed');
    expect(failure(await call(plainOrg, { url: 'http://user:pw@example.com/' })).code).toBe('invalid_arguments');
    expect(failure(await call(plainOrg, { url: 'not a url' })).code).toBe('invalid_arguments');
  });

  it('reaches an allow-listed address, pinned to the checked address', async () => {
    const res = await call(allowedOrg, { url: `http://127.0.0.1:${srv.port}/hello`, headers: { 'X-Custom': 'v' } });
    expect(res).toMatchObject({ ok: true, output: { status: 200, body: 'hello world', truncated: false, redirects: 0, headers: { 'x-test': 'yes' } } });
    const hit = srv.hits.at(-1)!;
    expect(hit.headers['x-custom']).toBe('v');
    expect(hit.headers['accept-encoding']).toBe('identity');
    expect(hit.headers['user-agent']).toMatch(/^Troupe/);
  });

  it('allows a listed hostname whatever it resolves to, and applies a change at once', async () => {
    const admin = await seedMember(t.ctx);
    const actor = { orgId: admin.orgId, role: 'owner' as const, userId: admin.userId, apiKeyId: null };
    const url = `http://localhost:${srv.port}/hello`;
    expect(failure(await call(admin.orgId, { url })).code).toBe('not_allowed');
    await t.ctx.services.tools.settings.update(actor, { httpAllowlist: ['localhost'] });
    expect(await call(admin.orgId, { url })).toMatchObject({ ok: true, output: { status: 200 } });
    expect(srv.hits.at(-1)!.headers.host).toBe(`localhost:${srv.port}`);
    await t.ctx.services.tools.settings.update(actor, { httpAllowlist: [] });
    expect(failure(await call(admin.orgId, { url })).code).toBe('not_allowed');
  });

  it('checks every redirect target', async () => {
    const meta = failure(await call(allowedOrg, { url: `http://127.0.0.1:${srv.port}/to-metadata` }));
    expect(meta).toMatchObject({ code: 'not_allowed', message: expect.stringMatching(/Redirected to 169\.254\.169\.254.*link-local/) });
    expect(failure(await call(allowedOrg, { url: `http://127.0.0.1:${srv.port}/to-ipv6-loopback` })).code).toBe('not_allowed'); // only 127.0.0.1/32 is listed
    expect(failure(await call(allowedOrg, { url: `http://127.0.0.1:${srv.port}/to-file` })).code).toBe('not_allowed');
    expect(await call(allowedOrg, { url: `http://127.0.0.1:${srv.port}/to-hello` })).toMatchObject({ ok: true, output: { body: 'hello world', redirects: 1, url: `http://127.0.0.1:${srv.port}/hello` } });
    expect(failure(await call(allowedOrg, { url: `http://127.0.0.1:${srv.port}/loop` })).message).toMatch(/after 5 redirects/);
  });

  it('turns a POST into a GET without body on 303', async () => {
    const res = await call(allowedOrg, { url: `http://127.0.0.1:${srv.port}/see-other`, method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } });
    expect(res).toMatchObject({ ok: true, output: { status: 200 } });
    expect(JSON.parse((res as { output: { body: string } }).output.body)).toEqual({ method: 'GET', body: '', auth: null });
  });

  it('sends methods and bodies, and returns error statuses as results', async () => {
    const res = await call(allowedOrg, { url: `http://127.0.0.1:${srv.port}/echo`, method: 'PUT', body: 'payload', headers: { authorization: 'Bearer t' } });
    expect(JSON.parse((res as { output: { body: string } }).output.body)).toEqual({ method: 'PUT', body: 'payload', auth: 'Bearer t' });
    expect(await call(allowedOrg, { url: `http://127.0.0.1:${srv.port}/missing` })).toMatchObject({ ok: true, output: { status: 404, body: 'not here' } });
    expect(await call(allowedOrg, { url: `http://127.0.0.1:${srv.port}/hello`, method: 'HEAD' })).toMatchObject({ ok: true, output: { status: 200, body: '' } });
  });

  it('cuts the body at TROUPE_HTTP_TOOL_MAX_BYTES', async () => {
    const res = await call(allowedOrg, { url: `http://127.0.0.1:${srv.port}/big` }, { TROUPE_HTTP_TOOL_MAX_BYTES: 2048 });
    expect(res).toMatchObject({ ok: true, output: { status: 200, truncated: true } });
    expect((res as { output: { body: string } }).output.body).toHaveLength(2048);
  });

  it('gives up at TROUPE_HTTP_TOOL_TIMEOUT_MS', async () => {
    const started = Date.now();
    const error = failure(await call(allowedOrg, { url: `http://127.0.0.1:${srv.port}/slow` }, { TROUPE_HTTP_TOOL_TIMEOUT_MS: 300 }));
    expect(error).toMatchObject({ code: 'timeout', message: expect.stringContaining('300 ms') });
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('refuses bodies on GET and headers Troupe sets itself', async () => {
    const url = `http://127.0.0.1:${srv.port}/echo`;
    expect(failure(await call(allowedOrg, { url, body: 'x' })).issues).toEqual([{ path: 'input.body', message: 'a GET request cannot have a body' }]);
    expect(failure(await call(allowedOrg, { url, headers: { Host: 'evil', 'bad name': 'x', ok: 'a\r\nb' } })).issues!.map((i) => i.path).sort()).toEqual([
      'input.headers.Host',
      'input.headers.bad name',
      'input.headers.ok',
    ]);
    expect(failure(await call(allowedOrg, { url, method: 'TRACE' })).code).toBe('invalid_arguments');
  });

  it('reports a refused connection as a tool failure', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    expect(failure(await call(allowedOrg, { url: `http://127.0.0.1:${port}/` }))).toEqual({ code: 'tool_failed', message: `Request to 127.0.0.1:${port} failed: the connection was refused` });
  });
});
