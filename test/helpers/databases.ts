import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openPglite, openPostgres, type Database } from '../../src/db/client.js';
import { inject } from 'vitest';
import { adminUrl } from './pg-url.js';

export type DbKind = 'postgres' | 'pglite';

/** A fresh PostgreSQL database cloned from the migrated template; dropped by `drop()`. */
export async function createPgDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const template = inject('templateDb');
  // Same pid suffix as the template, so a later run can tell whether its owner is still alive.
  const name = `troupe_t_${template.split('_').pop()}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl() });
  await admin.connect();
  // Another file cloning at the same moment makes CREATE DATABASE fail ("source database is
  // being accessed by other users"); retry briefly.
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.query(`create database ${name} template ${template}`);
      break;
    } catch (err) {
      if (attempt > 50) throw err;
      await new Promise((r) => setTimeout(r, 50 + Math.random() * 100));
    }
  }
  await admin.end();
  return {
    url: adminUrl(name),
    async drop() {
      const c = new pg.Client({ connectionString: adminUrl() });
      await c.connect();
      await c.query(`drop database if exists ${name} with (force)`);
      await c.end();
    },
  };
}

/** Opens a migrated, empty database of either kind; `close()` also removes it. */
export async function openTestDatabase(kind: DbKind): Promise<Database> {
  if (kind === 'pglite') return openPglite('memory://');
  const { url, drop } = await createPgDatabase();
  const db = await openPostgres(url, 5);
  return {
    ...db,
    async close() {
      await db.close();
      await drop();
    },
  };
}
