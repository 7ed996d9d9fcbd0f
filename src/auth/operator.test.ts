import { afterEach, describe, expect, it } from 'vitest';
import { createTestApp, json, type TestApp } from '../../test/helpers/app.js';
import { pgliteSession } from '../db/client.js';
import { migrate, readMigrations } from '../db/migrate.js';

const OPERATOR_MIGRATION = '0013_instance_operator';

/**
 * Migrates an in-memory PGlite up to (not including) the operator migration, lets `seed` write
 * the rows of an older install, applies the rest, and returns the emails of the operators.
 */
async function operatorsAfterUpgrade(seed: string): Promise<string[]> {
  const { PGlite } = await import('@electric-sql/pglite');
  const client = new PGlite();
  try {
    const session = pgliteSession(client);
    const all = readMigrations();
    const at = all.findIndex((m) => m.tag === OPERATOR_MIGRATION);
    expect(at).toBeGreaterThan(0);
    await migrate(session, all.slice(0, at));
    if (seed) await session.exec(seed);
    expect(await migrate(session, all)).toContain(OPERATOR_MIGRATION);
    const rows = await session.rows<{ email: string }>('select email from users where is_operator order by email');
    return rows.map((r) => r.email);
  } finally {
    await client.close();
  }
}

const user = (email: string, createdAt: string) => `insert into users (id, email, name, password_hash, created_at) values ('${uuidOf(email)}', '${email}', '${email}', 'x', '${createdAt}');`;
const org = (id: string, createdAt: string) => `insert into organizations (id, name, created_at) values ('${id}', 'Org ${id.slice(0, 4)}', '${createdAt}');`;
const member = (email: string, orgId: string, role: string) => `insert into memberships (org_id, user_id, role) values ('${orgId}', '${uuidOf(email)}', '${role}');`;
/** A fixed UUID per test email, so the seed SQL can refer to users by email. */
const uuidOf = (email: string) => `00000000-0000-4000-8000-${Buffer.from(email).toString('hex').padEnd(12, '0').slice(0, 12)}`;

describe('migration 0013 backfills the first owner as the instance operator', () => {
  const oldOrg = '10000000-0000-4000-8000-000000000001';
  const newOrg = '10000000-0000-4000-8000-000000000002';

  it('marks the owner of the oldest organization, even when someone else signed up earlier', async () => {
    const seed = [
      user('early@x.io', '2020-01-01T00:00:00Z'),
      user('first@x.io', '2021-06-01T00:00:00Z'),
      user('later@x.io', '2021-01-01T00:00:00Z'),
      org(oldOrg, '2021-06-01T00:00:01Z'),
      org(newOrg, '2022-01-01T00:00:00Z'),
      member('first@x.io', oldOrg, 'owner'),
      member('early@x.io', oldOrg, 'admin'),
      member('later@x.io', newOrg, 'owner'),
    ].join('\n');
    expect(await operatorsAfterUpgrade(seed)).toEqual(['first@x.io']);
  }, 120_000);

  it('marks the earliest user when no organization has an owner, and nobody on an empty install', async () => {
    const seed = [user('second@x.io', '2021-01-01T00:00:00Z'), user('first@x.io', '2020-01-01T00:00:00Z'), org(oldOrg, '2019-01-01T00:00:00Z'), member('second@x.io', oldOrg, 'admin')].join('\n');
    expect(await operatorsAfterUpgrade(seed)).toEqual(['first@x.io']);
    expect(await operatorsAfterUpgrade('')).toEqual([]);
  }, 120_000);
});

describe('the first owner of a new install is its operator', () => {
  let t: TestApp | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it('through POST /setup; people who sign up later are not', async () => {
    t = await createTestApp('postgres');
    const boot = await t.ctx.services.auth.bootstrap();
    if (boot.kind !== 'setup_token') throw new Error(`expected a setup token, got ${boot.kind}`);
    const setup = await t.app.inject({
      method: 'POST',
      url: '/api/v1/setup',
      payload: { token: boot.token, email: 'root@example.com', password: 'a long password 1', name: 'Root', organizationName: 'Home' },
    });
    expect(setup.statusCode, setup.body).toBe(201);
    const session = json<{ user: { isOperator: boolean }; tokens: { accessToken: string } }>(setup);
    expect(session.user.isOperator).toBe(true);
    const me = await t.app.inject({ url: '/api/v1/auth/me', headers: { authorization: `Bearer ${session.tokens.accessToken}` } });
    expect(json<{ user: { isOperator: boolean } }>(me).user.isOperator).toBe(true);

    const other = await t.app.inject({ method: 'POST', url: '/api/v1/auth/signup', payload: { email: 'guest@example.com', password: 'a long password 1', name: 'Guest' } });
    expect(other.statusCode, other.body).toBe(201);
    expect(json<{ user: { isOperator: boolean } }>(other).user.isOperator).toBe(false);
  }, 60_000);

  it('through TROUPE_OWNER_EMAIL', async () => {
    t = await createTestApp('postgres', { TROUPE_OWNER_EMAIL: 'boss@example.com', TROUPE_OWNER_PASSWORD: 'boss password 1' });
    expect((await t.ctx.services.auth.bootstrap()).kind).toBe('owner_created');
    const boss = await t.ctx.services.auth.findUserByEmail('boss@example.com');
    expect(boss?.isOperator).toBe(true);
    expect(await t.ctx.services.auth.isOperator(boss!.id)).toBe(true);
  }, 60_000);
});
