import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedRoles, type Member, type TestApp } from '../../test/helpers/app.js';
import { fitnessSmsOutbox, fitnessSocialPosts } from '../packs/fitness/tools/schema.js';
import type { InboxCounts } from './dto.js';

// GET /inbox/counts through the real server: each count from its module's rows, per person and role, one organization.

let t: TestApp;
let r: Awaited<ReturnType<typeof seedRoles>>;

beforeAll(async () => {
  t = await createTestApp('postgres');
  r = await seedRoles(t.ctx);
});
afterAll(() => t.close());

const counts = async (who: Member) => {
  const res = await t.app.inject({ url: '/api/v1/inbox/counts', headers: who.headers });
  expect(res.statusCode, res.body).toBe(200);
  return json<InboxCounts>(res);
};

async function fill(orgId: string, viewerId: string) {
  const tools = t.ctx.services.tools;
  await tools.notifications.create(orgId, { title: 'For everyone' });
  await tools.notifications.create(orgId, { title: 'For the viewer', userId: viewerId });
  const read = await tools.notifications.create(orgId, { title: 'Read already' });
  const actor = { orgId, role: 'owner' as const, userId: null, apiKeyId: null };
  await tools.notifications.markRead(actor, read.id);
  const open = await tools.tickets.create(orgId, { subject: 'Locker broken' });
  await tools.tickets.create(orgId, { subject: 'Shower cold' });
  const working = await tools.tickets.create(orgId, { subject: 'Card declined' });
  const closed = await tools.tickets.create(orgId, { subject: 'Done' });
  await tools.tickets.update(actor, working.id, { status: 'in_progress' });
  await tools.tickets.update(actor, closed.id, { status: 'closed' });
  expect(open.status).toBe('open');
  await tools.followUps.create(orgId, { dueAt: new Date(Date.now() - 60_000), note: 'Call back Jane' });
  await tools.followUps.create(orgId, { dueAt: new Date(Date.now() + 86_400_000), note: 'Tomorrow' });
  await tools.outbox.record(orgId, { to: ['a@example.com'], subject: 'Kept', text: '', status: 'kept' });
  await tools.outbox.record(orgId, { to: ['a@example.com'], subject: 'Sent', text: '', status: 'sent' });
  await tools.outbox.record(orgId, { to: ['a@example.com'], subject: 'Failed', text: '', status: 'failed', error: 'refused' });
  await t.ctx.database.withOrg(orgId, async (tx) => {
    await tx.insert(fitnessSmsOutbox).values([
      { orgId, to: '+15550100', body: 'Hi', status: 'kept' },
      { orgId, to: '+15550101', body: 'Hi', status: 'kept' },
      { orgId, to: '+15550102', body: 'Hi', status: 'sent' },
    ]);
    await tx.insert(fitnessSocialPosts).values([
      { orgId, platform: 'instagram', content: 'New class!', scheduledFor: new Date(Date.now() + 3_600_000) },
      { orgId, platform: 'facebook', content: 'Old', scheduledFor: new Date(), status: 'published' },
    ]);
  });
}

describe('GET /inbox/counts', () => {
  it('counts nothing in an empty organization', async () => {
    expect(await counts(r.stranger)).toEqual({
      attention: 0,
      notifications: { unread: 0 },
      tickets: { open: 0, inProgress: 0 },
      followUps: { pending: 0, due: 0 },
      mail: { kept: 0, failed: 0 },
      sms: { kept: 0, failed: 0 },
      socialPosts: { scheduled: 0 },
    });
  });

  it("counts each module's records for the person asking; mail and SMS only for admins and owners", async () => {
    await fill(r.owner.orgId, r.viewer.userId);
    expect(await counts(r.owner)).toEqual({
      attention: 1 + 2,
      notifications: { unread: 1 },
      tickets: { open: 2, inProgress: 1 },
      followUps: { pending: 2, due: 1 },
      mail: { kept: 1, failed: 1 },
      sms: { kept: 2, failed: 0 },
      socialPosts: { scheduled: 1 },
    });
    expect((await counts(r.admin)).mail).toEqual({ kept: 1, failed: 1 });
    // The viewer also sees the notification addressed to them; neither outbox is theirs.
    const viewer = await counts(r.viewer);
    expect(viewer).toMatchObject({ attention: 2 + 2, notifications: { unread: 2 }, mail: null, sms: null, socialPosts: { scheduled: 1 } });
    expect((await counts(r.member)).mail).toBeNull();
    // Another organization's rows are not counted.
    expect((await counts(r.stranger)).attention).toBe(0);
  });

  it('goes down as people read notifications and close tickets', async () => {
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/notifications/read-all', headers: r.viewer.headers })).statusCode).toBe(200);
    const tickets = json<{ items: { id: string }[] }>(await t.app.inject({ url: '/api/v1/tickets?status=open', headers: r.member.headers }));
    const res = await t.app.inject({ method: 'PATCH', url: `/api/v1/tickets/${tickets.items[0]!.id}`, headers: r.member.headers, payload: { status: 'resolved' } });
    expect(res.statusCode, res.body).toBe(200);
    expect(await counts(r.viewer)).toMatchObject({ attention: 1, notifications: { unread: 0 }, tickets: { open: 1, inProgress: 1 } });
  });

  it('needs a signed-in member of the organization', async () => {
    expectProblem(await t.app.inject({ url: '/api/v1/inbox/counts' }), 401);
  });
});
