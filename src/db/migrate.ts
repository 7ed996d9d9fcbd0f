import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { applySqlFunctions, readSqlFunctions, type SqlFunction, type SqlSession } from './sql-functions.js';

/** The migrations folder shipped with the package (drizzle-kit output plus custom SQL). */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

/** The least a driver must offer to run migrations: one session, plain SQL. */
export type { SqlSession };

export interface Migration {
  tag: string;
  hash: string;
  statements: string[];
}

export function readMigrations(dir = MIGRATIONS_DIR): Migration[] {
  const journal = JSON.parse(readFileSync(`${dir}/meta/_journal.json`, 'utf8')) as { entries: { tag: string }[] };
  return journal.entries.map(({ tag }) => {
    const text = readFileSync(`${dir}/${tag}.sql`, 'utf8');
    return {
      tag,
      hash: createHash('sha256').update(text).digest('hex'),
      statements: text.split('--> statement-breakpoint').map((s) => s.trim()).filter(Boolean),
    };
  });
}

/** Arbitrary constant for pg_advisory_lock: "troupe migrate". */
const MIGRATION_LOCK = 7_267_261_001;

/**
 * Applies the migrations not yet recorded in troupe_migrations, each in its own transaction, then
 * brings the SQL functions to their source files (`src/<module>/sql/*.sql`, decision 50), then
 * re-asserts tenancy (RLS + grants) on every org_id table. Several processes starting at once wait
 * on one advisory lock, so each migration runs exactly once. Returns the tags applied.
 *
 * The function files describe the schema of the newest migration, so they are applied only when
 * the database holds exactly this code's migrations: not after a partial list (`functions`
 * defaults to none unless `migrations` is the whole journal), and not by older code, which finds a
 * migration it does not know and leaves the newer functions alone.
 */
export async function migrate(session: SqlSession, migrations = readMigrations(), functions?: SqlFunction[]): Promise<string[]> {
  const sources = functions ?? (sameTags(migrations, readMigrations()) ? readSqlFunctions() : []);
  await session.exec(`select set_config('role', 'none', false)`);
  await session.rows('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
  const applied: string[] = [];
  try {
    await session.exec(`create table if not exists troupe_migrations (
      tag text primary key, hash text not null, applied_at timestamptz not null default now())`);
    const done = new Map(
      (await session.rows<{ tag: string; hash: string }>('select tag, hash from troupe_migrations')).map((r) => [r.tag, r.hash]),
    );
    for (const m of migrations) {
      const previous = done.get(m.tag);
      if (previous) {
        if (previous !== m.hash) {
          throw new Error(`Migration ${m.tag} was changed after it was applied; add a new migration instead of editing it.`);
        }
        continue;
      }
      await session.exec('begin');
      try {
        for (const statement of m.statements) await session.exec(statement);
        await session.rows('insert into troupe_migrations (tag, hash) values ($1, $2)', [m.tag, m.hash]);
        await session.exec('commit');
      } catch (err) {
        await session.exec('rollback');
        throw new Error(`Migration ${m.tag} failed: ${(err as Error).message}`, { cause: err });
      }
      applied.push(m.tag);
    }
    const known = new Set(migrations.map((m) => m.tag));
    if (sources.length > 0 && [...done.keys()].every((tag) => known.has(tag))) await applySqlFunctions(session, sources);
    await session.exec('select troupe_enforce_tenancy()');
    // PostgreSQL 17+ (PGlite always): troupe_app may VACUUM and ANALYZE (src/db/maintenance.ts),
    // so PGlite, one session, never has to leave troupe_app for it.
    // Only where missing: a grant locks its table, and a start beside running processes must not
    // queue behind (or deadlock with) their transactions (migration 0019).
    await session.exec(`do $$ declare t record; begin
      if current_setting('server_version_num')::int >= 170000 then
        for t in select c.oid, c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace and n.nspname = 'public'
                 where c.relkind in ('r', 'p') and not has_table_privilege('troupe_app', c.oid, 'MAINTAIN') loop
          execute format('grant maintain on %I to troupe_app', t.relname);
        end loop;
      end if; end $$`);
  } finally {
    await session.rows('select pg_advisory_unlock($1)', [MIGRATION_LOCK]);
  }
  return applied;
}

function sameTags(a: Migration[], b: Migration[]): boolean {
  return a.length === b.length && a.every((m, i) => m.tag === b[i]!.tag);
}
