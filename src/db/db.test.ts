import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase, type DbKind } from '../../test/helpers/databases.js';
import { openPglite, pgliteSession, type Database } from './client.js';
import { DataDirLockedError } from './data-dir-lock.js';
import { migrate, readMigrations } from './migrate.js';
import { agents, organizations } from '../schema.js';

const baseAgent = {
  model: 'openai:gpt-4o-mini',
  personality: { traits: [] },
  memory: { historyLength: 20, contextBudget: null },
  limits: { maxSteps: 10, timeoutSeconds: 120, actionsPerMinute: null, actionsPerHour: null, monthlyBudgetMicros: null },
};

describe.each<DbKind>(['postgres', 'pglite'])('database on %s', (kind) => {
  let database: Database;
  let orgA: string;
  let orgB: string;

  beforeAll(async () => {
    database = await openTestDatabase(kind);
    [orgA, orgB] = await database.system(async (tx) => {
      const rows = await tx.insert(organizations).values([{ name: 'A' }, { name: 'B' }]).returning();
      await tx.insert(agents).values(rows.map((o) => ({ ...baseAgent, orgId: o.id, name: `agent of ${o.name}` })));
      return rows.map((r) => r.id) as [string, string];
    });
  });
  afterAll(() => database.close());

  it('applies every migration on an empty database and records it', async () => {
    const tags = await database.system((tx) => tx.execute(sql`select tag from troupe_migrations order by tag`));
    expect(tags.rows.map((r) => r.tag)).toEqual(readMigrations().map((m) => m.tag));
  });

  it('a query issued without the organization scope returns no tenant rows', async () => {
    expect(await database.db.select().from(agents)).toEqual([]);
    expect(await database.db.select().from(organizations)).toEqual([]);
  });

  it('an organization scope sees only its own rows', async () => {
    const seen = await database.withOrg(orgA, (tx) => tx.select().from(agents));
    expect(seen.map((a) => a.name)).toEqual(['agent of A']);
    const orgs = await database.withOrg(orgB, (tx) => tx.select().from(organizations));
    expect(orgs.map((o) => o.id)).toEqual([orgB]);
  });

  it('cannot write a row into another organization, even by naming it', async () => {
    await expect(
      database.withOrg(orgA, (tx) => tx.insert(agents).values({ ...baseAgent, orgId: orgB, name: 'smuggled' })),
    ).rejects.toThrow();
    const updated = await database.withOrg(orgA, (tx) =>
      tx.update(agents).set({ name: 'renamed' }).where(eq(agents.orgId, orgB)).returning(),
    );
    expect(updated).toEqual([]);
  });

  it('readOrg: a scoped read whose statements, begin and commit cost one round trip on PostgreSQL', async () => {
    const before = { ...database.stats };
    const [a, b] = await database.readOrg(orgA, (tx) => Promise.all([tx.select().from(agents), tx.select().from(organizations)]));
    expect(a.map((r) => r.name)).toEqual(['agent of A']);
    expect(b.map((o) => o.id)).toEqual([orgA]);
    // PGlite counts every call: begin, scope, two reads, commit.
    expect(database.stats.roundTrips - before.roundTrips).toBe(kind === 'postgres' ? 1 : 5);
    // The scope ended with the read: the next statement on any pooled connection sees nothing.
    expect(await database.db.select().from(agents)).toEqual([]);
  });

  it('readOrg: a statement sent after awaiting an answer fails rather than run outside the scope', async () => {
    const late = database.readOrg(orgA, async (tx) => {
      await tx.select().from(agents);
      return tx.select().from(organizations);
    });
    // (Drizzle wraps the error: "Failed query", with ours as its cause.)
    if (kind === 'postgres') await expect(late).rejects.toMatchObject({ cause: { message: expect.stringMatching(/after the read transaction was committed/) } });
    else expect((await late).map((o) => o.id)).toEqual([orgA]);
    // The connection is whole again: reads and writes after it work.
    const seen = await database.readOrg(orgB, (tx) => tx.select().from(agents));
    expect(seen.map((r) => r.name)).toEqual(['agent of B']);
    await expect(database.readOrg(orgA, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect((await database.withOrg(orgA, (tx) => tx.select().from(agents))).map((r) => r.name)).toEqual(['agent of A']);
  });

  it('the scope ends with its transaction', async () => {
    await database.withOrg(orgA, (tx) => tx.select().from(agents));
    expect(await database.db.select().from(agents)).toEqual([]);
    await database.system((tx) => tx.select().from(agents));
    expect(await database.db.select().from(agents)).toEqual([]);
  });

  it('system scope sees every organization', async () => {
    const all = await database.system((tx) => tx.select().from(agents));
    expect(all).toHaveLength(2);
  });

  it('every table with org_id is under row-level security with the tenant policy', async () => {
    const { rows } = await database.system((tx) =>
      tx.execute(sql`
        select c.relname, c.relrowsecurity,
          exists (select 1 from pg_policies p where p.tablename = c.relname and p.policyname = 'tenant_isolation') as has_policy
        from pg_class c join pg_attribute a on a.attrelid = c.oid and a.attname = 'org_id'
        join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
        where c.relkind = 'r'`),
    );
    expect(rows.length).toBeGreaterThan(3);
    for (const row of rows) expect(row, String(row.relname)).toMatchObject({ relrowsecurity: true, has_policy: true });
  });

  it('rejects a non-uuid organization id before it reaches SQL', async () => {
    expect(() => database.withOrg("x'; drop table agents; --", async () => 1)).toThrow(/not an organization id/);
  });
});

describe('embedded data folder', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'troupe-db-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('keeps data across a restart, refuses a second process, and re-migrates as a no-op', async () => {
    const first = await openPglite(dir);
    const orgId = await first.system(async (tx) => (await tx.insert(organizations).values({ name: 'kept' }).returning())[0]!.id);
    await first.close();

    const second = await openPglite(dir);
    const orgs = await second.withOrg(orgId, (tx) => tx.select().from(organizations));
    expect(orgs.map((o) => o.name)).toEqual(['kept']);
    await second.close();
  });

  it('refuses a data folder locked by another live process', async () => {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path.join(dir, 'troupe.lock'), String(process.ppid));
    await expect(openPglite(dir)).rejects.toBeInstanceOf(DataDirLockedError);
    rmSync(path.join(dir, 'troupe.lock'));
  });

  it('refuses a migration edited after it was applied', async () => {
    const { PGlite } = await import('@electric-sql/pglite');
    const client = new PGlite();
    const session = pgliteSession(client);
    const migrations = readMigrations();
    expect(await migrate(session, migrations)).toHaveLength(migrations.length);
    expect(await migrate(session, migrations)).toEqual([]);
    const edited = migrations.map((m, i) => (i === 0 ? { ...m, hash: 'changed' } : m));
    await expect(migrate(session, edited)).rejects.toThrow(/was changed after it was applied/);
    await client.close();
  });
});

describe('several processes starting at once on an empty PostgreSQL', () => {
  it('migrate exactly once, whoever wins the advisory lock', async () => {
    const pg = (await import('pg')).default;
    const { adminUrl } = await import('../../test/helpers/pg-url.js');
    const name = `troupe_t_${process.pid}_race${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: adminUrl() });
    await admin.connect();
    await admin.query(`create database ${name}`);
    const { pgSession } = await import('./client.js');
    const clients = Array.from({ length: 4 }, () => new pg.Client({ connectionString: adminUrl(name) }));
    try {
      await Promise.all(clients.map((c) => c.connect()));
      const applied = await Promise.all(clients.map((c) => migrate(pgSession(c))));
      expect(applied.flat().sort()).toEqual(readMigrations().map((m) => m.tag).sort());
      const { rows } = await clients[0]!.query('select count(*)::int as n from troupe_migrations');
      expect(rows[0].n).toBe(readMigrations().length);
    } finally {
      await Promise.all(clients.map((c) => c.end().catch(() => {})));
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  });
});
