import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgDatabase } from '../../test/helpers/databases.js';
import { generateDemoGym } from '../packs/fitness/demo/generate.js';
import { groundTruth } from '../packs/fitness/demo/truth.js';

/*
 * `troupe demo`, the real CLI spawned as a child process (as in cli.test.ts) against a fresh
 * migrated PostgreSQL database.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SECRET = 'a'.repeat(64);

function troupe(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? ROOT, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('troupe demo', () => {
  let database: Awaited<ReturnType<typeof createPgDatabase>>;
  let env: Record<string, string>;
  let dir: string;
  const sql = async (text: string, values: unknown[] = []) => {
    const c = new pg.Client({ connectionString: database.url });
    await c.connect();
    try {
      return (await c.query(text, values)).rows;
    } finally {
      await c.end();
    }
  };
  const newOrg = async (name: string) => String((await sql('insert into organizations (name) values ($1) returning id', [name]))[0]!.id);

  beforeAll(async () => {
    database = await createPgDatabase();
    env = { DATABASE_URL: database.url, TROUPE_SECRET_KEY: SECRET };
    dir = await mkdtemp(path.join(tmpdir(), 'troupe-demo-'));
  });
  afterAll(async () => {
    await database?.drop();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('asks for an organization when there is none', async () => {
    const res = await troupe(['demo'], env);
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/no organization yet/);
  }, 60_000);

  it('fills the only organization, writes the ground truth, and refuses to fill it twice', async () => {
    const orgId = await newOrg('Gym');
    const truthFile = path.join(dir, 'truth.json');
    const res = await troupe(['demo', '--seed', '5', '--members', '30', '--as-of', '2026-03-15', '--truth', truthFile, '--json'], env);
    expect(res.code, res.stderr).toBe(0);
    const summary = JSON.parse(res.stdout) as { orgId: string; members: number; leads: number; rows: Record<string, number> };
    expect(summary).toMatchObject({ orgId, seed: 5, members: 30, leads: 9, asOf: '2026-03-15T00:00:00.000Z' });
    const gym = generateDemoGym(orgId, { seed: 5, members: 30, asOf: new Date('2026-03-15T00:00:00Z') });
    expect(JSON.parse(await readFile(truthFile, 'utf8'))).toEqual(JSON.parse(JSON.stringify(groundTruth(gym))));
    expect(Number((await sql('select count(*) from fitness_payments where org_id = $1', [orgId]))[0]!.count)).toBe(gym.rows.payments.length);

    const again = await troupe(['demo', '--members', '30'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already has gym data/);
  }, 90_000);

  it('needs --org among several organizations, checks its flags, and prints a summary for people', async () => {
    const orgId = await newOrg('Second gym');
    const ambiguous = await troupe(['demo'], env);
    expect(ambiguous.code).toBe(1);
    expect(ambiguous.stderr).toMatch(/--org is needed: this install has 2 organizations/);
    expect(ambiguous.stderr).toContain(orgId);

    const bad = await troupe(['demo', '--org', orgId, '--members', '0', '--as-of', '15/03/2026'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--members: /);
    expect(bad.stderr).toMatch(/--as-of: must be a date/);
    const unknown = await troupe(['demo', '--org', '00000000-0000-4000-8000-000000000000'], env);
    expect(unknown.stderr).toMatch(/--org: no organization with the id/);

    const res = await troupe(['demo', '--org', orgId, '--members', '25', '--as-of', '2026-03-15'], env);
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/Filled organization .* with the demo gym \(seed 1, as of 2026-03-15\): 25 members, 8 leads/);
    expect(res.stdout).toMatch(/contacts\s+33/);
    expect(Number((await sql('select count(*) from fitness_contacts where org_id = $1', [orgId]))[0]!.count)).toBe(33);
  }, 120_000);
});
