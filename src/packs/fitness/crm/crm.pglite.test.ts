import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedRoles, type Member, type TestApp } from '../../../../test/helpers/app.js';

// The embedded database runs the same migration and SQL (the search index's expression, the
// subqueries, the multi-row import); one block, as PGlite takes seconds to open.
describe('the fitness CRM on PGlite', () => {
  let t: TestApp;
  let roles: Awaited<ReturnType<typeof seedRoles>>;
  beforeAll(async () => {
    t = await createTestApp('pglite');
    roles = await seedRoles(t.ctx);
  });
  afterAll(() => t.close());

  const call = (method: 'GET' | 'POST' | 'PATCH', url: string, who: Member, payload?: string | object, contentType?: string) =>
    t.app.inject({ method, url: `/api/v1/fitness${url}`, headers: { ...who.headers, ...(contentType ? { 'content-type': contentType } : {}) }, ...(payload ? { payload } : {}) });

  it('imports, searches, books, counts visits and exports', { timeout: 120_000 }, async () => {
    const rows = ['externalId,firstName,lastName,email,status,tags'];
    for (let i = 0; i < 2000; i++) rows.push(`X${i},Name${i},Family${i},p${i}@lite.example,${i % 4 ? 'active' : 'lead'},"t${i % 3}"`);
    const started = Date.now();
    const imported = await call('POST', '/import/contacts', roles.member, rows.join('\n'), 'text/csv');
    expect(imported.statusCode, imported.body).toBe(200);
    expect(json(imported)).toMatchObject({ imported: 2000, failed: 0 });
    console.log(`PGlite: imported 2,000 contacts in ${Date.now() - started} ms`);

    const found = json<{ total: number; items: { id: string; firstName: string }[] }>(await call('GET', '/contacts?q=name1999 family', roles.viewer));
    expect(found.items.map((c) => c.firstName)).toEqual(['Name1999']);
    expect(json<{ total: number }>(await call('GET', '/contacts?kind=lead&tag=t1&limit=1', roles.viewer)).total).toBe(167);
    const memberId = found.items[0]!.id;

    const cls = json<{ id: string }>(await call('POST', '/classes', roles.member, { name: 'Yoga', defaultCapacity: 1 }));
    const session = json<{ id: string }>(await call('POST', '/sessions', roles.member, { classId: cls.id, startsAt: '2026-05-01T07:00:00Z' }));
    expect((await call('POST', '/bookings', roles.member, { contactId: memberId, sessionId: session.id })).statusCode).toBe(201);
    expect(json(await call('GET', `/sessions/${session.id}`, roles.viewer))).toMatchObject({ booked: 1, capacity: 1, endsAt: '2026-05-01T08:00:00.000Z' });
    const other = json<{ items: { id: string }[] }>(await call('GET', '/contacts?q=name0', roles.viewer)).items[0]!;
    expect(expectProblem(await call('POST', '/bookings', roles.member, { contactId: other.id, sessionId: session.id }), 409).code).toBe('session_full');

    expect((await call('POST', '/check-ins', roles.member, { contactId: memberId })).statusCode).toBe(201);
    expect(json(await call('GET', `/contacts/${memberId}`, roles.viewer))).toMatchObject({ visits30d: 1 });

    const exported = await call('GET', '/export/contacts.csv', roles.viewer);
    expect(exported.statusCode).toBe(200);
    expect(exported.body.trim().split('\r\n')).toHaveLength(2001);
    expectProblem(await call('GET', `/contacts/${memberId}`, roles.stranger), 404);
  });
});
