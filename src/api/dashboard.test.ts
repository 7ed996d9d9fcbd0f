import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, type TestApp } from '../../test/helpers/app.js';
import { precompressDir } from '../../web/tools/precompress.js';
import { chooseEncoding } from './dashboard.js';

const HTML = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
const INDEX = '<!doctype html><html><head><script type="module" src="/assets/index-abc123.js"></script></head><body><div id="root"></div></body></html>';

/** A stand-in for `npm run build:web` output, so this test does not depend on a real build. */
function fakeBuild(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'troupe-web-'));
  mkdirSync(path.join(dir, 'assets'));
  writeFileSync(path.join(dir, 'index.html'), INDEX);
  writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), 'console.log("app")');
  writeFileSync(path.join(dir, 'assets', 'index-abc123.css'), 'body{}');
  writeFileSync(path.join(dir, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
  writeFileSync(path.join(dir, '.build-inputs.json'), '{}');
  return dir;
}

describe('the dashboard served at /', () => {
  let t: TestApp;
  let dir: string;
  beforeAll(async () => {
    dir = fakeBuild();
    t = await createTestApp('postgres', { TROUPE_WEB_DIR: dir });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers / with the index page, not cached, under a CSP that allows only its own scripts', async () => {
    const res = await t.app.inject({ url: '/', headers: HTML });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/html/);
    expect(res.headers['cache-control']).toBe('no-cache');
    expect(res.body).toBe(INDEX);
    const csp = String(res.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("script-src 'self' 'unsafe-inline'");
    expect((await t.app.inject({ method: 'HEAD', url: '/' })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/index.html' })).body).toBe(INDEX);
  });

  it('serves hashed assets with a one-year immutable cache, other files revalidated', async () => {
    const js = await t.app.inject({ url: '/assets/index-abc123.js' });
    expect(js.statusCode).toBe(200);
    expect(js.headers['content-type']).toMatch(/javascript/);
    expect(js.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(js.body).toBe('console.log("app")');
    const css = await t.app.inject({ url: '/assets/index-abc123.css' });
    expect(css.headers['content-type']).toMatch(/^text\/css/);
    const icon = await t.app.inject({ url: '/favicon.svg' });
    expect(icon.statusCode).toBe(200);
    expect(icon.headers['cache-control']).toBe('no-cache');
  });

  it('answers client-side routes (/agents/123) with the index page when a browser navigates', async () => {
    for (const url of ['/agents/123', '/runs', '/settings/members?tab=1', '/signin']) {
      const res = await t.app.inject({ url, headers: HTML });
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).toBe(INDEX);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers['content-security-policy']).toBeDefined();
    }
  });

  it('keeps every API and operations path as it was: unknown ones are 404 problems, never the page', async () => {
    for (const url of ['/api/v1/nope', '/api/v2', '/api', '/assets/missing.js', '/docs/nope.js', '/health/x', '/metrics/x', '/favicon.ico', '/.build-inputs.json']) {
      const res = await t.app.inject({ url, headers: HTML });
      expect(res.statusCode, url).toBe(404);
      expect(expectProblem(res, 404).code, url).toBe('route_not_found');
    }
    // Not a page navigation: JSON clients and other methods get the problem too.
    expect(expectProblem(await t.app.inject({ url: '/agents/123', headers: { accept: 'application/json' } }), 404).code).toBe('route_not_found');
    expectProblem(await t.app.inject({ url: '/agents/123' }), 404);
    expectProblem(await t.app.inject({ method: 'POST', url: '/agents/123', headers: HTML, payload: {} }), 404);
    expectProblem(await t.app.inject({ method: 'DELETE', url: '/', headers: HTML }), 404);

    expect(json(await t.app.inject({ url: '/health' }))).toMatchObject({ status: 'ok' });
    expect((await t.app.inject({ url: '/ready' })).statusCode).toBe(200);
    expect((await t.app.inject({ url: '/metrics' })).body).toContain('http_requests_total');
    expect(json(await t.app.inject({ url: '/api/v1/openapi.json' }))).toHaveProperty('openapi', '3.1.0');
    expect(expectProblem(await t.app.inject({ url: '/api/v1/agents' }), 401).code).toBe('unauthorized');
    const docs = await t.app.inject({ url: '/docs/', headers: HTML });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger');
  });

  it('never answers 500 to odd paths, methods or headers', async () => {
    const paths = ['/%', '/%00', '/%E0%A4%A', '/..', '/a/../../etc/passwd', `/${'x'.repeat(5000)}`, '/assets/', '/assets', '//', '/?q=%', '/index.html', '/\u0000'];
    for (const url of paths) {
      for (const method of ['GET', 'HEAD', 'OPTIONS', 'POST'] as const) {
        const res = await t.app.inject({ method, url, headers: { ...HTML, 'accept-encoding': 'gzip, br' } });
        expect(res.statusCode, `${method} ${url}`).toBeLessThan(500);
      }
    }
    expect((await t.app.inject({ url: '/agents', headers: { accept: '' } })).statusCode).toBe(404);
  });

  it('serves nothing outside the build folder', async () => {
    for (const url of ['/../package.json', '/assets/../../package.json', '/assets/%2e%2e/%2e%2e/package.json', '/%2e%2e/src/app.ts']) {
      const res = await t.app.inject({ url, headers: HTML });
      expect(res.body, url).not.toContain('"name": "troupe"');
      expect(res.statusCode, url).not.toBe(500);
    }
  });
});

describe('without a built dashboard', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('postgres', { TROUPE_WEB_DIR: path.join(tmpdir(), 'troupe-no-such-build') });
  });
  afterAll(() => t?.close());

  it('still starts; / and page navigations say how to build it; the API works as usual', async () => {
    for (const url of ['/', '/agents/123']) {
      const res = await t.app.inject({ url, headers: HTML });
      expect(res.statusCode, url).toBe(503);
      expect(res.headers['content-type']).toMatch(/^text\/html/);
      expect(res.body).toContain('npm run build:web');
    }
    expectProblem(await t.app.inject({ url: '/api/v1/nope', headers: HTML }), 404);
    expectProblem(await t.app.inject({ url: '/assets/index.js' }), 404);
    expect((await t.app.inject({ url: '/health' })).statusCode).toBe(200);
  });
});

