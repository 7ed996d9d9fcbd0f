import { randomUUID } from 'node:crypto';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../api/server.js';
import { createContext, type AppContext } from '../app.js';
import { loadConfig } from '../config/load.js';
import { readMigrations } from '../db/migrate.js';
import { adminUrl } from '../../test/helpers/pg-url.js';

/*
 * The real `troupe` CLI, spawned as a child process (node --import tsx src/cli/main.ts) with an
 * environment the test controls. Spawns run one at a time: each takes a few seconds to start.
 */

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SECRET = 'a'.repeat(64);
const TAGS = readMigrations().map((m) => m.tag);

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `troupe …args` with only PATH/HOME from this process plus `env`; stdin gets `input` (then EOF). */
function troupe(args: string[], env: Record<string, string> = {}, input = ''): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? ROOT, ...env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

/** A TCP port nothing listens on (bound once, then released). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('troupe CLI against PostgreSQL and a running server', () => {
  const name = `troupe_cli_${randomBytes(6).toString('hex')}`;
  const url = adminUrl(name);
  const dbEnv = { DATABASE_URL: url, TROUPE_SECRET_KEY: SECRET };
  let workDir: string;
  let ctx: AppContext | undefined;
  let app: FastifyInstance | undefined;
  let serverUrl = '';
  let agentRequests = 0;
  const state = { orgId: '', key: '', agentId: '' };
  const remoteEnv = () => ({ TROUPE_URL: serverUrl, TROUPE_API_KEY: state.key });

  beforeAll(async () => {
    const admin = new pg.Client({ connectionString: adminUrl() });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    workDir = await mkdtemp(path.join(tmpdir(), 'troupe-cli-'));
  });

  afterAll(async () => {
    await app?.close();
    await ctx?.close();
    const admin = new pg.Client({ connectionString: adminUrl() });
    await admin.connect();
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
    await rm(workDir, { recursive: true, force: true });
  });

  it('migrate applies every migration to an empty database, then finds it up to date', async () => {
    const first = await troupe(['migrate'], dbEnv);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    expect(first.stdout).toContain(`Applied ${TAGS.join(', ')}`);

    const again = await troupe(['migrate', '--json'], dbEnv);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ applied: [], upToDate: true, database: 'postgres' });
  }, 60_000);

  it('creates a user (password from stdin), refuses a duplicate email, creates an org and an API key', async () => {
    const user = await troupe(
      ['user', 'create', '--email', 'Ada@Example.com', '--name', 'Ada', '--password-stdin', '--json'],
      dbEnv,
      'correct horse battery\n',
    );
    expect(user.code, user.stderr).toBe(0);
    expect(JSON.parse(user.stdout)).toMatchObject({ email: 'ada@example.com', name: 'Ada', membership: null });

    const duplicate = await troupe(['user', 'create', '--email', 'ada@example.com', '--name', 'Ada 2', '--password', 'another long one'], dbEnv);
    expect(duplicate.code).toBe(1);
    expect(duplicate.stderr).toMatch(/ada@example\.com already exists/);
    const weak = await troupe(['user', 'create', '--email', 'w@example.com', '--name', 'W', '--password', 'password123'], dbEnv);
    expect(weak.code).toBe(1);
    expect(weak.stderr).toMatch(/--password: is one of the most common passwords/);

    const org = await troupe(['org', 'create', '--name', 'Acme', '--owner-email', 'ada@example.com'], dbEnv);
    expect(org.code, org.stderr).toBe(0);
    state.orgId = org.stdout.trim();
    expect(state.orgId).toMatch(/^[0-9a-f-]{36}$/);

    const key = await troupe(['apikey', 'create', '--org', state.orgId, '--name', 'ci', '--role', 'admin'], dbEnv);
    expect(key.code, key.stderr).toBe(0);
    state.key = key.stdout.trim();
    expect(state.key).toMatch(/^trp_\S+$/);
    expect(key.stderr).toMatch(/shown only once/);

    const member = await troupe(
      ['user', 'create', '--email', 'bob@example.com', '--name', 'Bob', '--password', 'bob long password', '--org', state.orgId, '--role', 'viewer', '--json'],
      dbEnv,
    );
    expect(member.code, member.stderr).toBe(0);
    expect(JSON.parse(member.stdout)).toMatchObject({ email: 'bob@example.com', membership: { orgId: state.orgId, role: 'viewer' } });
    const check = new pg.Client({ connectionString: dbEnv.DATABASE_URL });
    await check.connect();
    const { rows } = await check.query('select m.role from memberships m join users u on u.id = m.user_id where u.email = $1 and m.org_id = $2', [
      'bob@example.com',
      state.orgId,
    ]);
    await check.end();
    expect(rows).toEqual([{ role: 'viewer' }]);
    const noOrg = await troupe(['user', 'create', '--email', 'c@example.com', '--name', 'C', '--password', 'c long password', '--org', randomUUID()], dbEnv);
    expect(noOrg.code).toBe(1);
    expect(noOrg.stderr).toMatch(/--org: no organization/);
  }, 120_000);

  it('makes a user an instance operator and takes it back, warning when none is left', async () => {
    const operators = async () => {
      const check = new pg.Client({ connectionString: dbEnv.DATABASE_URL });
      await check.connect();
      const { rows } = await check.query<{ email: string }>('select email from users where is_operator order by email');
      await check.end();
      return rows.map((r) => r.email);
    };
    const grant = await troupe(['user', 'operator', 'Ada@Example.com', '--json'], dbEnv);
    expect(grant.code, grant.stderr).toBe(0);
    expect(JSON.parse(grant.stdout)).toMatchObject({ email: 'ada@example.com', isOperator: true, operators: 1 });
    const second = await troupe(['user', 'operator', 'bob@example.com'], dbEnv);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout.trim()).toMatch(/^[0-9a-f-]{36}$/);
    expect(second.stderr).toContain('bob@example.com is now an instance operator');
    expect(await operators()).toEqual(['ada@example.com', 'bob@example.com']);

    const revoke = await troupe(['user', 'operator', 'bob@example.com', '--revoke'], dbEnv);
    expect(revoke.code, revoke.stderr).toBe(0);
    expect(revoke.stderr).toContain('bob@example.com is no longer an instance operator');
    expect(revoke.stderr).not.toContain('no instance operator');
    const last = await troupe(['user', 'operator', 'ada@example.com', '--revoke'], dbEnv);
    expect(last.code, last.stderr).toBe(0);
    expect(last.stderr).toMatch(/has no instance operator now/);
    expect(await operators()).toEqual([]);

    const nobody = await troupe(['user', 'operator', 'nobody@example.com'], dbEnv);
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toMatch(/no user with the email nobody@example\.com/);
  }, 240_000);

  it('manages agents through a running server with the created API key', async () => {
    ctx = await createContext(loadConfig({ ...dbEnv, LOG_LEVEL: 'silent' }));
    app = await buildServer(ctx);
    app.addHook('onRequest', async (request) => {
      if (request.url.startsWith('/api/v1/agents')) agentRequests++;
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    serverUrl = `http://127.0.0.1:${(app.server.address() as { port: number }).port}`;

    const file = path.join(workDir, 'agent.yaml');
    await writeFile(
      file,
      ['name: Support bot', 'model: rules:default', 'instructions: |', '  Be kind.', '  Be brief.', 'tags: [support]', 'limits:', '  maxSteps: 5', ''].join('\n'),
    );
    const created = await troupe(['agents', 'create', '--file', file, '--temperature', '0.7', '--json'], remoteEnv());
    expect(created.code, created.stderr).toBe(0);
    const agent = JSON.parse(created.stdout) as { id: string; name: string; temperature: number; limits: { maxSteps: number } };
    expect(agent).toMatchObject({ name: 'Support bot', temperature: 0.7, limits: { maxSteps: 5 } });
    state.agentId = agent.id;

    const list = await troupe(['agents', 'list', '--json'], remoteEnv());
    expect(list.code, list.stderr).toBe(0);
    expect(JSON.parse(list.stdout)).toMatchObject({ total: 1, items: [{ id: agent.id, version: 1 }] });

    const shown = await troupe(['agents', 'get', agent.id], remoteEnv());
    expect(shown.code, shown.stderr).toBe(0);
    expect(shown.stdout).toMatch(new RegExp(`^id: +${agent.id}$`, 'm'));
    expect(shown.stdout).toMatch(/^limits\.maxSteps: +5$/m);

    const updated = await troupe(['agents', 'update', agent.id, '--temperature', '0.2'], remoteEnv());
    expect(updated.code, updated.stderr).toBe(0);
    expect(updated.stdout).toMatch(/^temperature: +0\.2$/m);
    expect(updated.stdout).toMatch(/^version: +2$/m);
  }, 90_000);

  it('refuses split roles without the shared services they need, naming the setting', async () => {
    const worker = await troupe(['worker'], { ...dbEnv });
    expect(worker.code).toBe(1);
    expect(worker.stderr).toMatch(/troupe worker .*set REDIS_URL/);
    const scheduler = await troupe(['scheduler'], { TROUPE_SECRET_KEY: SECRET, TROUPE_DATA_DIR: path.join(workDir, 'embedded') });
    expect(scheduler.code).toBe(1);
    expect(scheduler.stderr).toMatch(/set DATABASE_URL/);
  }, 60_000);

  it('rejects invalid input by field before sending anything', async () => {
    const before = agentRequests;
    const bad = await troupe(['agents', 'update', state.agentId, '--temperature', '7'], remoteEnv());
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--temperature: .*2/);
    expect(agentRequests).toBe(before);
  }, 60_000);

  it('deletes an agent, then relays the 404 for it', async () => {
    const deleted = await troupe(['agents', 'delete', state.agentId], remoteEnv());
    expect(deleted.code, deleted.stderr).toBe(0);
    expect(deleted.stdout).toContain(`Deleted agent ${state.agentId}`);

    const gone = await troupe(['agents', 'get', state.agentId], remoteEnv());
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/Agent not found \(404 not_found\)/);
  }, 60_000);

  it('explains a missing API key and an unreachable server', async () => {
    const noKey = await troupe(['agents', 'list'], { TROUPE_URL: serverUrl });
    expect(noKey.code).toBe(2);
    expect(noKey.stderr).toMatch(/--api-key.*TROUPE_API_KEY/);

    const port = await closedPort();
    const down = await troupe(['agents', 'list', '--url', `http://127.0.0.1:${port}`], { TROUPE_API_KEY: state.key });
    expect(down.code).toBe(1);
    expect(down.stderr).toContain(`cannot reach the Troupe server at http://127.0.0.1:${port} (is it running? set TROUPE_URL`);
  }, 60_000);
});

describe('troupe CLI configuration and the embedded database', () => {
  it('exits 2 naming the setting on a configuration error', async () => {
    const result = await troupe(['migrate'], { PORT: 'abc' });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/PORT: .*"abc"/);
  }, 60_000);

  it('migrate creates and migrates the embedded data folder', async () => {
    const parent = await mkdtemp(path.join(tmpdir(), 'troupe-cli-embedded-'));
    // As root, the embedded PostgreSQL runs as the user postgres, who must be able to enter it.
    await chmod(parent, 0o755);
    const dataDir = path.join(parent, 'data');
    try {
      const result = await troupe(['migrate'], { TROUPE_DATA_DIR: dataDir });
      expect(result.code, result.stderr).toBe(0);
      expect(result.stdout).toContain(`Applied ${TAGS.join(', ')} to the embedded database in ${dataDir}`);
      expect(existsSync(path.join(dataDir, 'postgres', 'PG_VERSION'))).toBe(true);
      expect(existsSync(path.join(dataDir, 'troupe.lock'))).toBe(false);
    } finally {
      await rm(parent, { recursive: true, force: true });
    }
  }, 180_000);
});
