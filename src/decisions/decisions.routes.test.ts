import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectProblem, json } from '../../test/helpers/app.js';
import { startReceiver, useDecisionApi, type Decision } from './decisions.test-helpers.js';

const answer = (a: Record<string, unknown>) => ({ text: JSON.stringify(a) });

describe.each(['postgres', 'pglite'] as const)('decisions on %s', (kind) => {
  const api = useDecisionApi(kind);
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  beforeAll(async () => {
    receiver = await startReceiver();
    await api.policy({ automationUrl: receiver.url, requireApprovalThreshold: 0.3 });
  });
  afterAll(() => receiver?.close());

  const sales = (confidence: number) =>
    answer({
      intent: 'SALES_INQUIRY',
      urgency: 3,
      confidence,
      reasoning: 'Asks for a quote.',
      actions: [
        { type: 'CREATE_TICKET', params: { subject: 'Quote for Ada', priority: 'normal' } },
        { type: 'TRIGGER_AUTOMATION', params: { event: 'intake_assigned' } },
      ],
    });

  it('executes a sure decision at once: each action once, the record complete', async () => {
    api.stub.reset();
    api.stub.enqueue(sales(0.9));
    const before = receiver.bodies.length;
    const d = await api.decide({ name: 'Ada', email: 'ada@example.com', message: 'Could I get a quote?' });
    expect(d.status, JSON.stringify(d)).toBe('executed');
    expect(d).toMatchObject({ source: 'model', intent: 'SALES_INQUIRY', confidence: 0.9, outcome: 'execute', decidedBy: { type: 'policy' } });
    expect(d.actionResults.map((r) => [r.type, r.status, r.tool])).toEqual([
      ['CREATE_TICKET', 'succeeded', 'create_support_ticket'],
      ['TRIGGER_AUTOMATION', 'succeeded', 'send_webhook'],
    ]);
    expect(receiver.bodies.length - before).toBe(1);
    expect(receiver.bodies.at(-1)).toMatchObject({ event: 'intake_assigned', decisionId: d.id, intent: 'SALES_INQUIRY' });
    // The prompt carried the input; the model's call had no tools (it proposes, the engine acts).
    expect(d.prompt).toContain('Could I get a quote?');
    expect(d.rawResponse).toContain('SALES_INQUIRY');
    const sent = api.stub.requests.at(-1)!.body;
    expect(sent.tools).toBeUndefined();
    const tickets = json<{ items: { subject: string }[] }>(await api.call('GET', '/tickets', api.roles.admin)).items.filter((x) => x.subject === 'Quote for Ada');
    expect(tickets.length).toBeGreaterThanOrEqual(1);
    // The run: a decision run with the model's child run.
    const run = json<{ source: string; status: string; agentId: string | null }>(await api.call('GET', `/runs/${d.id}`, api.roles.admin));
    expect(run).toMatchObject({ source: 'decision', status: 'succeeded', agentId: null });
    const nodes = json<{ items: { key: string; status: string }[] }>(await api.call('GET', `/runs/${d.id}/nodes`, api.roles.admin)).items.map((n) => `${n.key}:${n.status}`);
    expect(nodes).toEqual(['decide:succeeded', 'policy:succeeded', 'action_0_0:succeeded', 'action_1_0:succeeded']);
  });

  it('asks a person when unsure; approval with changed actions runs those, once', async () => {
    api.stub.reset();
    api.stub.enqueue(sales(0.4));
    const before = receiver.bodies.length;
    const d = await api.decide({ name: 'Bo', email: 'bo@example.com', message: 'maybe pricing?' });
    expect(d).toMatchObject({ status: 'awaiting_approval', outcome: 'ask', confidence: 0.4 });
    expect(d.outcomeReason).toContain('below the auto-execute threshold');
    expect(receiver.bodies.length).toBe(before);
    // In the approvals inbox too.
    const shown = await api.call('GET', `/approvals/${d.approvalId}`, api.roles.admin);
    const approval = json<{ toolName: string; status: string }>(shown);
    expect(shown.statusCode, shown.body).toBe(200);
    expect(approval).toMatchObject({ toolName: 'decision', status: 'pending' });
    // A viewer may not decide; a bad edit is a 400 naming the field; nothing is lost.
    expectProblem(await api.call('POST', `/decisions/${d.id}/approve`, api.roles.viewer, {}), 403);
    const bad = await api.call('POST', `/decisions/${d.id}/approve`, api.roles.member, { actions: [{ type: 'SEND_EMAIL', params: { to: 'not-an-email' } }] });
    expectProblem(bad, 400);
    expect(bad.body).toContain('actions');
    const ok = await api.call('POST', `/decisions/${d.id}/approve`, api.roles.member, { actions: [{ type: 'TRIGGER_AUTOMATION', params: { event: 'edited' } }], comment: 'only the hook' });
    expect(ok.statusCode, ok.body).toBe(200);
    const done = await api.until(d.id, (x) => x.status === 'executed' || x.status === 'failed');
    expect(done).toMatchObject({ status: 'executed', actionsEdited: true, decidedBy: { type: 'user', id: api.roles.member.userId } });
    expect(done.actionResults.map((r) => r.type)).toEqual(['TRIGGER_AUTOMATION']);
    expect(receiver.bodies.length - before).toBe(1);
    expect(receiver.bodies.at(-1)).toMatchObject({ event: 'edited' });
    // Deciding again: 409, nothing happens twice.
    expectProblem(await api.call('POST', `/decisions/${d.id}/approve`, api.roles.member, {}), 409);
    expect(receiver.bodies.length - before).toBe(1);
  });

  it('rejects below the approval threshold, and on a person’s no', async () => {
    api.stub.reset();
    api.stub.enqueue(sales(0.1));
    const low = await api.decide({ message: 'hm' });
    expect(low).toMatchObject({ status: 'rejected', outcome: 'reject', actionResults: [] });
    api.stub.enqueue(sales(0.5));
    const asked = await api.decide({ message: 'pricing?' });
    expect(asked.status).toBe('awaiting_approval');
    const res = await api.call('POST', `/decisions/${asked.id}/reject`, api.roles.member, { comment: 'spam' });
    expect(res.statusCode, res.body).toBe(200);
    const after = await api.until(asked.id, (x) => x.status === 'rejected');
    expect(after).toMatchObject({ comment: 'spam', actionResults: [] });
  });

  it('a canceled decision is closed with its run; its approval leaves the inbox', async () => {
    api.stub.reset();
    api.stub.enqueue(sales(0.6));
    const d = await api.decide({ message: 'pricing?' });
    expect(d.status).toBe('awaiting_approval');
    const res = await api.call('POST', `/runs/${d.id}/cancel`, api.roles.admin);
    expect(res.statusCode, res.body).toBe(200);
    const after = json<Decision>(await api.call('GET', `/decisions/${d.id}`, api.roles.admin));
    expect(after).toMatchObject({ status: 'canceled', error: { code: 'canceled' } });
    expect(json<{ status: string }>(await api.call('GET', `/approvals/${d.approvalId}`, api.roles.admin)).status).toBe('rejected');
    expectProblem(await api.call('POST', `/decisions/${d.id}/approve`, api.roles.admin, {}), 409);
  });

  it('asks the model again with the problem when the answer is invalid', async () => {
    api.stub.reset();
    api.stub.enqueue({ text: 'I think it is sales.' }, answer({ intent: 'SALES_INQUIRY', confidence: 2, actions: [] }), answer({ intent: 'SALES_INQUIRY', confidence: 0.95, actions: [{ type: 'NO_ACTION', params: {} }] }));
    const d = await api.decide({ message: 'quote please' });
    expect(d).toMatchObject({ status: 'executed', source: 'model', confidence: 0.95 });
    const prompts = api.stub.requests.map((r) => JSON.stringify(r.body));
    expect(prompts).toHaveLength(3);
    expect(prompts[1]).toContain('did not fit');
    expect(prompts[2]).toContain('confidence');
  });

  it('refuses actions the agent may not take (it lacks the tool), then the rules decide', async () => {
    api.stub.reset();
    const pipeline = answer({ intent: 'SALES_INQUIRY', confidence: 0.99, actions: [{ type: 'START_WORKFLOW', params: { workflowId: '00000000-0000-4000-8000-000000000000' } }] });
    api.stub.enqueue(pipeline, pipeline, pipeline);
    const d = await api.decide({ message: 'nothing matches this' });
    expect(d.source).toBe('rules');
    expect(d.modelError).toContain('not allowed: START_WORKFLOW');
    expect(d).toMatchObject({ intent: 'unclassified', status: 'awaiting_approval' });
  });

  it('falls back to the classification rules when the model is down', async () => {
    await api.call('POST', '/classification-rules', api.roles.admin, { label: 'SALES_INQUIRY', keywords: ['quote', 'pricing'] });
    await api.policy({
      decisionType: 'contact',
      automationUrl: receiver.url,
      rulesConfidence: 0.9,
      fallbackRules: [{ intent: 'SALES_INQUIRY', actions: [{ type: 'CREATE_TICKET', params: { subject: 'Rule: {{ event.name }}' } }] }],
    });
    api.stub.reset();
    api.stub.enqueue({ status: 503, text: 'overloaded' });
    const d = await api.decide({ name: 'Cy', message: 'A quote for 20 seats, urgent' }, { decisionType: 'contact' });
    expect(d).toMatchObject({ source: 'rules', intent: 'SALES_INQUIRY', confidence: 0.9, status: 'executed' });
    expect(d.modelError).toContain('failed');
    expect(d.actions).toEqual([{ type: 'CREATE_TICKET', params: { subject: 'Rule: Cy' } }]);
    expect(d.actionResults[0]).toMatchObject({ status: 'succeeded', tool: 'create_support_ticket' });
  });

  it('lists, filters and counts; another organization sees nothing', async () => {
    const list = json<{ items: Decision[]; total: number }>(await api.call('GET', '/decisions?status=executed', api.roles.viewer));
    expect(list.total).toBeGreaterThanOrEqual(3);
    expect(list.items.every((x) => x.status === 'executed')).toBe(true);
    const a = json<{ total: number; byIntent: { key: string; count: number }[]; confidenceHistogram: { count: number }[]; autoExecutionRate: number | null; approvalRate: number | null; editRate: number | null; bySource: Record<string, number>; byStatus: Record<string, number> }>(
      await api.call('GET', '/decisions/analytics', api.roles.viewer),
    );
    expect(a.total).toBeGreaterThan(list.total);
    expect(a.total).toBe(Object.values(a.byStatus).reduce((x, y) => x + y, 0));
    expect(a.byIntent.find((b) => b.key === 'SALES_INQUIRY')!.count).toBeGreaterThanOrEqual(4);
    expect(a.confidenceHistogram).toHaveLength(10);
    expect(a.confidenceHistogram[9]!.count).toBeGreaterThanOrEqual(2);
    expect(a.approvalRate).toBe(0.5);
    expect(a.editRate).toBe(1);
    expect(a.bySource.rules).toBeGreaterThanOrEqual(1);
    const id = list.items[0]!.id;
    expectProblem(await api.call('GET', `/decisions/${id}`, api.roles.stranger), 404);
    expectProblem(await api.call('POST', `/decisions/${id}/approve`, api.roles.stranger, {}), 404);
    expect(json<{ total: number }>(await api.call('GET', '/decisions', api.roles.stranger)).total).toBe(0);
    expectProblem(await api.call('POST', '/decisions', api.roles.stranger, { agentId: api.agentId, input: { type: 'x', data: {} } }), 404);
    expectProblem(await api.call('GET', '/decisions/not-a-uuid', api.roles.viewer), 404);
  });

  it('validates policies and inputs with clear 4xx', async () => {
    const bad = await api.call('POST', '/decision-policies', api.roles.admin, { agentId: api.agentId, decisionType: 'x', autoExecuteThreshold: 0.4, requireApprovalThreshold: 0.6 });
    expectProblem(bad, 400);
    expect(bad.body).toContain('requireApprovalThreshold');
    expectProblem(await api.call('POST', '/decision-policies', api.roles.admin, { agentId: api.agentId, decisionType: 'contact' }), 409);
    expectProblem(await api.call('POST', '/decision-policies', api.roles.member, { agentId: api.agentId, decisionType: 'y' }), 403);
    expectProblem(await api.call('POST', '/decision-policies', api.roles.admin, { agentId: '00000000-0000-4000-8000-000000000000' }), 400);
    expectProblem(await api.call('POST', '/decisions', api.roles.member, { agentId: api.agentId, input: { type: '' } }), 400);
    expectProblem(await api.call('POST', '/decisions', api.roles.viewer, { agentId: api.agentId, input: { type: 'x', data: {} } }), 403);
    const bulk = json<{ items: { ok: boolean; code?: string }[] }>(await api.call('POST', '/decisions/bulk', api.roles.member, { ids: ['00000000-0000-4000-8000-000000000000'], decision: 'approve' }));
    expect(bulk.items[0]).toMatchObject({ ok: false, code: 'not_found' });
  });
});
