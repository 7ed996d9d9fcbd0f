import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, json, seedMember, seedRoles, type Member, type TestApp } from '../../test/helpers/app.js';
import type { DbKind } from '../../test/helpers/databases.js';
import { activeStaffWithRole, staffByIds } from './lookups.js';

/** The staff directory through the API (issue 16; docs/pipelines.md "Staff"), on PostgreSQL and PGlite. */
interface Staff {
  id: string;
  name: string;
  email: string | null;
  phone: string | null;
  roles: string[];
  userId: string | null;
  capacity: number | null;
  active: boolean;
}

describe.each(['postgres', 'pglite'] as DbKind[])('staff on %s', (kind) => {
  let t: TestApp;
  let roles: Awaited<ReturnType<typeof seedRoles>>;
  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, who: Member, payload?: unknown) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { ...who.headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) }, ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }) });

  beforeAll(async () => {
    t = await createTestApp(kind);
    roles = await seedRoles(t.ctx);
  });
  afterAll(() => t.close());

  it('adds, finds, changes and removes staff; roles are lowercase words; emails are unique case-insensitively', async () => {
    const res = await call('POST', '/staff', roles.admin, { name: 'Dana Admin', email: 'dana@example.com', phone: '+1 555 0100', roles: ['Admin', 'pm', 'admin'], userId: roles.member.userId, capacity: 5 });
    expect(res.statusCode, res.body).toBe(201);
    const dana = json<Staff>(res);
    expect(dana).toMatchObject({ roles: ['admin', 'pm'], userId: roles.member.userId, capacity: 5, active: true });
    const oli = json<Staff>(await call('POST', '/staff', roles.admin, { name: 'Oli Operator', roles: ['operator', 'support'] }));

    const badRole = await call('POST', '/staff', roles.admin, { name: 'X', roles: ['ok', 'not ok'] });
    expect(badRole.statusCode).toBe(400);
    expect(badRole.body).toContain('body.roles.1');
    const badCapacity = await call('POST', '/staff', roles.admin, { name: 'X', capacity: -1 });
    expect(badCapacity.statusCode).toBe(400);
    expect(badCapacity.body).toContain('body.capacity');
    const stranger = await call('POST', '/staff', roles.admin, { name: 'X', userId: roles.stranger.userId });
    expect(stranger.statusCode).toBe(400);
    expect(stranger.body).toContain('body.userId');
    expect((await call('POST', '/staff', roles.admin, { name: 'Twin', email: 'DANA@example.com' })).statusCode).toBe(409);

    const sales = json<{ items: Staff[]; total: number }>(await call('GET', '/staff?role=PM', roles.member));
    expect(sales.items.map((s) => s.id)).toEqual([dana.id]);
    expect(json<{ items: Staff[] }>(await call('GET', '/staff?q=oper', roles.member)).items.map((s) => s.id)).toEqual([oli.id]);
    expect(json<{ items: Staff[] }>(await call('GET', '/staff?q=0100', roles.member)).items.map((s) => s.id)).toEqual([dana.id]);
    expect(json<{ items: Staff[] }>(await call('GET', '/staff', roles.member)).items.map((s) => s.name)).toEqual(['Dana Admin', 'Oli Operator']);

    const changed = await call('PATCH', `/staff/${oli.id}`, roles.admin, { active: false, capacity: null, email: 'oli@example.com' });
    expect(json<Staff>(changed)).toMatchObject({ active: false, capacity: null, email: 'oli@example.com' });
    expect(json<{ items: Staff[] }>(await call('GET', '/staff?active=true', roles.member)).items.map((s) => s.id)).toEqual([dana.id]);

    // What other modules read, inside their transaction.
    const [withRole, byId] = await t.ctx.database.withOrg(roles.owner.orgId, (tx) => Promise.all([activeStaffWithRole(tx, roles.owner.orgId, 'operator'), staffByIds(tx, roles.owner.orgId, [oli.id, randomUUID()])]));
    expect(withRole).toEqual([]);
    expect([...byId.keys()]).toEqual([oli.id]);

    // Roles: members read, admins write; another organization sees nothing.
    expect((await call('GET', '/staff', roles.viewer)).statusCode).toBe(403);
    expect((await call('POST', '/staff', roles.member, { name: 'Y' })).statusCode).toBe(403);
    expect((await call('PATCH', `/staff/${oli.id}`, roles.member, { name: 'Y' })).statusCode).toBe(403);
    const other = await seedMember(t.ctx, 'owner');
    expect((await call('GET', `/staff/${oli.id}`, other)).statusCode).toBe(404);
    expect((await call('PATCH', `/staff/${oli.id}`, other, { name: 'Mine' })).statusCode).toBe(404);
    expect((await call('DELETE', `/staff/${oli.id}`, other)).statusCode).toBe(404);
    expect(json<{ total: number }>(await call('GET', '/staff', other)).total).toBe(0);

    expect((await call('DELETE', `/staff/${oli.id}`, roles.admin)).statusCode).toBe(204);
    expect((await call('GET', `/staff/${oli.id}`, roles.member)).statusCode).toBe(404);
    const audit = json<{ items: { action: string; targetId: string | null }[] }>(await call('GET', '/audit?limit=100', roles.owner)).items;
    expect(audit.filter((a) => a.action.startsWith('staff.')).map((a) => [a.action, a.targetId])).toEqual(
      expect.arrayContaining([
        ['staff.created', dana.id],
        ['staff.updated', oli.id],
        ['staff.deleted', oli.id],
      ]),
    );
  });
});
