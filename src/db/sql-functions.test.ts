import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgDatabase, type DbKind } from '../../test/helpers/databases.js';
import { pgliteSession, pgSession } from './client.js';
import { migrate, readMigrations, type SqlSession } from './migrate.js';
import { applySqlFunctions, databaseFunctions, normalizeFunctionDef, readSqlFunctions, SQL_SOURCES_DIR } from './sql-functions.js';

/** A copy of every `<module>/sql/` folder, to edit without touching the real files. */
function copySources(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'troupe-sql-'));
  for (const f of readSqlFunctions()) {
    const module = f.file.split('/')[0]!;
    cpSync(path.join(SQL_SOURCES_DIR, module, 'sql'), path.join(dir, module, 'sql'), { recursive: true });
  }
  return dir;
}

const definitionOf = async (session: SqlSession, name: string) =>
  (await databaseFunctions(session)).filter((f) => f.name === name).map((f) => f.definition);

describe.each<DbKind>(['postgres', 'pglite'])('SQL function sources on %s', (kind) => {
  let session: SqlSession;
  let close: () => Promise<void>;

  beforeAll(async () => {
    if (kind === 'pglite') {
      const client = new PGlite();
      await migrate(pgliteSession(client));
      session = pgliteSession(client);
      close = () => client.close();
    } else {
      const db = await createPgDatabase();
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      session = pgSession(client);
      close = async () => {
        await client.end();
        await db.drop();
      };
    }
  });
  afterAll(() => close());

  it("each file is the migrated database's pg_get_functiondef, whitespace aside", async () => {
    const held = await databaseFunctions(session);
    for (const f of readSqlFunctions()) {
      const inDb = held.filter((d) => d.name === f.name);
      expect(inDb.map((d) => d.signature), f.file).toHaveLength(1);
      expect(normalizeFunctionDef(f.definition), f.file).toBe(normalizeFunctionDef(inDb[0]!.definition));
    }
  });

  it('every troupe_* function in the database has a source file', async () => {
    const files = new Set(readSqlFunctions().map((f) => f.name));
    const held = (await databaseFunctions(session)).filter((d) => d.name.startsWith('troupe_'));
    expect(held.length).toBeGreaterThan(10);
    expect(held.filter((d) => !files.has(d.name)).map((d) => d.signature)).toEqual([]);
  });

  it('a changed file is applied by the next migrate, once; the real files put it back', async () => {
    const dir = copySources();
    try {
      const file = path.join(dir, 'billing/sql/troupe_spend.sql');
      const text = readFileSync(file, 'utf8');
      expect(text).toContain('AS $function$\n');
      writeFileSync(file, text.replace('AS $function$\n', 'AS $function$\n-- changed by a test\n'));
      const changed = readSqlFunctions(dir);

      expect(await migrate(session, readMigrations(), changed)).toEqual([]);
      const [definition] = await definitionOf(session, 'troupe_spend');
      expect(definition).toContain('-- changed by a test');
      // The function still works in its new text.
      const spend = await session.rows<{ r: { orgSpent: number } }>(
        `select troupe_spend(gen_random_uuid(), gen_random_uuid(), '2025-01') as r`,
      );
      expect(spend[0]!.r.orgSpent).toBe(0);
      // Up to date now: nothing to replace.
      expect(await applySqlFunctions(session, changed)).toEqual([]);

      await migrate(session);
      expect((await definitionOf(session, 'troupe_spend'))[0]).not.toContain('-- changed by a test');
      expect(await applySqlFunctions(session, readSqlFunctions())).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a file the database prints otherwise, and keeps the function as it was', async () => {
    const dir = copySources();
    try {
      const file = path.join(dir, 'db/sql/troupe_current_org.sql');
      writeFileSync(
        file,
        `CREATE OR REPLACE FUNCTION public.troupe_current_org() RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT nullif(current_setting('app.org_id', true), '')::uuid $$\n`,
      );
      const before = await definitionOf(session, 'troupe_current_org');
      await expect(migrate(session, readMigrations(), readSqlFunctions(dir))).rejects.toThrow(
        /troupe_current_org\.sql does not read back as written[\s\S]*\$function\$/,
      );
      expect(await definitionOf(session, 'troupe_current_org')).toEqual(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('older code (a database with a migration it does not know) leaves the functions alone', async () => {
    const dir = copySources();
    try {
      const file = path.join(dir, 'billing/sql/troupe_spend.sql');
      writeFileSync(file, readFileSync(file, 'utf8').replace('AS $function$\n', 'AS $function$\n-- older code\n'));
      await migrate(session, readMigrations().slice(0, -1), readSqlFunctions(dir));
      expect((await definitionOf(session, 'troupe_spend'))[0]).not.toContain('-- older code');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('SQL function source files', () => {
  it('name their function and are one CREATE OR REPLACE FUNCTION each', () => {
    const functions = readSqlFunctions();
    for (const f of functions) {
      expect(f.definition.match(/CREATE OR REPLACE FUNCTION/g), f.file).toHaveLength(1);
      expect(f.file).toMatch(new RegExp(`^[a-z]+/sql/${f.name}\\.sql$`));
    }
  });

  it('are refused when a file defines another function than its name', () => {
    const dir = copySources();
    try {
      const from = path.join(dir, 'db/sql/troupe_current_org.sql');
      writeFileSync(path.join(dir, 'db/sql/troupe_current_organization.sql'), readFileSync(from, 'utf8'));
      expect(() => readSqlFunctions(dir)).toThrow(/troupe_current_organization\.sql: defines troupe_current_org/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('no migration after 0019 redefines a function that has a file (edit the file instead)', () => {
    // A migration may introduce a function (its first text, e.g. for a trigger it creates);
    // after that the file is where it changes.
    const names = readSqlFunctions().map((f) => f.name);
    const defines = (text: string, name: string) => new RegExp(`CREATE\\s+(OR\\s+REPLACE\\s+)?FUNCTION\\s+(public\\.)?${name}\\s*\\(`, 'i').test(text);
    const introduced = new Set<string>();
    for (const m of readMigrations()) {
      const text = m.statements.join('\n');
      for (const name of names) {
        if (!defines(text, name)) continue;
        if (Number(m.tag.slice(0, 4)) > 19) expect(introduced.has(name), `${m.tag} redefines ${name}`).toBe(false);
        introduced.add(name);
      }
    }
  });
});

describe('replacing a function on PostgreSQL beside running processes', () => {
  let db: Awaited<ReturnType<typeof createPgDatabase>>;
  beforeAll(async () => {
    db = await createPgDatabase();
  });
  afterAll(() => db.drop());

  it('waits for no lock held by a transaction that uses its tables', async () => {
    const busy = new pg.Client({ connectionString: db.url });
    const starting = new pg.Client({ connectionString: db.url });
    await busy.connect();
    await starting.connect();
    const dir = copySources();
    try {
      // A running process mid-transaction that has written runs (the task trigger's table).
      await busy.query('begin');
      for (const table of ['runs', 'tasks', 'monthly_spend', 'ledger_entries', 'budget_reservations']) {
        await busy.query(`select 1 from ${table} limit 1`);
      }
      const file = path.join(dir, 'tasks/sql/troupe_task_follows_run.sql');
      writeFileSync(file, readFileSync(file, 'utf8').replace('AS $function$\n', 'AS $function$\n-- replaced beside a busy process\n'));
      await starting.query("set lock_timeout = '2s'");
      await migrate(pgSession(starting), readMigrations(), readSqlFunctions(dir));
      expect((await definitionOf(pgSession(starting), 'troupe_task_follows_run'))[0]).toContain('-- replaced beside a busy process');
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await busy.query('rollback').catch(() => {});
      await busy.end();
      await starting.end();
    }
  });
});
