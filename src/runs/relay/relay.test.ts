import { Redis } from 'ioredis';
import pg from 'pg';
import { adminUrl } from '../../../test/helpers/pg-url.js';
import { relayConformance, waitFor } from './conformance.js';
import { pgChannel, PgRelay } from './postgres.js';
import { RedisRelay } from './redis.js';
import { describe, expect, it } from 'vitest';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

relayConformance('redis', {
  make: (name, options) => new RedisRelay(REDIS_URL, `${name}:runs`, undefined, options),
  unreachable: (name, options) => new RedisRelay('redis://127.0.0.1:1', `${name}:runs`, undefined, options),
  async cut(relay) {
    // CLIENT KILL of the subscriber connection by its name, as a Redis restart would.
    const admin = new Redis(REDIS_URL);
    try {
      const name = `${(relay as RedisRelay).connectionName}:sub`;
      const line = ((await admin.client('LIST')) as string).split('\n').find((l) => l.includes(` name=${name} `));
      if (!line) throw new Error(`no redis client named ${name}`);
      await admin.client('KILL', 'ID', /\bid=(\d+)/.exec(line)![1]!);
    } finally {
      admin.disconnect();
    }
  },
});

relayConformance('postgres', {
  make: (name, options) => new PgRelay(adminUrl(), name, undefined, options),
  unreachable: (name, options) => new PgRelay('postgres://postgres@127.0.0.1:1/postgres', name, undefined, options),
  async cut(relay) {
    const pid = (relay as PgRelay).backendPid;
    if (!pid) throw new Error('the relay is not listening');
    const admin = new pg.Client({ connectionString: adminUrl() });
    await admin.connect();
    try {
      await admin.query('select pg_terminate_backend($1)', [pid]);
    } finally {
      await admin.end();
    }
    await waitFor('the relay to notice', () => (relay as PgRelay).backendPid !== pid);
  },
});

describe('pgChannel', () => {
  it('keeps channel names within PostgreSQL identifiers (63 bytes), distinct per install', () => {
    expect(pgChannel('troupe-runs')).toBe('troupe-runs:runs');
    const long = pgChannel('q'.repeat(100));
    expect(Buffer.byteLength(long)).toBeLessThanOrEqual(63);
    expect(long).not.toBe(pgChannel(`${'q'.repeat(99)}r`));
  });
});
