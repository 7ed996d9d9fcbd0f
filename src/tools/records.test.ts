import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, seedMember, type TestApp } from '../../test/helpers/app.js';
import { followUps, notifications, supportTickets } from './schema.js';
import { toolContext } from '../../test/helpers/tool-context.js';

describe('notify_staff, create_support_ticket, schedule_follow_up', () => {
  let t: TestApp;
  let orgId: string;
  let otherOrg: string;
  beforeAll(async () => {
    t = await createTestApp('postgres');
    orgId = (await seedMember(t.ctx)).orgId;
    otherOrg = (await seedMember(t.ctx)).orgId;
  });
  afterAll(() => t.close());

  const ctx = () => toolContext({ app: t.ctx, orgId });
  const exec = async (name: string, args: object, context = ctx()) => ({ res: await t.ctx.services.tools.execute(name, args, context), context });
  const idOf = (res: unknown) => (res as { output: { id: string } }).output.id;

  it('notify_staff writes a notification for everyone or for one user, in the calling org only', async () => {
    const { res, context } = await exec('notify_staff', { title: 'Refund over limit', body: 'Order 42', level: 'urgent' });
    expect(res).toMatchObject({ ok: true, output: { notified: 'everyone' } });
    const [row] = await t.ctx.database.withOrg(orgId, (tx) => tx.select().from(notifications).where(eq(notifications.id, idOf(res))));
    expect(row).toMatchObject({ orgId, userId: null, title: 'Refund over limit', body: 'Order 42', level: 'urgent', readAt: null, runId: context.runId });
    expect(row!.data).toEqual({ source: 'notify_staff', agentId: context.agentId, toolCallId: context.toolCallId });
    const foreign = await t.ctx.database.withOrg(otherOrg, (tx) => tx.select().from(notifications).where(eq(notifications.id, idOf(res))));
    expect(foreign).toEqual([]);

    const userId = randomUUID();
    const personal = await exec('notify_staff', { title: 'For you', userId });
    expect(personal.res).toMatchObject({ ok: true, output: { notified: 'user' } });
    expect(await exec('notify_staff', { title: 'x', level: 'panic' })).toMatchObject({ res: { ok: false, error: { issues: [{ path: 'input.level' }] } } });
  });

  it('create_support_ticket opens a ticket', async () => {
    const { res, context } = await exec('create_support_ticket', { subject: 'Cannot log in', description: 'Since Monday', requester: { name: 'Ada', email: 'ada@example.com' } });
    expect(res).toMatchObject({ ok: true, output: { status: 'open', priority: 'normal' } });
    const [row] = await t.ctx.database.withOrg(orgId, (tx) => tx.select().from(supportTickets).where(eq(supportTickets.id, idOf(res))));
    expect(row).toMatchObject({ status: 'open', priority: 'normal', subject: 'Cannot log in', requester: { name: 'Ada', email: 'ada@example.com' }, agentId: context.agentId, runId: context.runId });
    // The same tool call again (a retry after an interruption) opens no second ticket.
    const again = await exec('create_support_ticket', { subject: 'Cannot log in' }, context);
    expect(idOf(again.res)).toBe(idOf(res));
    const ofRun = await t.ctx.database.withOrg(orgId, (tx) => tx.select().from(supportTickets).where(eq(supportTickets.runId, context.runId)));
    expect(ofRun).toHaveLength(1);
    const otherCall = await exec('create_support_ticket', { subject: 'Cannot log in' }, { ...context, toolCallId: 'another-call' });
    expect(idOf(otherCall.res)).not.toBe(idOf(res));
    expect(await exec('create_support_ticket', { subject: '', requester: { email: 'nope' } })).toMatchObject({
      res: { ok: false, error: { code: 'invalid_arguments', issues: [{ path: 'input.subject' }, { path: 'input.requester.email' }] } },
    });
  });

  it('schedule_follow_up records a pending follow-up at dueAt or in N minutes', async () => {
    const started = Date.now();
    const { res } = await exec('schedule_follow_up', { inMinutes: 90, note: 'Call back about the invoice', contact: { phone: '+1 555 0100' } });
    expect(res).toMatchObject({ ok: true, output: { status: 'pending' } });
    const [row] = await t.ctx.database.withOrg(orgId, (tx) => tx.select().from(followUps).where(eq(followUps.id, idOf(res))));
    expect(row!.dueAt.getTime() - started).toBeGreaterThanOrEqual(90 * 60_000);
    expect(row!.dueAt.getTime() - Date.now()).toBeLessThanOrEqual(90 * 60_000);
    expect(row).toMatchObject({ note: 'Call back about the invoice', status: 'pending', contact: { phone: '+1 555 0100' } });

    const at = await exec('schedule_follow_up', { dueAt: '2031-03-01T09:00:00+01:00', note: 'Renewal' });
    expect(at.res).toMatchObject({ ok: true, output: { dueAt: '2031-03-01T08:00:00.000Z' } });
  });

  it('schedule_follow_up wants exactly one future time', async () => {
    const pathsOf = async (args: object) => {
      const { res } = await exec('schedule_follow_up', args);
      return res.ok ? [] : res.error.issues!.map((i) => `${i.path}: ${i.message}`);
    };
    expect(await pathsOf({ note: 'x' })).toEqual(['input.dueAt: give exactly one of dueAt or inMinutes']);
    expect(await pathsOf({ note: 'x', inMinutes: 5, dueAt: '2031-01-01T00:00:00Z' })).toEqual(['input.dueAt: give exactly one of dueAt or inMinutes']);
    expect(await pathsOf({ note: 'x', dueAt: '2001-01-01T00:00:00Z' })).toEqual(['input.dueAt: must be in the future']);
    expect(await pathsOf({ note: 'x', dueAt: 'next tuesday' })).toHaveLength(1);
    expect(await pathsOf({ note: 'x', inMinutes: 0 })).toHaveLength(1);
  });
});
