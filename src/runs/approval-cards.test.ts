import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestApp, json, seedMember, type Member, type TestApp } from '../../test/helpers/app.js';
import { startProviderStub, type ProviderStub } from '../../test/helpers/provider-stub.js';
import { startSmtpSink } from '../../test/helpers/smtp-sink.js';
import { defineTool } from '../tools/define.js';
import { notifications } from '../tools/schema.js';
import { approvals } from './schema.js';

interface ApprovalView {
  id: string;
  runId: string;
  status: string;
  toolName: string;
  args: unknown;
  description: string;
  agent: { id: string; name: string } | null;
  task: { id: string; title: string } | null;
  decidedBy: string | null;
  decider: { type: string; id: string; name: string } | null;
  comment: string | null;
  decidedAt: string | null;
}

/**
 * Approval cards people can act on: a call whose arguments the tool refuses never becomes an
 * approval; an approval names its agent, task and action, and who decided; the people who may
 * decide are told (notification; mail with SMTP_URL).
 */
describe('approvals', () => {
  let t: TestApp;
  let stub: ProviderStub;
  let sink: Awaited<ReturnType<typeof startSmtpSink>>;
  let owner: Member;
  let admin: Member;
  let member: Member;
  let viewer: Member;
  const effects: string[] = [];

  beforeAll(async () => {
    stub = await startProviderStub();
    sink = await startSmtpSink();
    t = await createTestApp('postgres', {
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: `${stub.url}/v1`,
      SMTP_URL: `smtp://127.0.0.1:${sink.port}`,
      SMTP_FROM: 'Troupe <troupe@example.com>',
      TROUPE_PUBLIC_URL: 'https://troupe.example.com',
    });
    owner = await seedMember(t.ctx, 'owner');
    [admin, member, viewer] = (await Promise.all((['admin', 'member', 'viewer'] as const).map((r) => seedMember(t.ctx, r, owner.orgId)))) as [Member, Member, Member];
    const common = { category: 'utility' as const, timeoutMs: 10_000, requiresApproval: true, idempotent: false };
    t.ctx.services.tools.register(
      defineTool({
        ...common,
        name: 'refund_order',
        description: 'Refunds an order (a person approves each)',
        grantRoles: ['member', 'admin', 'owner'],
        inputSchema: z.object({ orderId: z.string().regex(/^A-\d+$/), amountCents: z.number().int().positive() }),
        describe: (i) => `Refund ${(i.amountCents / 100).toFixed(2)} on order ${i.orderId}`,
        async execute(i) {
          effects.push(`refund:${i.orderId}`);
          return { refunded: true };
        },
      }),
    );
    t.ctx.services.tools.register(
      defineTool({
        ...common,
        name: 'wire_money',
        description: 'Wires money (admins decide)',
        grantRoles: ['admin', 'owner'],
        inputSchema: z.object({ iban: z.string(), apiToken: z.string().optional() }),
        async execute() {
          return { ok: true };
        },
      }),
    );
  }, 120_000);
  afterAll(async () => {
    await t?.close();
    await stub?.close();
    await sink?.close();
  });
  beforeEach(() => {
    stub.reset();
    sink.messages.length = 0;
  });

  async function agent(tools: string[], name = `Agent ${Math.random().toString(36).slice(2, 8)}`) {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: owner.headers, payload: { name, model: 'openai:gpt-4o-mini', tools } });
    if (res.statusCode !== 201) throw new Error(res.body);
    return json<{ id: string; name: string }>(res);
  }
  const execute = async (agentId: string) => {
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${agentId}/execute?wait=true`, headers: owner.headers, payload: { task: 'Do it' } });
    return json<{ id: string; status: string; output: string | null }>(res);
  };
  const approvalsOf = (runId: string) => t.ctx.database.system((tx) => tx.select().from(approvals).where(eq(approvals.runId, runId)));
  /** Mails about one agent's calls (a mail of an earlier test may arrive late). Quoted-printable wraps long lines: unwrapped here. */
  const mailsAbout = (agentName: string) =>
    sink.messages.map((m) => ({ ...m, data: m.data.replace(/=\r?\n/g, '') })).filter((m) => m.data.includes(`${agentName} wants to make a tool call`));
  const getApproval = async (who: Member, id: string) => t.app.inject({ method: 'GET', url: `/api/v1/approvals/${id}`, headers: who.headers });

  it('a call whose arguments the tool refuses goes back to the model, not to a person; a valid one waits for approval', { timeout: 60_000 }, async () => {
    const a = await agent(['refund_order']);
    stub.enqueue(
      { toolCalls: [{ id: 'call_bad', name: 'refund_order', args: { orderId: 'nope', amountCents: -5 } }] },
      { toolCalls: [{ id: 'call_good', name: 'refund_order', args: { orderId: 'A-17', amountCents: 1250 } }] },
    );
    const run = await execute(a.id);
    expect(run.status).toBe('waiting_approval');
    const rows = await approvalsOf(run.id);
    // Only the valid call asks a person.
    expect(rows.map((r) => r.toolCallId)).toEqual(['call_good']);
    // The model saw the tool's own validation error for the first call, as for any tool.
    const second = stub.requests[1]!.body.messages as { role: string; tool_call_id?: string; content: unknown }[];
    const toolReply = second.find((m) => m.role === 'tool' && m.tool_call_id === 'call_bad');
    expect(String(toolReply?.content)).toMatch(/invalid_arguments: Invalid arguments for refund_order: input\.orderId: .*input\.amountCents/);
    const steps = json<{ items: { toolCallId: string | null; status: string }[] }>(await t.app.inject({ method: 'GET', url: `/api/v1/runs/${run.id}/steps`, headers: owner.headers }));
    expect(steps.items.find((s) => s.toolCallId === 'call_bad')?.status).toBe('failed');
    expect(effects).toEqual([]);
  });

  it('names the agent, the task, the action; tells the people who may decide; and shows who decided', { timeout: 60_000 }, async () => {
    const a = await agent(['refund_order'], 'Refund clerk');
    const task = json<{ id: string }>(
      await t.app.inject({ method: 'POST', url: '/api/v1/tasks', headers: owner.headers, payload: { agentId: a.id, title: 'Refund the broken kettle', instructions: 'Refund it' } }),
    );
    stub.enqueue({ toolCalls: [{ id: 'call_r', name: 'refund_order', args: { orderId: 'A-42', amountCents: 1999 } }] }, { text: 'Refunded.' });
    const started = await t.app.inject({ method: 'POST', url: `/api/v1/tasks/${task.id}/execute`, headers: owner.headers });
    expect(started.statusCode).toBeLessThan(300);
    const runId = json<{ id: string; runId?: string }>(started).runId ?? json<{ id: string }>(started).id;
    await expect.poll(async () => (await approvalsOf(runId)).length, { timeout: 30_000 }).toBe(1);
    const [row] = await approvalsOf(runId);

    const list = json<{ items: ApprovalView[] }>(await t.app.inject({ method: 'GET', url: `/api/v1/approvals?status=pending&runId=${runId}`, headers: viewer.headers }));
    expect(list.items).toEqual([
      expect.objectContaining({
        id: row!.id,
        agent: { id: a.id, name: 'Refund clerk' },
        task: { id: task.id, title: 'Refund the broken kettle' },
        description: 'Refund 19.99 on order A-42',
        args: { orderId: 'A-42', amountCents: 1999 },
        decider: null,
      }),
    ]);

    // Members and up may decide refund_order: owner, admin and member are told, the viewer is not.
    await expect.poll(() => mailsAbout('Refund clerk').length, { timeout: 20_000 }).toBe(3);
    const told = await t.ctx.database.system((tx) => tx.select().from(notifications).where(and(eq(notifications.orgId, owner.orgId), eq(notifications.runId, runId))));
    expect(told.map((n) => n.userId).sort()).toEqual([owner.userId, admin.userId, member.userId].sort());
    expect(told[0]).toMatchObject({ title: 'Refund clerk asks to: Refund 19.99 on order A-42', level: 'warning', data: { approvalId: row!.id, path: `/approvals/${row!.id}` } });
    expect(mailsAbout('Refund clerk').flatMap((m) => m.to).sort()).toEqual([owner.email, admin.email, member.email].sort());
    const mail = mailsAbout('Refund clerk')[0]!.data;
    expect(mail).toContain(`https://troupe.example.com/approvals/${row!.id}`);
    expect(mail).toContain('Refund 19.99 on order A-42');
    // The member sees only their own notification.
    const mine = json<{ items: { title: string }[] }>(await t.app.inject({ method: 'GET', url: '/api/v1/notifications', headers: member.headers }));
    expect(mine.items.filter((n) => n.title.startsWith('Refund clerk asks to'))).toHaveLength(1);
    const theirs = json<{ items: { title: string }[] }>(await t.app.inject({ method: 'GET', url: '/api/v1/notifications', headers: viewer.headers }));
    expect(theirs.items.filter((n) => n.title.startsWith('Refund clerk asks to'))).toHaveLength(0);

    // The member decides; the card says who, when, and the note.
    const decided = await t.app.inject({ method: 'POST', url: `/api/v1/approvals/${row!.id}/approve`, headers: member.headers, payload: { comment: 'Customer has the receipt' } });
    expect(decided.statusCode).toBe(200);
    const memberName = member.email.split('@')[0]!;
    expect(json<ApprovalView>(decided)).toMatchObject({ status: 'approved', decider: { type: 'user', id: member.userId, name: memberName }, comment: 'Customer has the receipt' });
    const one = json<ApprovalView>(await getApproval(viewer, row!.id));
    expect(one).toMatchObject({ status: 'approved', decider: { type: 'user', name: memberName }, task: { title: 'Refund the broken kettle' } });
    expect(one.decidedAt).not.toBeNull();
    await expect.poll(async () => (await t.app.inject({ method: 'GET', url: `/api/v1/runs/${runId}`, headers: owner.headers })).json<{ status: string }>().status, { timeout: 30_000 }).toBe('succeeded');
    expect(effects).toContain('refund:A-42');
  });

  it('an API key’s decision names the key; only admins hear of an admin tool; the generic description hides secret-named arguments; another org gets 404', { timeout: 60_000 }, async () => {
    const a = await agent(['wire_money'], 'Treasurer');
    stub.enqueue({ toolCalls: [{ id: 'call_w', name: 'wire_money', args: { iban: 'DE89370400440532013000', apiToken: 'tok-very-secret' } }] }, { text: 'Sent.' });
    const run = await execute(a.id);
    expect(run.status).toBe('waiting_approval');
    const [row] = await approvalsOf(run.id);
    const view = json<ApprovalView>(await getApproval(owner, row!.id));
    expect(view.description).toBe('Call wire_money with: iban="DE89370400440532013000", apiToken=***');
    expect(view.task).toBeNull();

    await expect.poll(() => mailsAbout('Treasurer').length, { timeout: 20_000 }).toBe(2);
    expect(mailsAbout('Treasurer').flatMap((m) => m.to).sort()).toEqual([owner.email, admin.email].sort());
    expect(sink.messages.some((m) => m.data.includes('tok-very-secret'))).toBe(false);

    const key = json<{ key: string }>(await t.app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: owner.headers, payload: { name: 'Finance bot', role: 'admin' } }));
    const rejected = await t.app.inject({ method: 'POST', url: `/api/v1/approvals/${row!.id}/reject`, headers: { authorization: `Bearer ${key.key}`, 'x-org-id': owner.orgId }, payload: { comment: 'Not this week' } });
    expect(rejected.statusCode).toBe(200);
    expect(json<ApprovalView>(rejected)).toMatchObject({ status: 'rejected', decidedBy: null, decider: { type: 'api_key', name: 'Finance bot' }, comment: 'Not this week' });

    const stranger = await seedMember(t.ctx, 'owner');
    expect((await getApproval(stranger, row!.id)).statusCode).toBe(404);
    expect((await getApproval(owner, 'not-a-uuid')).statusCode).toBe(404);
  });
});
