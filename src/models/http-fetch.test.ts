import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileAllowlist, EMPTY_ALLOWLIST } from '../tools/net/allowlist.js';
import { guardedHttpFetch, httpFetch } from './http-fetch.js';

type Handler = (req: IncomingMessage, body: string, res: ServerResponse) => void;

describe('httpFetch (the model clients’ fetch over node:http)', () => {
  const routes = new Map<string, Handler>();
  let base = '';
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const handler = routes.get(req.url!);
      if (handler) handler(req, body, res);
      else res.writeHead(404).end();
    });
  });

  beforeAll(async () => {
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('sends method, headers and a JSON body with its length, and answers status, headers and body', async () => {
    routes.set('/echo', (req, body, res) => {
      res.writeHead(201, 'Made', { 'content-type': 'application/json', 'x-request-id': 'r-1' });
      res.end(JSON.stringify({ method: req.method, auth: req.headers.authorization, length: req.headers['content-length'], chunked: req.headers['transfer-encoding'] ?? null, body: JSON.parse(body) }));
    });
    const res = await httpFetch(`${base}/echo`, { method: 'POST', headers: { authorization: 'Bearer k', 'content-type': 'application/json' }, body: JSON.stringify({ a: 'é' }) });
    expect(res.status).toBe(201);
    expect(res.statusText).toBe('Made');
    expect(res.ok).toBe(true);
    expect(res.headers.get('x-request-id')).toBe('r-1');
    expect(await res.json()).toEqual({ method: 'POST', auth: 'Bearer k', length: String(Buffer.byteLength('{"a":"é"}')), chunked: null, body: { a: 'é' } });
  });

  it('takes a URL object and Headers, and byte bodies', async () => {
    routes.set('/bytes', (req, body, res) => res.end(`${req.headers['x-a']}:${body}`));
    const res = await httpFetch(new URL(`${base}/bytes`), { method: 'PUT', headers: new Headers({ 'x-a': '1' }), body: new TextEncoder().encode('raw') });
    expect(await res.text()).toBe('1:raw');
  });

  it('answers error statuses as responses, not as failures', async () => {
    routes.set('/limited', (_req, _body, res) => res.writeHead(429, { 'retry-after': '2', 'content-type': 'application/json' }).end('{"error":{"message":"slow down"}}'));
    const res = await httpFetch(`${base}/limited`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(429);
    expect(res.ok).toBe(false);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(await res.json()).toEqual({ error: { message: 'slow down' } });
  });

  it('decodes a gzip body and drops the encoding headers', async () => {
    routes.set('/gzip', (_req, _body, res) => {
      const zipped = gzipSync(JSON.stringify({ zipped: true }));
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': zipped.length }).end(zipped);
    });
    const res = await httpFetch(`${base}/gzip`);
    expect(res.headers.get('content-encoding')).toBeNull();
    expect(await res.json()).toEqual({ zipped: true });
  });

  it('hands over an event stream as it arrives', async () => {
    let finish!: () => void;
    routes.set('/sse', (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
      finish = () => res.end('data: two\n\n');
    });
    const res = await httpFetch(`${base}/sse`, { method: 'POST', body: '{}' });
    const reader = res.body!.getReader();
    const first = await reader.read();
    // The first event is readable while the server still holds the rest.
    expect(new TextDecoder().decode(first.value)).toBe('data: one\n\n');
    finish();
    let rest = '';
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    expect(rest).toBe('data: two\n\n');
  });

  it('rejects with the signal’s reason when aborted before, during the request or while the body is read', async () => {
    routes.set('/slow', () => {});
    routes.set('/half', (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"par');
    });
    const before = new AbortController();
    before.abort('canceled');
    await expect(httpFetch(`${base}/slow`, { signal: before.signal })).rejects.toBe('canceled');

    const during = new AbortController();
    const pending = httpFetch(`${base}/slow`, { method: 'POST', body: '{}', signal: during.signal });
    setTimeout(() => during.abort('timeout'), 20);
    await expect(pending).rejects.toBe('timeout');

    const reading = new AbortController();
    const half = httpFetch(`${base}/half`, { signal: reading.signal });
    setTimeout(() => reading.abort(), 50);
    await expect(half).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('aborts an event stream while it is read', async () => {
    routes.set('/sse-open', (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: one\n\n');
    });
    const controller = new AbortController();
    const res = await httpFetch(`${base}/sse-open`, { signal: controller.signal });
    const reader = res.body!.getReader();
    await reader.read();
    controller.abort();
    await expect(reader.read()).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('fails like fetch when nothing listens: TypeError "fetch failed" with the cause', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const err = (await httpFetch(`http://127.0.0.1:${port}/v1`, { method: 'POST', body: '{}' }).catch((e: unknown) => e)) as TypeError & { cause: { code: string } };
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message).toBe('fetch failed');
    expect(err.cause.code).toBe('ECONNREFUSED');
  });

  it('follows redirects and sends other bodies through the global fetch', async () => {
    routes.set('/moved', (_req, _body, res) => res.writeHead(307, { location: '/echo-type' }).end());
    routes.set('/echo-type', (req, body, res) => res.end(`${req.method} ${String(req.headers['content-type']).split(';')[0]} ${body.includes('name="f"') ? 'form' : body}`));
    expect(await (await httpFetch(`${base}/moved`, { method: 'POST', body: 'x' })).text()).toBe('POST text/plain x');
    const form = new FormData();
    form.set('f', 'v');
    expect(await (await httpFetch(`${base}/echo-type`, { method: 'POST', body: form })).text()).toBe('POST multipart/form-data form');
  });

  it('sends a request again on a new socket when a kept-alive one turns out closed', async () => {
    const perSocket = new WeakMap<object, number>();
    let connections = 0;
    const flaky = createServer((req, res) => {
      const n = (perSocket.get(req.socket) ?? 0) + 1;
      perSocket.set(req.socket, n);
      // The second request on a connection: the server had closed it (no answer, a reset).
      if (n > 1) return void req.socket.destroy();
      res.end(`answer ${n}`);
    });
    flaky.on('connection', () => connections++);
    await new Promise<void>((resolve) => flaky.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(flaky.address() as AddressInfo).port}/`;
    expect(await (await httpFetch(url, { method: 'POST', body: '{}' })).text()).toBe('answer 1');
    expect(await (await httpFetch(url, { method: 'POST', body: '{}' })).text()).toBe('answer 1');
    expect(connections).toBe(2);
    flaky.closeAllConnections();
    await new Promise((resolve) => flaky.close(resolve));
  });

  it('answers 204 without a body', async () => {
    routes.set('/empty', (_req, _body, res) => res.writeHead(204).end());
    const res = await httpFetch(`${base}/empty`, { method: 'DELETE' });
    expect(res.status).toBe(204);
    expect(res.body).toBeNull();
  });

  describe('guardedHttpFetch (an organization’s own base URL)', () => {
    let hits = 0;
    beforeAll(() => {
      routes.set('/guarded', (_req, body, res) => {
        hits++;
        res.end(`got ${body}`);
      });
      routes.set('/guarded-moved', (_req, _body, res) => {
        hits++;
        res.writeHead(307, { location: '/guarded' }).end();
      });
    });
    const refusal = (p: Promise<Response>) => p.then(() => null, (e: unknown) => e as TypeError & { cause: Error });

    it('refuses loopback, by address or by a name resolving to it, before connecting', async () => {
      const guarded = guardedHttpFetch(EMPTY_ALLOWLIST);
      const port = new URL(base).port;
      for (const url of [`${base}/guarded`, `http://localhost:${port}/guarded`, `http://[::ffff:127.0.0.1]:${port}/guarded`, `http://2130706433:${port}/guarded`]) {
        const err = await refusal(guarded(url, { method: 'POST', body: '{}' }));
        expect(err, url).toBeInstanceOf(TypeError);
        expect(err!.message).toBe('fetch failed');
        expect(err!.cause.message).toMatch(/loopback/);
      }
      expect(hits).toBe(0);
    });

    it('reaches a host the operator allows, and does not follow redirects', async () => {
      const guarded = guardedHttpFetch(compileAllowlist(['127.0.0.1']));
      expect(await (await guarded(`${base}/guarded`, { method: 'POST', body: 'x' })).text()).toBe('got x');
      const moved = await guarded(`${base}/guarded-moved`, { method: 'POST', body: 'x' });
      expect(moved.status).toBe(307);
      expect(hits).toBe(2);
    });

    it('hands nothing to the global fetch: other bodies and schemes are refused', async () => {
      const guarded = guardedHttpFetch(compileAllowlist(['127.0.0.1']));
      const form = new FormData();
      form.set('f', 'v');
      expect(await refusal(guarded(`${base}/guarded`, { method: 'POST', body: form }))).toBeInstanceOf(TypeError);
      expect(await refusal(guarded(new Request(`${base}/guarded`)))).toBeInstanceOf(TypeError);
      expect(await refusal(guarded('file:///etc/passwd'))).toBeInstanceOf(TypeError);
      expect(hits).toBe(2);
    });
  });
});