describe('precompressed files (decision 49)', () => {
  let t: TestApp;
  let dir: string;
  // Big enough to be compressed (precompress skips files under 1 KB).
  const script = `console.log(${JSON.stringify('the dashboard '.repeat(400))});\n`;
  const page = INDEX.replace('<div id="root"></div>', `<div id="root"></div>${'<!-- padding -->'.repeat(100)}`);
  beforeAll(async () => {
    dir = fakeBuild();
    writeFileSync(path.join(dir, 'assets', 'index-abc123.js'), script);
    writeFileSync(path.join(dir, 'index.html'), page);
    // The build's own step, as `npm run build:web` runs it.
    expect(precompressDir(dir).sort()).toEqual(['assets/index-abc123.js', 'index.html']);
    t = await createTestApp('postgres', { TROUPE_WEB_DIR: dir });
  });
  afterAll(async () => {
    await t?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends an asset brotli- or gzip-compressed to clients that accept it, the plain file to others, with the same cache headers', async () => {
    const br = await t.app.inject({ url: '/assets/index-abc123.js', headers: { 'accept-encoding': 'gzip, deflate, br' } });
    expect(br.statusCode).toBe(200);
    expect(br.headers['content-encoding']).toBe('br');
    expect(br.headers['content-type']).toMatch(/javascript/);
    expect(br.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    expect(br.headers.vary).toMatch(/accept-encoding/i);
    expect(br.rawPayload.length).toBeLessThan(script.length / 5);
    expect(brotliDecompressSync(br.rawPayload).toString()).toBe(script);

    const gz = await t.app.inject({ url: '/assets/index-abc123.js', headers: { 'accept-encoding': 'gzip' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    expect(gunzipSync(gz.rawPayload).toString()).toBe(script);

    for (const headers of [{}, { 'accept-encoding': 'identity' }, { 'accept-encoding': 'br;q=0, gzip;q=0' }]) {
      const plain = await t.app.inject({ url: '/assets/index-abc123.js', headers });
      expect(plain.headers['content-encoding'], JSON.stringify(headers)).toBeUndefined();
      expect(plain.body).toBe(script);
      expect(plain.headers['cache-control']).toBe('public, max-age=31536000, immutable');
    }
    // A file too small to compress is sent plain, whatever the client accepts; the copies have no URL of their own.
    const css = await t.app.inject({ url: '/assets/index-abc123.css', headers: { 'accept-encoding': 'br' } });
    expect(css.headers['content-encoding']).toBeUndefined();
    expect(css.body).toBe('body{}');
    expect((await t.app.inject({ url: '/assets/index-abc123.js.br' })).statusCode).toBe(404);
  });

  it('sends the index page compressed too, at / and at client routes', async () => {
    for (const url of ['/', '/agents/123']) {
      const res = await t.app.inject({ url, headers: { ...HTML, 'accept-encoding': 'gzip, br' } });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-encoding'], url).toBe('br');
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.headers.vary).toMatch(/accept-encoding/i);
      expect(brotliDecompressSync(res.rawPayload).toString()).toBe(page);
    }
    const gz = await t.app.inject({ url: '/', headers: { ...HTML, 'accept-encoding': 'gzip' } });
    expect(gunzipSync(gz.rawPayload).toString()).toBe(page);
    const plain = await t.app.inject({ url: '/', headers: HTML });
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(plain.body).toBe(page);
  });

  it('reads Accept-Encoding as RFC 9110 says', () => {
    expect(chooseEncoding('gzip, br', ['br', 'gzip'])).toBe('br');
    expect(chooseEncoding('br;q=0, gzip', ['br', 'gzip'])).toBe('gzip');
    expect(chooseEncoding('*', ['br', 'gzip'])).toBe('br');
    expect(chooseEncoding('*;q=0, identity', ['br', 'gzip'])).toBeUndefined();
    expect(chooseEncoding('GZIP;Q=0.5', ['br', 'gzip'])).toBe('gzip');
    expect(chooseEncoding(undefined, ['br', 'gzip'])).toBeUndefined();
  });
});
