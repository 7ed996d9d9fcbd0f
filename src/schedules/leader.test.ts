import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgDatabase } from '../../test/helpers/databases.js';
import { createLogger } from '../shared/logger.js';
import { PgLeadership } from './leader.js';
import { sleep } from './test-fixtures.js';

const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

describe('PgLeadership (advisory lock on its own connection)', () => {
  let url: string;
  let drop: () => Promise<void>;
  beforeAll(async () => {
    ({ url, drop } = await createPgDatabase());
  });
  afterAll(() => drop?.());

  it('gives way after losing its connection: the process that lost the lock does not take it straight back', async () => {
    const a = new PgLeadership(url, 'a', logger, 2_000, 800);
    const b = new PgLeadership(url, 'b', logger, 2_000, 800);
    try {
      expect(await a.acquire()).toBe(true);
      expect(await b.acquire()).toBe(false);

      const admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query('select pg_terminate_backend($1)', [a.backendPid]);
      await admin.end();
      for (let i = 0; i < 100 && a.isLeader; i++) await sleep(10);
      expect(a.isLeader).toBe(false);

      // The lock is free, yet `a` yields: the follower gets its turn.
      expect(await a.acquire()).toBe(false);
      // The terminated backend lets go of the lock as it exits, a moment after its client heard
      // of it; the follower takes it on one of its next tries.
      let took = false;
      for (let i = 0; i < 50 && !(took = await b.acquire()); i++) await sleep(10);
      expect(took).toBe(true);

      // Once the pause is over, `a` competes again: it takes the lock when `b` gives it up.
      await b.release();
      await sleep(850);
      expect(await a.acquire()).toBe(true);
    } finally {
      await a.release();
      await b.release();
    }
  });
});
