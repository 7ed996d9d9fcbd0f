/**
 * bench/fitness: the fitness pack at a chain's scale (issue 14).
 *
 *  1. A demo gym scaled to `--members` members (default 50,000: about 2 million payments and
 *     bookings, 2.3 million check-ins) generated and written into a scratch PostgreSQL database:
 *     generation, insert and VACUUM ANALYZE times.
 *  2. Every analytics tool called `--calls` times (default 20) through the tool executor (input
 *     schema, readOrg, the report's SQL, output schema), with its default parameters, at the
 *     gym's asOf: p50 and p95. Target: p95 < 200 ms on PostgreSQL.
 *  3. Importing 10,000 contacts from CSV through the CRM's import service, into another
 *     organization. Target: < 5 s.
 *  4. The same on PGlite (a temporary data folder), at `--pglite-members` (default 50,000, the
 *     same gym: about 13 minutes to write on the shared 2 cores, one WASM session at some 10,000
 *     rows/s, and 4.7 GB of memory for the generated rows). Target: p95 < 1 s.
 *
 * Usage: npx tsx bench/fitness.ts [--members 50000] [--pglite-members 50000] [--calls 20] [--skip-pglite] [--skip-postgres] [--keep]
 * PostgreSQL: BENCH_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres; a scratch
 * database is created and dropped).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { sql } from 'drizzle-orm';
import { organizations } from '../src/auth/schema.js';
import { loadConfig } from '../src/config/load.js';
import { openPglite, openPostgres, type Database } from '../src/db/client.js';
import { analyticsTools } from '../src/packs/fitness/analytics/tools.js';
import { dayStart } from '../src/packs/fitness/analytics/periods.js';
import { fitnessCrmOf } from '../src/packs/fitness/index.js';
import { fillDemoGym } from '../src/packs/fitness/demo/service.js';
import { executeTool } from '../src/tools/execute.js';
import type { ToolContext } from '../src/tools/define.js';
import type { Actor } from '../src/shared/roles.js';
import { createLogger } from '../src/shared/logger.js';
import { scratchDatabase } from './seed.js';

const { values: args } = parseArgs({
  options: {
    members: { type: 'string', default: '50000' },
    'pglite-members': { type: 'string', default: '50000' },
    calls: { type: 'string', default: '20' },
    'skip-pglite': { type: 'boolean', default: false },
    'skip-postgres': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const MEMBERS = Number(args.members);
const PGLITE_MEMBERS = Number(args['pglite-members']);
const CALLS = Number(args.calls);
const IMPORT_ROWS = 10_000;
const TARGETS = { postgres: 200, pglite: 1000, importMs: 5000 };

const config = loadConfig({ TROUPE_SECRET_KEY: 'a'.repeat(64) });
const logger = createLogger('silent');
const asOf = dayStart(new Date());
const verdicts: string[] = [];

const fmt = (n: number) => n.toLocaleString('en-US');
const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil(q * xs.length) - 1)]!;

function printTable(rows: string[][]) {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  for (const r of rows) console.log(r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  '));
}

async function newOrg(db: Database, name: string): Promise<string> {
  return db.system(async (tx) => (await tx.insert(organizations).values({ name }).returning())[0]!.id);
}

async function bench(kind: 'postgres' | 'pglite', db: Database, members: number) {
  console.log(`\n== ${kind}: a demo gym of ${fmt(members)} members, as of ${asOf.toISOString().slice(0, 10)} (load average ${load()})`);
  const org = await newOrg(db, 'Bench gym');
  const started = performance.now();
  const { summary } = await fillDemoGym(db, org, { members, asOf });
  const total = performance.now() - started;
  const r = summary.rows;
  console.log(
    `rows: ${fmt(summary.totalRows)} (${fmt(r.contacts)} contacts, ${fmt(r.subscriptions)} subscriptions, ${fmt(r.payments)} payments, ${fmt(r.bookings)} bookings, ${fmt(r.checkIns)} check-ins, ${fmt(r.sessions)} sessions); payments + bookings: ${fmt(r.payments + r.bookings)}`,
  );
  console.log(
    `generated in ${secs(summary.generateMs)}, inserted in ${secs(summary.insertMs)} (${fmt(Math.round(summary.totalRows / (summary.insertMs / 1000)))} rows/s), VACUUM ANALYZE ${secs(summary.analyzeMs)}; ${secs(total)} in all`,
  );

  const ctx: ToolContext = { orgId: org, agentId: org, runId: org, toolCallId: org, signal: new AbortController().signal, database: db, config, logger };
  const limit = TARGETS[kind];
  const rows = [['tool', 'p50 ms', 'p95 ms', 'max ms', `p95 < ${limit} ms`]];
  let met = 0;
  for (const tool of analyticsTools) {
    const input = { asOf: asOf.toISOString() };
    const first = await executeTool(tool, input, ctx);
    if (!first.ok) throw new Error(`${tool.name} failed: ${JSON.stringify(first)}`);
    const times: number[] = [];
    for (let i = 0; i < CALLS; i++) {
      const t = performance.now();
      const outcome = await executeTool(tool, input, ctx);
      times.push(performance.now() - t);
      if (!outcome.ok) throw new Error(`${tool.name} failed: ${JSON.stringify(outcome)}`);
    }
    const p95 = quantile(times, 0.95);
    if (p95 < limit) met++;
    rows.push([tool.name, quantile(times, 0.5).toFixed(1), p95.toFixed(1), Math.max(...times).toFixed(1), p95 < limit ? 'met' : 'NOT met']);
  }
  console.log(`\nanalytics tools, ${CALLS} calls each after one warm-up (load average ${load()}):`);
  printTable(rows);
  verdicts.push(`${kind} analytics (${fmt(members)} members): p95 < ${limit} ms for ${met} of ${analyticsTools.length} tools: ${met === analyticsTools.length ? 'met' : 'NOT met'}`);

  // Importing contacts, through the CRM's service as the API does, into an empty organization.
  const importOrg = await newOrg(db, 'Import gym');
  const actor: Actor = { orgId: importOrg, role: 'owner', userId: null, apiKeyId: null };
  const lines = ['externalId,firstName,lastName,email,phone,status,tags,source,emailConsent,joinedAt'];
  for (let i = 0; i < IMPORT_ROWS; i++) {
    lines.push(`IMP-${i},First${i},"Last, ${i}",person${i}@import.example,+1 555-01${String(i % 100).padStart(2, '0')},${i % 5 ? 'active' : 'lead'},"morning;t${i % 7}",website,${i % 2 ? 'yes' : 'no'},${i % 5 ? '2025-06-01 09:30' : ''}`);
  }
  const csv = lines.join('\n');
  const t = performance.now();
  const report = await fitnessCrmOf(db).importCsv(actor, 'contacts', { csv }, { dryRun: false, mode: 'all' });
  const importMs = performance.now() - t;
  if (report.imported !== IMPORT_ROWS) throw new Error(`import: ${JSON.stringify(report).slice(0, 500)}`);
  const ok = importMs < TARGETS.importMs;
  console.log(`\nCSV import of ${fmt(IMPORT_ROWS)} contacts (${(csv.length / 1e6).toFixed(2)} MB): ${secs(importMs)} (< 5 s: ${ok ? 'met' : 'NOT met'})`);
  verdicts.push(`${kind} import of ${fmt(IMPORT_ROWS)} contacts in ${secs(importMs)} (< 5 s): ${ok ? 'met' : 'NOT met'}`);
}

console.log(`bench/fitness: Node ${process.version}, ${CALLS} calls per tool, load average ${load()} (2 cores, shared)`);
const scratch = args['skip-postgres'] ? null : await scratchDatabase('troupe_bench_fitness');
if (scratch) try {
  const db = await openPostgres(scratch.url, 5);
  try {
    const { rows } = await db.db.execute(sql`select current_setting('server_version') as v`);
    console.log(`PostgreSQL ${String(rows[0]!.v)}`);
    await bench('postgres', db, MEMBERS);
  } finally {
    await db.close();
  }
} finally {
  if (args.keep) console.log(`kept the database: ${scratch.url}`);
  else await scratch.drop();
}

if (!args['skip-pglite']) {
  const dir = mkdtempSync(path.join(tmpdir(), 'troupe-bench-fitness-'));
  try {
    const db = await openPglite(dir);
    try {
      await bench('pglite', db, PGLITE_MEMBERS);
    } finally {
      await db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

console.log(`\nsummary (load average ${load()}):`);
for (const v of verdicts) console.log(`- ${v}`);
