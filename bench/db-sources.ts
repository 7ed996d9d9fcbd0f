/**
 * bench/db-sources: how soon a row changed in an organization's database is an event (issue 16:
 * "a row inserted into a test PostgreSQL table becomes an event within a second"). Trigger mode:
 * a source on a scratch table, followed by this process's runner (as `troupe serve` does); rows
 * are inserted one per transaction at `--rate` a second for `--duration` seconds, then a burst of
 * `--burst` rows in one statement. The latency of each change is the event's `created_at` minus the
 * change's `changed_at` (both clocks are the one PostgreSQL server's). Printed: p50, p95, p99 and
 * max, for the paced rows and the burst; and that every row is one event (none lost, none twice).
 *
 * Usage: npx tsx bench/db-sources.ts [--duration 10] [--rate 50] [--burst 2000]
 * PostgreSQL: BENCH_DATABASE_URL (default the local server; scratch databases, dropped after).
 */
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { createContext } from '../src/app.js';
import { memberships, organizations, users } from '../src/auth/schema.js';
import { loadConfig } from '../src/config/load.js';
import { createLogger } from '../src/shared/logger.js';
import { scratchDatabase } from './seed.js';

const { values: args } = parseArgs({ options: { duration: { type: 'string', default: '10' }, rate: { type: 'string', default: '50' }, burst: { type: 'string', default: '2000' } } });
const DURATION_MS = Number(args.duration) * 1000;
const RATE = Number(args.rate);
const BURST = Number(args.burst);

const troupeDb = await scratchDatabase('bench_dbsrc_troupe');
const sourceDb = await scratchDatabase('bench_dbsrc_source');
const ctx = await createContext(loadConfig({ DATABASE_URL: troupeDb.url, TROUPE_SECRET_KEY: 'c'.repeat(64), TROUPE_PRIVATE_DATABASE_HOSTS: '127.0.0.1', LOG_LEVEL: 'warn', TROUPE_DATA_DIR: `/tmp/bench-dbsrc-${process.pid}` }), { logger: createLogger('warn') });
const source = new pg.Client({ connectionString: sourceDb.url });
try {
  await source.connect();
  await source.query('create table orders (id bigserial primary key, customer text not null, total int not null)');
  const { orgId, userId } = await ctx.database.system(async (tx) => {
    const [org] = await tx.insert(organizations).values({ name: 'Bench' }).returning();
    const [user] = await tx.insert(users).values({ email: `bench-${process.pid}@example.com`, name: 'bench', passwordHash: 'x' }).returning();
    await tx.insert(memberships).values({ orgId: org!.id, userId: user!.id, role: 'owner' });
    return { orgId: org!.id, userId: user!.id };
  });
  const actor = { orgId, role: 'owner' as const, userId, apiKeyId: null };
  ctx.startRoles({ worker: true, scheduler: false, recover: false });
  const s = await ctx.services.dbSources.create(actor, { name: 'bench', connectionString: sourceDb.url, mode: 'trigger', tableName: 'orders', operations: ['insert'], cursorColumn: 'updated_at', keyColumn: 'id', pollSeconds: 30, enabled: true });
  if (s.status !== 'active') throw new Error(`the source is ${s.status}: ${s.lastError}`);
  while (!ctx.services.dbSourceRunner.following.includes(s.id)) await new Promise((r) => setTimeout(r, 20));

  const events = async (after: number) => {
    const { rows } = await ctx.database.system((tx) =>
      tx.execute(sql`select count(*)::int as n, count(distinct dedupe_key)::int as distinct_keys,
        percentile_cont(array[0.5, 0.95, 0.99, 1]) within group (order by extract(epoch from created_at - (payload->>'changedAt')::timestamptz) * 1000) as ms
        from events where org_id = ${orgId} and (payload->'new'->>'id')::bigint > ${after}`),
    );
    return rows[0] as { n: number; distinct_keys: number; ms: number[] | null };
  };
  const waitFor = async (after: number, n: number) => {
    const end = Date.now() + 120_000;
    for (;;) {
      const e = await events(after);
      if (e.n >= n || Date.now() > end) return e;
      await new Promise((r) => setTimeout(r, 100));
    }
  };
  const line = (name: string, sent: number, e: Awaited<ReturnType<typeof events>>) =>
    console.log(`${name.padEnd(28)} rows ${String(sent).padStart(6)}  events ${String(e.n).padStart(6)} (${e.distinct_keys} distinct)  p50 ${e.ms?.[0]?.toFixed(1)} ms  p95 ${e.ms?.[1]?.toFixed(1)} ms  p99 ${e.ms?.[2]?.toFixed(1)} ms  max ${e.ms?.[3]?.toFixed(1)} ms`);

  // Paced: one row per transaction.
  let sent = 0;
  const started = Date.now();
  while (Date.now() - started < DURATION_MS) {
    await source.query(`insert into orders (customer, total) values ('paced', $1)`, [sent]);
    sent++;
    const due = started + (sent * 1000) / RATE;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
  }
  line(`paced (${RATE}/s)`, sent, await waitFor(0, sent));
  const { rows } = await source.query<{ max: string }>('select max(id) as max from orders');
  const before = Number(rows[0]!.max);
  await source.query(`insert into orders (customer, total) select 'burst', g from generate_series(1, ${BURST}) g`);
  line(`burst (${BURST} in one statement)`, BURST, await waitFor(before, BURST));
} finally {
  await source.end().catch(() => {});
  await ctx.close();
  await troupeDb.drop();
  await sourceDb.drop();
}
