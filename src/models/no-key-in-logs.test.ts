import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedMember, TEST_SECRET_KEY, type Member } from '../../test/helpers/app.js';
import { openTestDatabase } from '../../test/helpers/databases.js';
import { buildServer } from '../api/server.js';
import { createContext, type AppContext } from '../app.js';
import { loadConfig } from '../config/load.js';
import { REDACT_PATHS } from '../shared/logger.js';

const KEY = 'sk-LOGLEAK-5f0c2d7e9a1b3c4d';

/**
 * The real server, logging at trace level (the most it can say) with the production redaction
 * list into memory, driven through every credential route; the key must appear in no line.
 */
describe('provider keys never reach the log', () => {
  const lines: string[] = [];
  let ctx: AppContext;
  let app: FastifyInstance;
  let admin: Member;

  beforeAll(async () => {
    const logger = pino({ level: 'trace', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, { write: (line: string) => void lines.push(line) });
    const config = loadConfig({ TROUPE_SECRET_KEY: TEST_SECRET_KEY, TROUPE_DATA_DIR: `/tmp/troupe-test-${randomUUID()}`, LOG_LEVEL: 'trace' });
    ctx = await createContext(config, { database: await openTestDatabase('postgres'), logger });
    app = await buildServer(ctx);
    await app.ready();
    admin = await seedMember(ctx, 'admin');
  });
  afterAll(async () => {
    await app.close();
    await ctx.close();
  });

  it('through storing, listing, rejecting, resolving and deleting a key', async () => {
    const send = (method: 'GET' | 'PUT' | 'DELETE', url: string, payload?: object) =>
      app.inject({ method, url: `/api/v1${url}`, headers: admin.headers, ...(payload ? { payload } : {}) });
    expect((await send('PUT', '/credentials/openai', { apiKey: KEY })).statusCode).toBe(200);
    expect((await send('PUT', '/credentials/openai', { apiKey: `${KEY} with a space` })).statusCode).toBe(400);
    expect((await send('PUT', '/credentials/openai', { apiKey: KEY, baseUrl: 'nope' })).statusCode).toBe(400);
    expect((await send('PUT', '/credentials/acme', { apiKey: KEY })).statusCode).toBe(400);
    expect((await send('GET', '/credentials')).statusCode).toBe(200);
    expect((await send('GET', '/providers')).statusCode).toBe(200);
    expect((await ctx.services.models.resolveCredential(admin.orgId, 'openai')).apiKey).toBe(KEY);
    expect((await send('DELETE', '/credentials/openai')).statusCode).toBe(204);

    const log = lines.join('');
    if (process.env.SHOW_LOG) console.log(log);
    // The capture works: Fastify logged these requests.
    expect(log).toContain('/api/v1/credentials/openai');
    expect(lines.filter((l) => l.includes('request completed'))).toHaveLength(7);
    expect(log).not.toContain(KEY);
    expect(log).not.toContain('LOGLEAK');
  });

  it('no code in src/models writes to a logger (so it cannot log a request body by mistake)', () => {
    const dir = path.dirname(fileURLToPath(import.meta.url));
    const offenders = readdirSync(dir)
      .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
      .filter((f) => /\b(log|logger)\s*\.\s*(trace|debug|info|warn|error|fatal|child)\s*\(/.test(readFileSync(path.join(dir, f), 'utf8')));
    expect(offenders).toEqual([]);
  });
});
