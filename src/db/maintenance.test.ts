import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type DbKind } from '../../test/helpers/databases.js';
import { createLogger } from '../shared/logger.js';
import type { Database } from './client.js';
import { analyzeDue, TableMaintenance, vacuumDue } from './maintenance.js';
import { organizations } from '../schema.js';

const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

describe('maintenance thresholds (autovacuum defaults)', () => {
  it('analyzes after 50 rows + 10% changed, vacuums after 50 rows + 20% dead', () => {
    const t = { table: 'x', reltuples: 1000, modified: 150, dead: 250 };
    expect(analyzeDue(t)).toBe(false);
    expect(analyzeDue({ ...t, modified: 151 })).toBe(true);
    expect(vacuumDue(t)).toBe(false);
    expect(vacuumDue({ ...t, dead: 251 })).toBe(true);
    // Never analyzed (reltuples -1): 50 rows are enough.
    expect(analyzeDue({ ...t, reltuples: -1, modified: 51 })).toBe(true);
  });
});

describe.each<DbKind>(['postgres', 'pglite'])('table maintenance on %s', (kind) => {
  let database: Database;
  beforeAll(async () => {
    database = await openTestDatabase(kind);
  });
  afterAll(() => database?.close());

  const stats = async () => {
    const { rows } = await database.system((tx) =>
      tx.execute(sql`select n_mod_since_analyze::int as modified, n_dead_tup::int as dead, last_analyze, last_vacuum
                     from pg_stat_user_tables where relname = 'organizations'`),
    );
    return rows[0] as { modified: number; dead: number; last_analyze: unknown; last_vacuum: unknown };
  };
  /** The statistics counters reach the shared view when a session goes idle, at most once a second. */
  const until = async (cond: (s: Awaited<ReturnType<typeof stats>>) => boolean) => {
    for (let i = 0; i < 100; i++) {
      const s = await stats();
      if (cond(s)) return s;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`statistics never showed it: ${JSON.stringify(await stats())}`);
  };

  it('analyzes a table that changed, and vacuums its dead rows where autovacuum does not', async () => {
    await database.system(async (tx) => {
      const ids = await tx
        .insert(organizations)
        .values(Array.from({ length: 300 }, (_, i) => ({ name: `org ${i}` })))
        .returning({ id: organizations.id });
      await tx.execute(sql`delete from organizations where id in ${ids.slice(0, 200).map((r) => r.id)}`);
      await tx.execute(sql`select pg_stat_force_next_flush()`);
    });
    await until((s) => s.modified >= 500 && s.dead >= 200);

    const m = new TableMaintenance(database, logger, 0);
    const first = await m.pass();
    expect(first.analyzed).toContain('organizations');
    const autovacuumOn = kind === 'postgres' && ((await database.db.execute(sql`show autovacuum`)).rows[0] as { autovacuum: string }).autovacuum === 'on';
    // PGlite has no autovacuum; a server with autovacuum on does its own vacuuming.
    expect(first.vacuumed.includes('organizations')).toBe(!autovacuumOn);
    const after = await until((s) => s.modified === 0);
    expect(after.last_analyze).not.toBeNull();
    if (!autovacuumOn) expect((await until((s) => s.dead === 0)).last_vacuum).not.toBeNull();

    // Nothing changed since: nothing to do.
    expect(await m.pass()).toEqual({ analyzed: [], vacuumed: [] });
  });

  it.runIf(kind === 'postgres')('leaves the turn to another process that is maintaining', async () => {
    await database.system(async (tx) => {
      await tx.insert(organizations).values(Array.from({ length: 100 }, (_, i) => ({ name: `more ${i}` })));
      await tx.execute(sql`select pg_stat_force_next_flush()`);
    });
    await until((s) => s.modified >= 100);
    const m = new TableMaintenance(database, logger, 0);
    // Another process holds the maintenance lock for the length of its transaction.
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let locked!: () => void;
    const isLocked = new Promise<void>((r) => (locked = r));
    const other = database.system(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(7267261002)`);
      locked();
      await held;
    });
    await isLocked;
    expect(await m.pass()).toEqual({ analyzed: [], vacuumed: [] });
    release();
    await other;
    expect((await m.pass()).analyzed).toContain('organizations');
  });
});
