/**
 * bench/events: inbound webhook intake as senders see it (issue 16). Deliveries are POSTed to
 * `/hooks/{id}` (JSON, token verification) by `--connections` keep-alive connections for
 * `--duration` seconds; every event matches a trigger that starts a one-node workflow. Printed in
 * the same run:
 *
 *  0. The floor: a bare Fastify endpoint in a child process that inserts one row per request into
 *     PostgreSQL (one pooled connection per request, no verification, no tenancy), paced at
 *     2,000/s as the target is, then as fast as the answers come.
 *  1. PostgreSQL + Redis: a `troupe api` process takes the deliveries, a `troupe worker` process
 *     fires the triggers. Paced at 2,000 deliveries/s (target: all accepted, p99 < 25 ms), then as
 *     fast as the answers come (the most it takes).
 *  2. The embedded default (`troupe serve`, its own PostgreSQL in a data folder, no Redis).
 *     Target: ≥ 500 events/s.
 * Then, for each: every accepted delivery is an event (none lost), and once the processor has
 * caught up, each fired its trigger exactly once (fires counted, one run each).
 *
 * Usage: npx tsx bench/events.ts [--duration 30] [--connections 50] [--db both|postgres|embedded]
 * PostgreSQL: BENCH_DATABASE_URL (default the local server; scratch databases are created and
 * dropped). Redis: REDIS_URL (default redis://127.0.0.1:6379; the queue is removed afterwards).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { Queue } from 'bullmq';
import Fastify from 'fastify';
import { count, eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { createContext, type AppContext } from '../src/app.js';
import { loadConfig } from '../src/config/load.js';
import { events, triggerFires } from '../src/events/schema.js';
import { createLogger } from '../src/shared/logger.js';
import { memberships, organizations, users } from '../src/auth/schema.js';
import type { Actor } from '../src/shared/roles.js';
import { load, start, stop, until, type Proc } from './harness.js';
import { scratchDatabase } from './seed.js';

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '30' },
    connections: { type: 'string', default: '50' },
    db: { type: 'string', default: 'both' },
    bare: { type: 'string' },
  },
});
const DURATION_MS = Number(args.duration) * 1000;
const CONNECTIONS = Number(args.connections);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ROOT = path.resolve(import.meta.dirname, '..');
const SECRET = 'b'.repeat(64);

/** The floor: Fastify, one INSERT per request. */
async function bareServer(url: string) {
  const pool = new pg.Pool({ connectionString: url, max: 20 });
  await pool.query('create table if not exists bare_events (id bigserial primary key, payload jsonb not null, created_at timestamptz not null default now())');
  const app = Fastify();
  app.post('/hooks/bare', async (req, reply) => {
    await pool.query('insert into bare_events (payload) values ($1)', [JSON.stringify(req.body)]);
    return reply.code(202).send({ ok: true });
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address() as { port: number };
  console.log(`bare ready at http://127.0.0.1:${address.port}`);
  process.on('SIGTERM', () => void app.close().then(() => pool.end()).then(() => process.exit(0)));
}

/** An organization with a token-verified endpoint and a trigger that starts a one-node workflow. */
async function seed(ctx: AppContext): Promise<{ orgId: string; endpointId: string; token: string }> {
  const ids = await ctx.database.system(async (tx) => {
    const [org] = await tx.insert(organizations).values({ name: 'Bench' }).returning();
    const [user] = await tx.insert(users).values({ email: `bench-${Date.now()}@example.com`, name: 'Bench', passwordHash: 'x' }).returning();
    await tx.insert(memberships).values({ orgId: org!.id, userId: user!.id, role: 'owner' });
    return { orgId: org!.id, userId: user!.id };
  });
  const actor: Actor = { orgId: ids.orgId, role: 'owner', userId: ids.userId, apiKeyId: null };
  const workflow = await ctx.services.workflows.create(actor, {
    definition: { name: 'Note it', graph: { nodes: [{ id: 'start', type: 'trigger', config: { kind: 'manual' } }, { id: 'note', type: 'transform', config: { value: '{{ input.n }}' } }], edges: [{ source: 'start', target: 'note' }] } },
  });
  await ctx.services.triggers.create(actor, { name: 'Every order', eventType: 'order.placed', workflowId: workflow.id });
  const { row, secret } = await ctx.services.webhooks.create(actor, { name: 'Shop', eventType: 'order.placed', verification: 'token', toleranceSeconds: 300, maxBodyBytes: 65_536, enabled: true });
  return { orgId: ids.orgId, endpointId: row.id, token: secret! };
}

/** Deliveries for the duration: at `rate` per second (paced), or as fast as the answers come. */
async function deliver(base: string, endpointId: string, token: string, rate?: number) {
  const headers = { 'content-type': 'application/json', 'x-webhook-token': token };
  let n = 0;
  const body = () => JSON.stringify({ n: n++, sku: 'A-1', qty: 2, email: `buyer${n}@example.com` });
  await load(`${base}/hooks/${endpointId}`, headers, CONNECTIONS, 1000, { method: 'POST', body, ok: [202], rate });
  return load(`${base}/hooks/${endpointId}`, headers, CONNECTIONS, DURATION_MS, { method: 'POST', body, ok: [202], rate });
}

/** After the load: events stored (none lost), and the time until every one fired its trigger once. */
async function settle(ctx: AppContext, orgId: string, accepted: number) {
  const t0 = performance.now();
  const stored = async () => (await ctx.database.system((tx) => tx.select({ n: count() }).from(events).where(eq(events.orgId, orgId))))[0]!.n;
  const fired = async () => (await ctx.database.system((tx) => tx.select({ n: count() }).from(triggerFires).where(eq(triggerFires.status, 'fired'))))[0]!.n;
  const inStore = await stored();
  await until(async () => (await fired()) >= inStore, 'every event to fire its trigger', 1_800_000, 500);
  const fires = await ctx.database.system((tx) => tx.select({ n: count(), events: sql`count(distinct ${triggerFires.eventId})`, runs: sql`count(distinct ${triggerFires.runId})` }).from(triggerFires));
  const f = fires[0]!;
  console.log(`   stored: ${inStore} events for ${accepted} deliveries answered 202 (${inStore >= accepted ? 'none lost' : `${accepted - inStore} LOST`})`);
  console.log(`   fired: ${f.n} fires for ${f.events} events, ${f.runs} runs (${Number(f.n) === inStore && Number(f.runs) === inStore ? 'each exactly once' : 'NOT exactly once'}); the processor caught up ${((performance.now() - t0) / 1000).toFixed(1)} s after the load`);
}

const line = (label: string, r: Awaited<ReturnType<typeof load>>) =>
  `   ${label}: ${r.rps.toFixed(0)} accepted/s, p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, ${r.n} requests, ${r.errors} not accepted`;

async function main() {
  if (args.bare) return bareServer(args.bare);
  execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'inherit' });
  console.log(`bench/events: ${CONNECTIONS} connections x ${DURATION_MS / 1000} s of POST /hooks/{id} (JSON, token); node ${process.version}, ${(await import('node:os')).cpus().length} cores`);

  // 0. The floor.
  let floorPaced: Awaited<ReturnType<typeof load>> | undefined;
  {
    const db = await scratchDatabase('troupe_bench_ev_bare');
    const bare = await start(['bench/events.ts', '--bare', db.url], {}, /bare ready at \S+/);
    const base = /bare ready at (\S+)/.exec(bare.out())![1]!;
    try {
      const headers = { 'content-type': 'application/json' };
      const body = (i: number) => JSON.stringify({ n: i, sku: 'A-1', qty: 2, email: `buyer${i}@example.com` });
      await load(`${base}/hooks/bare`, headers, CONNECTIONS, 1000, { method: 'POST', body, ok: [202] });
      console.log('\n0. Floor: a bare Fastify endpoint inserting one row per request (PostgreSQL)');
      // Paced as the target is: each commit waits for the disk, so the floor's p99 is the disk's.
      floorPaced = await load(`${base}/hooks/bare`, headers, CONNECTIONS, DURATION_MS, { method: 'POST', body, ok: [202], rate: 2000 });
      console.log(line('bare at 2,000/s', floorPaced));
      console.log(line('bare as fast as answered', await load(`${base}/hooks/bare`, headers, CONNECTIONS, DURATION_MS, { method: 'POST', body, ok: [202] })));
    } finally {
      await stop([bare]);
      await db.drop();
    }
  }

  if (args.db === 'both' || args.db === 'postgres') {
    const db = await scratchDatabase('troupe_bench_ev');
    const queue = `bench-ev-${process.pid}`;
    const env = { DATABASE_URL: db.url, REDIS_URL, TROUPE_QUEUE_NAME: queue, TROUPE_SECRET_KEY: SECRET };
    const ctx = await createContext(loadConfig(env), { logger: createLogger('error') });
    const procs: Proc[] = [];
    try {
      const s = await seed(ctx);
      if (!process.env.BENCH_NO_WORKER) procs.push(await start(['dist/cli/main.js', 'worker'], env, /worker started/));
      const api = await start(['dist/cli/main.js', 'api'], { ...env, HOST: '127.0.0.1', PORT: '0' }, /Troupe is running at \S+/);
      procs.push(api);
      const base = /Troupe is running at (\S+)/.exec(api.out())![1]!;
      console.log('\n1. PostgreSQL + Redis: troupe api (intake) + troupe worker (triggers)');
      const paced = await deliver(base, s.endpointId, s.token, 2000);
      console.log(`${line('at 2,000/s', paced)}  (target ≥ 2000/s with p99 < 25 ms: ${paced.rps >= 1990 && paced.errors === 0 && paced.p99 < 25 ? 'met' : 'NOT met'}; the floor's p99 at this pace: ${floorPaced!.p99.toFixed(1)} ms)`);
      await settle(ctx, s.orgId, paced.n - paced.errors);
      const r = await deliver(base, s.endpointId, s.token);
      console.log(line('as fast as answered', r));
      await settle(ctx, s.orgId, paced.n - paced.errors + r.n - r.errors);
    } finally {
      await stop(procs);
      await ctx.close();
      const q = new Queue(queue, { connection: { url: REDIS_URL } });
      await q.obliterate({ force: true }).catch(() => {});
      await q.close();
      await db.drop();
    }
  }

  if (args.db === 'both' || args.db === 'embedded') {
    const dir = mkdtempSync(path.join(tmpdir(), 'troupe-bench-ev-'));
    const env = { TROUPE_DATA_DIR: dir, TROUPE_SECRET_KEY: SECRET, DATABASE_URL: '', REDIS_URL: '' };
    let serve: Proc | undefined;
    try {
      // Seeded first, then the server takes the data folder.
      const setup = await createContext(loadConfig(env), { logger: createLogger('error') });
      const s = await seed(setup);
      await setup.close();
      serve = await start(['dist/cli/main.js', 'serve'], { ...env, HOST: '127.0.0.1', PORT: '0' }, /Troupe is running at \S+/);
      const base = /Troupe is running at (\S+)/.exec(serve.out())![1]!;
      console.log('\n2. The embedded default: troupe serve (its own PostgreSQL, in-process queue)');
      const r = await deliver(base, s.endpointId, s.token);
      console.log(`${line('as fast as answered', r)}  (target ≥ 500/s: ${r.rps >= 500 ? 'met' : 'NOT met'})`);
      await stop([serve]);
      serve = undefined;
      // The data folder is the server's alone while it runs: counted after it stopped, with a
      // worker in this process finishing what its processor had left, as a restart would.
      const after = await createContext(loadConfig(env), { logger: createLogger('error') });
      try {
        after.startRoles({ worker: true, scheduler: false });
        await settle(after, s.orgId, r.n - r.errors);
      } finally {
        await after.close();
      }
    } finally {
      if (serve) await stop([serve]);
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

await main();
