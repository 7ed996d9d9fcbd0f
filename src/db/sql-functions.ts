import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the migrator and the function sources need of a database connection. */
export interface SqlSession {
  exec(sql: string): Promise<void>;
  rows<T>(sql: string, params?: unknown[]): Promise<T[]>;
}

/**
 * Where the SQL functions' source files live: `src/<module>/sql/<function>.sql`, read from the
 * package root, so the same files serve `src/` (tsx, tests) and `dist/` (the package ships `src/`,
 * as it ships `migrations/`).
 */
export const SQL_SOURCES_DIR = fileURLToPath(new URL('../../src/', import.meta.url));

/** One `CREATE OR REPLACE FUNCTION`, as its source file holds it. */
export interface SqlFunction {
  /** The function's name, which is also the file's name. */
  name: string;
  /** Relative to the sources folder, e.g. `runs/sql/troupe_run_create.sql`. */
  file: string;
  /** The statement: the file without its leading comment lines. */
  definition: string;
}

/**
 * Reads every `<module>/sql/*.sql` under `dir` (default: the package's `src/`). Each file holds one
 * `CREATE OR REPLACE FUNCTION`, written as `pg_get_functiondef` prints it, after optional `--`
 * comment lines. Throws when a file does not, or when there are none (a build that left the
 * sources behind must not start with stale functions).
 */
export function readSqlFunctions(dir = SQL_SOURCES_DIR): SqlFunction[] {
  const found: SqlFunction[] = [];
  for (const module of readdirSync(dir, { withFileTypes: true })) {
    if (!module.isDirectory()) continue;
    let names: string[];
    try {
      names = readdirSync(path.join(dir, module.name, 'sql')).filter((n) => n.endsWith('.sql'));
    } catch {
      continue;
    }
    for (const fileName of names.sort()) {
      const file = `${module.name}/sql/${fileName}`;
      const definition = stripLeadingComments(readFileSync(path.join(dir, file), 'utf8'));
      const name = fileName.slice(0, -'.sql'.length);
      const header = /^CREATE OR REPLACE FUNCTION public\.([a-z0-9_]+)\(/.exec(definition);
      if (!header) throw new Error(`${file}: expected "CREATE OR REPLACE FUNCTION public.${name}(" after the comment lines`);
      if (header[1] !== name) throw new Error(`${file}: defines ${header[1]}; the file must be named after its function`);
      found.push({ name, file, definition });
    }
  }
  if (found.length === 0) throw new Error(`No SQL function sources (<module>/sql/*.sql) under ${dir}`);
  const seen = new Set<string>();
  for (const f of found) {
    if (seen.has(f.name)) throw new Error(`SQL function ${f.name} has more than one source file`);
    seen.add(f.name);
  }
  return found;
}

function stripLeadingComments(text: string): string {
  const lines = text.split('\n');
  let i = 0;
  while (i < lines.length && (lines[i]!.trim() === '' || lines[i]!.trimStart().startsWith('--'))) i++;
  return lines.slice(i).join('\n').trim();
}

/** The comparison key: the text with every run of whitespace made one space. */
export function normalizeFunctionDef(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Every function in the public schema, as the database prints it (`pg_get_functiondef`). */
export async function databaseFunctions(session: SqlSession): Promise<{ name: string; signature: string; definition: string }[]> {
  return session.rows(`select p.proname as name, p.oid::regprocedure::text as signature, pg_get_functiondef(p.oid) as definition
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace
    where n.nspname = 'public' and p.prokind = 'f' order by 1, 2`);
}

/**
 * Brings the database's functions to their source files: one catalog read, and a
 * `CREATE OR REPLACE` (all in one transaction) only for the files whose text the database does not
 * hold, so a start against an up-to-date database writes nothing and locks nothing. Reads the
 * catalog again afterwards: a file the database prints otherwise would be replaced at every start,
 * so it is refused, naming the form to write. Returns the names of the functions it replaced.
 */
export async function applySqlFunctions(session: SqlSession, functions: SqlFunction[]): Promise<string[]> {
  const held = async () => new Set((await databaseFunctions(session)).map((f) => normalizeFunctionDef(f.definition)));
  const before = await held();
  const stale = functions.filter((f) => !before.has(normalizeFunctionDef(f.definition)));
  if (stale.length === 0) return [];
  await session.exec('begin');
  try {
    for (const f of stale) {
      try {
        await session.exec(f.definition);
      } catch (err) {
        throw new Error(`SQL function ${f.file} failed: ${(err as Error).message}`, { cause: err });
      }
    }
    const after = await held();
    const unread = stale.find((f) => !after.has(normalizeFunctionDef(f.definition)));
    if (unread) {
      const printed = (await databaseFunctions(session)).find((d) => d.name === unread.name)?.definition;
      throw new Error(
        `SQL function ${unread.file} does not read back as written, so it would be replaced at every start; ` +
          `write it as pg_get_functiondef prints it:\n${printed ?? '(not found)'}`,
      );
    }
    await session.exec('commit');
  } catch (err) {
    await session.exec('rollback');
    throw err;
  }
  return stale.map((f) => f.name);
}
