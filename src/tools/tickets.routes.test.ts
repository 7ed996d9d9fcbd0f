import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedRoles, type TestApp } from '../../test/helpers/app.js';

interface Ticket {
  id: string;
  subject: string;
  status: string;
  priority: string;
  updatedAt: string;
}

describe('tickets routes', () => {
  let t: TestApp;
  let r: Awaited<ReturnType<typeof seedRoles>>;
  let urgent: string;
  let foreign: string;
  beforeAll(async () => {
    t = await createTestApp('postgres');
    r = await seedRoles(t.ctx);
    const tickets = t.ctx.services.tools.tickets;
    await tickets.create(r.owner.orgId, { subject: 'Printer jam' });
    urgent = (await tickets.create(r.owner.orgId, { subject: 'Site down', priority: 'urgent', requester: { email: 'ada@example.com' } })).id;
    foreign = (await tickets.create(r.stranger.orgId, { subject: 'Not yours' })).id;
  });
  afterAll(() => t.close());

  const patch = (headers: Record<string, string>, id: string, payload: object) => t.app.inject({ method: 'PATCH', url: `/api/v1/tickets/${id}`, headers, payload });

  it('lists and filters for viewers', async () => {
    const all = json<{ items: Ticket[]; total: number }>(await t.app.inject({ url: '/api/v1/tickets', headers: r.viewer.headers }));
    expect(all.total).toBe(2);
    expect(all.items.map((i) => i.subject)).toEqual(['Site down', 'Printer jam']);
    const urgentOnly = json<{ items: Ticket[] }>(await t.app.inject({ url: '/api/v1/tickets?priority=urgent&status=open', headers: r.viewer.headers }));
    expect(urgentOnly.items.map((i) => i.id)).toEqual([urgent]);
    expect(expectProblem(await t.app.inject({ url: '/api/v1/tickets?status=lost', headers: r.viewer.headers }), 400).errors![0]!.path).toBe('querystring.status');
    expectProblem(await t.app.inject({ url: '/api/v1/tickets' }), 401);
  });

  it('gets one; another org, unknown and malformed ids are 404', async () => {
    const one = await t.app.inject({ url: `/api/v1/tickets/${urgent}`, headers: r.viewer.headers });
    expect(json(one)).toMatchObject({ id: urgent, subject: 'Site down', status: 'open', priority: 'urgent', requester: { email: 'ada@example.com' } });
    expectProblem(await t.app.inject({ url: `/api/v1/tickets/${foreign}`, headers: r.owner.headers }), 404);
    expectProblem(await t.app.inject({ url: `/api/v1/tickets/${randomUUID()}`, headers: r.owner.headers }), 404);
    expectProblem(await t.app.inject({ url: '/api/v1/tickets/123', headers: r.owner.headers }), 404);
  });

  it('members change status and priority; viewers cannot', async () => {
    const before = json<Ticket>(await t.app.inject({ url: `/api/v1/tickets/${urgent}`, headers: r.member.headers }));
    const res = await patch(r.member.headers, urgent, { status: 'in_progress' });
    expect(res.statusCode).toBe(200);
    const after = json<Ticket>(res);
    expect(after).toMatchObject({ status: 'in_progress', priority: 'urgent' });
    expect(after.updatedAt > before.updatedAt).toBe(true);
    expect(json(await patch(r.member.headers, urgent, { status: 'resolved', priority: 'low' }))).toMatchObject({ status: 'resolved', priority: 'low' });
    expect(expectProblem(await patch(r.viewer.headers, urgent, { status: 'closed' }), 403).code).toBe('insufficient_role');
  });

  it('refuses bad changes with the field path, and other orgs with 404', async () => {
    expect(expectProblem(await patch(r.member.headers, urgent, { status: 'done' }), 400).errors![0]!.path).toBe('body.status');
    expect(expectProblem(await patch(r.member.headers, urgent, {}), 400).errors![0]!.path).toBe('body');
    expectProblem(await patch(r.owner.headers, foreign, { status: 'closed' }), 404);
    expectProblem(await patch(r.owner.headers, 'nope', { status: 'closed' }), 404);
    expect(json(await t.app.inject({ url: `/api/v1/tickets/${foreign}`, headers: r.stranger.headers }))).toMatchObject({ status: 'open' });
  });
});
