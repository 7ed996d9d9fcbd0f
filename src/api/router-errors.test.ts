import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, seedMember, type Member, type TestApp } from '../../test/helpers/app.js';

/**
 * Every error leaves as problem+json, also those raised before a route runs: by the router (a
 * bad percent-escape, an over-long path segment), by the body parser (media type, size, JSON),
 * by the 404 handler (unknown path or method), and by Node's HTTP parser (on a real socket).
 */
describe('router-level errors are problem+json', () => {
  let t: TestApp;
  let owner: Member;
  beforeAll(async () => {
    t = await createTestApp('postgres', { TROUPE_BODY_LIMIT: '4096' });
    owner = await seedMember(t.ctx, 'owner');
  });
  afterAll(() => t.close());

  const forms: { name: string; status: number; code: string; request: () => InjectOptions }[] = [
    { name: 'a malformed % escape in the path', status: 400, code: 'bad_url', request: () => ({ url: '/api/v1/agents/%zz' }) },
    { name: 'a truncated UTF-8 escape in the path', status: 400, code: 'bad_url', request: () => ({ url: '/api/v1/agents/%E0%A4%A' }) },
    { name: 'a path parameter over 100 characters', status: 414, code: 'uri_too_long', request: () => ({ url: `/api/v1/agents/${'a'.repeat(101)}` }) },
    { name: 'the same, authenticated', status: 414, code: 'uri_too_long', request: () => ({ url: `/api/v1/agents/${'a'.repeat(500)}`, headers: owner.headers }) },
    { name: 'an unknown path', status: 404, code: 'route_not_found', request: () => ({ url: '/api/v1/nothing-here' }) },
    { name: 'a method the path does not have', status: 404, code: 'route_not_found', request: () => ({ method: 'DELETE', url: '/api/v1/setup' }) },
    { name: 'PUT on a collection', status: 404, code: 'route_not_found', request: () => ({ method: 'PUT', url: '/api/v1/agents', headers: owner.headers, payload: {} }) },
    {
      name: 'an unsupported media type',
      status: 415,
      code: 'unsupported_media_type',
      request: () => ({ method: 'POST', url: '/api/v1/agents', headers: { ...owner.headers, 'content-type': 'application/xml' }, payload: '<a/>' }),
    },
    {
      name: 'a body over the limit',
      status: 413,
      code: 'payload_too_large',
      request: () => ({ method: 'POST', url: '/api/v1/agents', headers: owner.headers, payload: { name: 'x'.repeat(5000) } }),
    },
    {
      name: 'a body that is not JSON',
      status: 400,
      code: 'invalid_json',
      request: () => ({ method: 'POST', url: '/api/v1/agents', headers: { ...owner.headers, 'content-type': 'application/json' }, payload: '{"name":' }),
    },
    {
      name: 'an empty body declared as JSON',
      status: 400,
      code: 'invalid_body',
      request: () => ({ method: 'POST', url: '/api/v1/agents', headers: { ...owner.headers, 'content-type': 'application/json' }, payload: '' }),
    },
    {
      name: 'a body with a forbidden prototype key',
      status: 400,
      code: 'invalid_json',
      request: () => ({ method: 'POST', url: '/api/v1/agents', headers: { ...owner.headers, 'content-type': 'application/json' }, payload: '{"__proto__":{"x":1}}' }),
    },
  ];

  for (const form of forms) {
    it(`${form.name}: ${form.status} ${form.code}`, async () => {
      const res = await t.app.inject(form.request());
      const problem = expectProblem(res, form.status);
      expect(problem).toMatchObject({ code: form.code, status: form.status, type: `urn:troupe:error:${form.code}` });
      expect(problem.detail.length).toBeGreaterThan(10);
      expect(res.headers['x-request-id']).toBeTruthy();
    });
  }

  describe('on a real socket', () => {
    let port: number;
    beforeAll(async () => {
      await t.app.listen({ port: 0, host: '127.0.0.1' });
      port = (t.app.server.address() as AddressInfo).port;
    });

    /** Sends raw bytes and returns the whole response text (the server closes the connection). */
    const raw = (request: string) =>
      new Promise<string>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => socket.write(request));
        let text = '';
        socket.on('data', (chunk) => (text += String(chunk)));
        socket.on('close', () => resolve(text));
        socket.on('error', reject);
      });
    const parse = (text: string) => {
      const [head = '', body = ''] = text.split('\r\n\r\n');
      return { status: Number(head.split(' ')[1]), head: head.toLowerCase(), body: JSON.parse(body) as { code: string; status: number } };
    };

    it('a request Node cannot parse: 400 malformed_request', async () => {
      const res = parse(await raw('NOT HTTP AT ALL\r\n\r\n'));
      expect(res.status).toBe(400);
      expect(res.head).toContain('content-type: application/problem+json');
      expect(res.body).toMatchObject({ status: 400, code: 'malformed_request' });
    });

    it('headers over the size limit: 431 headers_too_large', async () => {
      const res = parse(await raw(`GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`));
      expect(res.status).toBe(431);
      expect(res.head).toContain('content-type: application/problem+json');
      expect(res.body).toMatchObject({ status: 431, code: 'headers_too_large' });
    });

    it('a bad % escape over HTTP too', async () => {
      const res = parse(await raw('GET /api/v1/agents/%zz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'));
      expect(res.status).toBe(400);
      expect(res.head).toContain('content-type: application/problem+json');
      expect(res.body).toMatchObject({ code: 'bad_url' });
    });
  });
});
