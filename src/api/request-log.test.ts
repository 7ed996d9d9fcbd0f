import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../../test/helpers/app.js';
import { createLogger } from '../shared/logger.js';

/** The server's request log lines, captured from its real logger. */
describe('request logs', () => {
  let dir: string;
  const lines: { level: number; msg: string; req?: { url: string }; reqId?: string }[] = [];
  const apps: TestApp[] = [];
  const stream = new Writable({
    write(chunk, _enc, done) {
      lines.push(JSON.parse(String(chunk)) as (typeof lines)[number]);
      done();
    },
  });
  const start = async (level: string) => {
    const t = await createTestApp('postgres', { TROUPE_WEB_DIR: dir }, { logger: createLogger(level, stream) });
    apps.push(t);
    return t;
  };
  /** The URLs of "incoming request" lines at `level` (pino's numbers: 20 debug, 30 info). */
  const incoming = (level: number) => lines.filter((l) => l.msg === 'incoming request' && l.level === level).map((l) => l.req!.url);

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'troupe-web-'));
    mkdirSync(path.join(dir, 'assets'));
    writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>t</title>');
    writeFileSync(path.join(dir, 'assets', 'index-abc.js'), 'console.log(1)');
  });
  beforeEach(() => void (lines.length = 0));
  afterAll(async () => {
    for (const t of apps) await t.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('at info, logs API requests but not dashboard files, page loads or health and metrics probes', async () => {
    const t = await start('info');
    lines.length = 0;
    const html = { accept: 'text/html' };
    for (const url of ['/', '/assets/index-abc.js', '/agents/123', '/health', '/ready', '/metrics', '/docs/']) {
      expect((await t.app.inject({ url, headers: html })).statusCode, url).toBeLessThan(400);
    }
    await t.app.inject({ url: '/api/v1/agents' });
    await t.app.inject({ method: 'POST', url: '/api/v1/auth/signin', payload: { email: 'a@example.com', password: 'x' } });
    expect(incoming(30)).toEqual(['/api/v1/agents', '/api/v1/auth/signin']);
    const completed = lines.filter((l) => l.msg === 'request completed');
    expect(completed).toHaveLength(2);
  });

  it('at debug, logs those too', async () => {
    const t = await start('debug');
    lines.length = 0;
    await t.app.inject({ url: '/assets/index-abc.js' });
    await t.app.inject({ url: '/health' });
    await t.app.inject({ url: '/api/v1/agents' });
    expect(incoming(20)).toEqual(['/assets/index-abc.js', '/health']);
    expect(incoming(30)).toEqual(['/api/v1/agents']);
  });
});
