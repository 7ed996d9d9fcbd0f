import { sql } from 'drizzle-orm';
import type { Database } from '../../../db/client.js';
import { conflict, isUniqueViolation } from '../../../shared/errors.js';
import { dayStart } from '../analytics/periods.js';
import { DEFAULT_DEMO_MEMBERS, DEFAULT_DEMO_SEED, generateDemoGym } from './generate.js';
import { DEMO_TABLE_NAMES, ROLLUP_TABLE_NAMES, insertDemoRows } from './insert.js';
import { countRows, type DemoGym, type DemoTable } from './rows.js';

/** Members a demo gym may have: the API's bound (a request is not a batch job); the CLI allows more. */
export const MAX_DEMO_MEMBERS_API = 5_000;
export const MAX_DEMO_MEMBERS = 100_000;

export interface FillOptions {
  seed?: number;
  members?: number;
  /** The gym's "now"; default today 00:00 UTC. */
  asOf?: Date;
}

export interface DemoSummary {
  orgId: string;
  seed: number;
  asOf: string;
  members: number;
  leads: number;
  rows: Record<DemoTable, number>;
  totalRows: number;
  generateMs: number;
  insertMs: number;
  /** VACUUM ANALYZE of the tables afterwards, so the planner knows the new rows at once. */
  analyzeMs: number;
}

/** The tables whose rows mean "this organization already has a gym": the demo's unique names would collide with them. */
const OWN_DATA = [
  ['contacts', 'fitness_contacts'],
  ['staff', 'fitness_staff'],
  ['plans', 'fitness_plans'],
  ['classes', 'fitness_classes'],
  ['lead stages', 'fitness_lead_stages'],
] as const;

/**
 * Fills an organization with a demo gym (generate.ts) in one transaction, then analyzes the
 * tables. Refused (409 `fitness_data_exists`) when the organization already has gym data:
 * contacts, staff, plans, classes or lead stages. Two fills of one organization at once are
 * serialized by a transaction lock, so the second is refused rather than colliding.
 * Returns what was written and the generated gym (its rows, for the ground truth).
 */
export async function fillDemoGym(database: Database, orgId: string, options: FillOptions = {}): Promise<{ summary: DemoSummary; gym: DemoGym }> {
  const asOf = options.asOf ?? dayStart(new Date());
  let started = performance.now();
  const gym = generateDemoGym(orgId, { seed: options.seed ?? DEFAULT_DEMO_SEED, members: options.members ?? DEFAULT_DEMO_MEMBERS, asOf });
  const generateMs = Math.round(performance.now() - started);
  started = performance.now();
  try {
    await database.withOrg(orgId, async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(hashtext(${`troupe.fitness.demo:${orgId}`}))`);
      const probes = OWN_DATA.map(([, t]) => sql`(select count(*) from (select 1 from ${sql.identifier(t)} where org_id = ${orgId} limit 1) x)::int as ${sql.identifier(t)}`);
      const { rows } = await tx.execute(sql`select ${sql.join(probes, sql`, `)}`);
      const found = OWN_DATA.filter(([, table]) => Number(rows[0]![table]) > 0).map(([label]) => label);
      if (found.length) throw existing(found);
      await insertDemoRows(tx, gym.rows);
    });
  } catch (err) {
    // Only a write made meanwhile outside this lock (a contact added by hand) can still collide.
    if (isUniqueViolation(err)) throw existing(['rows added meanwhile']);
    throw err;
  }
  const insertMs = Math.round(performance.now() - started);
  started = performance.now();
  // The payment rollups (decision 64) were written by triggers along with the payments.
  await database.vacuum([...DEMO_TABLE_NAMES, ...ROLLUP_TABLE_NAMES].map((t) => `(analyze) ${t}`));
  const analyzeMs = Math.round(performance.now() - started);
  const counts = countRows(gym.rows);
  return {
    summary: {
      orgId,
      seed: gym.seed,
      asOf: gym.asOf.toISOString(),
      members: gym.members,
      leads: gym.leads,
      rows: counts,
      totalRows: Object.values(counts).reduce((a, b) => a + b, 0),
      generateMs,
      insertMs,
      analyzeMs,
    },
    gym,
  };
}

const existing = (what: string[]) =>
  conflict(`This organization already has gym data (${what.join(', ')}); the demo gym fills an organization without any. Use another organization.`, 'fitness_data_exists');
