import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgDatabase } from '../../test/helpers/databases.js';
import { pgSession } from './client.js';
import { migrate } from './migrate.js';

/*
 * Every process runs the migrator at start. On an up-to-date database it must not lock any
 * table: a second scheduler started beside a running one queued its ALTER TABLE behind the
 * other's transactions and died of "deadlock detected" (CI, test/distributed/schedulers.test.ts).
 */
describe('migrate on an up-to-date database', () => {
  let db: Awaited<ReturnType<typeof createPgDatabase>>;
  beforeAll(async () => {
    db = await createPgDatabase();
  });
  afterAll(() => db.drop());

  it('takes no table lock, so it passes a transaction that holds every engine table', async () => {
    const busy = new pg.Client({ connectionString: db.url });
    const starting = new pg.Client({ connectionString: db.url });
    await busy.connect();
    await starting.connect();
    try {
      // A running process mid-transaction: it has read (and so holds a lock on) these tables.
      await busy.query('begin');
      for (const table of ['runs', 'run_steps', 'agents', 'schedules', 'schedule_fires', 'scheduler_leader', 'ledger_entries', 'organizations', 'users']) {
        await busy.query(`select 1 from ${table} limit 1`);
      }
      // Before migration 0019 the re-assertion of tenancy waited here for an ACCESS EXCLUSIVE lock.
      await starting.query("set lock_timeout = '2s'");
      await expect(migrate(pgSession(starting))).resolves.toEqual([]);
    } finally {
      await busy.query('rollback').catch(() => {});
      await busy.end();
      await starting.end();
    }
  });

  it('still gives a table that lacks it row-level security, the policy and the grants', async () => {
    const c = new pg.Client({ connectionString: db.url });
    await c.connect();
    try {
      await c.query('create table scratch_things (id serial primary key, org_id uuid not null)');
      await migrate(pgSession(c));
      const { rows } = await c.query<{ rls: boolean; policy: boolean; granted: boolean }>(`select c.relrowsecurity as rls,
        exists (select 1 from pg_policies where tablename = 'scratch_things' and policyname = 'tenant_isolation') as policy,
        has_table_privilege('troupe_app', c.oid, 'INSERT') as granted
        from pg_class c where c.relname = 'scratch_things'`);
      expect(rows[0]).toEqual({ rls: true, policy: true, granted: true });
    } finally {
      await c.end();
    }
  });
});
