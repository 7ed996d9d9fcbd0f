import { describe, expect, it } from 'vitest';
import { json } from '../../../test/helpers/app.js';
import type { DbKind } from '../../../test/helpers/databases.js';
import { useWorkflowApi, type Run } from './runner.test-helpers.js';

/**
 * Workflow runs that wait, through the API (issue 15): approvals, delays, child runs (agents,
 * sub-workflows), the concurrency limit and cancel. On PostgreSQL and PGlite.
 */
describe.each(['postgres', 'pglite'] as DbKind[])('workflow runs that wait, on %s', (kind) => {
  const w = useWorkflowApi(kind);
  const { call, create, runToRest, until, nodes, byNode } = w;

  it('an approval node waits without a worker, shows in the approvals inbox, and the decision with form values goes on', async () => {
    const id = await create({
      name: 'Approve refund',
      graph: {
        nodes: [
          { id: 'start', type: 'trigger', config: { kind: 'manual' } },
          {
            id: 'ok',
            type: 'approval',
            config: { title: 'Refund {{ input.amount }} USD?', approverRole: 'admin', form: [{ name: 'reason', label: 'Reason', type: 'string', required: true }] },
          },
          { id: 'yes', type: 'transform', config: { value: 'refunded: {{ nodes.ok.output.values.reason }}' } },
          { id: 'no', type: 'transform', config: { value: 'kept' } },
        ],
        edges: [
          { source: 'start', target: 'ok' },
          { source: 'ok', target: 'yes', sourceHandle: 'approved' },
          { source: 'ok', target: 'no', sourceHandle: 'rejected' },
        ],
      },
    });
    const run = await runToRest(id, { amount: 40 });
    expect(run.status).toBe('waiting');
    const n = byNode(await nodes(run.id));
    expect(n.get('ok')!.status).toBe('waiting');
    const approvalId = n.get('ok')!.waitingOn!.approvalId!;
    const inbox = json<{ items: { id: string; workflow: { id: string; name: string } | null; args: { title: string } }[] }>(await call('GET', '/approvals?status=pending', w.roles.admin));
    const card = inbox.items.find((a) => a.id === approvalId)!;
    expect(card.workflow).toEqual({ id, name: 'Approve refund' });
    expect(card.args.title).toBe('Refund 40 USD?');
    // A member may not decide an admin's approval; a missing required field is named.
    expect((await call('POST', `/approvals/${approvalId}/approve`, w.roles.member, { values: { reason: 'x' } })).statusCode).toBe(403);
    const missing = await call('POST', `/approvals/${approvalId}/approve`, w.roles.admin, { values: {} });
    expect(missing.statusCode).toBe(400);
    expect(missing.body).toContain('body.values.reason');
    expect((await call('POST', `/approvals/${approvalId}/approve`, w.roles.admin, { values: { reason: 'damaged' } })).statusCode).toBe(200);
    const done = await until(run.id, (r) => r.status === 'succeeded' || r.status === 'failed');
    expect(done.status).toBe('succeeded');
    expect(done.result).toBe('refunded: damaged');
  });


  it("a sub-workflow runs as a child workflow run; past the node's timeoutSeconds it is given up (node_timeout) and canceled", async () => {
    const slow = await create({
      name: 'Slow child',
      graph: {
        nodes: [
          { id: 'start', type: 'trigger', config: { kind: 'manual' } },
          { id: 'wait', type: 'delay', config: { seconds: 60 } },
          { id: 'out', type: 'transform', config: { value: 'child {{ input.x }}' } },
        ],
        edges: [
          { source: 'start', target: 'wait' },
          { source: 'wait', target: 'out' },
        ],
      },
    });
    const quick = await create({
      name: 'Quick child',
      graph: { nodes: [{ id: 'start', type: 'trigger', config: { kind: 'manual' } }, { id: 'out', type: 'transform', config: { value: 'child {{ input.x }}' } }], edges: [{ source: 'start', target: 'out' }] },
    });
    const parent = (child: string, timeoutSeconds?: number) => ({
      name: 'Parent',
      graph: {
        nodes: [
          { id: 'start', type: 'trigger', config: { kind: 'manual' } },
          { id: 'sub', type: 'sub_workflow', ...(timeoutSeconds ? { timeoutSeconds } : {}), config: { workflowId: child, input: { x: '{{ input.x }}' } } },
        ],
        edges: [{ source: 'start', target: 'sub' }],
      },
    });
    const ok = json<Run>(await call('POST', `/workflows/${await create(parent(quick))}/run`, w.roles.admin, { input: { x: 7 } }));
    const okDone = await until(ok.id, (r) => r.status === 'succeeded' || r.status === 'failed');
    expect(okDone.result).toBe('child 7');
    const childId = byNode(await nodes(ok.id)).get('sub')!.childRunId!;
    expect(json<Run>(await call('GET', `/runs/${childId}`, w.roles.admin))).toMatchObject({ parentRunId: ok.id, workflowId: quick, status: 'succeeded' });

    const late = json<Run>(await call('POST', `/workflows/${await create(parent(slow, 1))}/run`, w.roles.admin, { input: { x: 1 } }));
    const lateDone = await until(late.id, (r) => r.status === 'failed');
    expect(lateDone.error!.code).toBe('node_timeout');
    const slowChild = byNode(await nodes(late.id)).get('sub')!.childRunId!;
    expect(json<Run>(await call('GET', `/runs/${slowChild}`, w.roles.admin)).status).toBe('canceled');
  });


  it('settings.maxConcurrentRuns: a run waits in the queue until a place is free, waits included', async () => {
    const id = await create({
      name: 'One at a time',
      settings: { maxConcurrentRuns: 1 },
      graph: {
        nodes: [
          { id: 'start', type: 'trigger', config: { kind: 'manual' } },
          { id: 'wait', type: 'delay', config: { seconds: 1 } },
          { id: 'after', type: 'transform', config: { value: 'done' } },
        ],
        edges: [
          { source: 'start', target: 'wait' },
          { source: 'wait', target: 'after' },
        ],
      },
    });
    const started = await Promise.all([1, 2].map(() => call('POST', `/workflows/${id}/run`, w.roles.admin, { input: {} }).then((r) => json<Run>(r))));
    const done = await Promise.all(started.map((r) => until(r.id, (x) => x.status === 'succeeded' || x.status === 'failed')));
    expect(done.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    // From its first node's start to its last node's end: one after the other, never both at once.
    const spans = await Promise.all(
      done.map(async (r) => {
        const items = await nodes(r.id);
        return { from: Math.min(...items.map((n) => Date.parse(n.startedAt))), to: Math.max(...items.map((n) => Date.parse(n.finishedAt!))) };
      }),
    );
    spans.sort((a, b) => a.from - b.from);
    expect(spans[1]!.from).toBeGreaterThanOrEqual(spans[0]!.to);
  });


  it('a delay parks the run and it goes on when the timer is due', async () => {
    const id = await create({
      name: 'Later',
      graph: {
        nodes: [
          { id: 'start', type: 'trigger', config: { kind: 'manual' } },
          { id: 'wait', type: 'delay', config: { seconds: 1 } },
          { id: 'after', type: 'transform', config: { value: 'woke' } },
        ],
        edges: [
          { source: 'start', target: 'wait' },
          { source: 'wait', target: 'after' },
        ],
      },
    });
    const run = await runToRest(id);
    expect(run.status).toBe('waiting');
    const done = await until(run.id, (r) => r.status === 'succeeded');
    expect(done.result).toBe('woke');
  });


  it('an agent node runs the agent as a child run (parentRunId, in /runs) and its answer is the output', async () => {
    const id = await create({
      name: 'Ask agent',
      graph: {
        nodes: [
          { id: 'start', type: 'trigger', config: { kind: 'manual' } },
          { id: 'write', type: 'agent', config: { agentId: w.agentId, task: 'Say hello to {{ input.name }}' } },
          { id: 'wrap', type: 'transform', config: { value: { text: '{{ nodes.write.output }}' } } },
        ],
        edges: [
          { source: 'start', target: 'write' },
          { source: 'write', target: 'wrap' },
        ],
      },
    });
    const started = json<Run>(await call('POST', `/workflows/${id}/run`, w.roles.admin, { input: { name: 'Ann' } }));
    const done = await until(started.id, (r) => r.status === 'succeeded' || r.status === 'failed');
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    const n = byNode(await nodes(done.id));
    const childId = n.get('write')!.childRunId!;
    const child = json<Run & { input: { task: string }; output: string }>(await call('GET', `/runs/${childId}`, w.roles.admin));
    expect(child.parentRunId).toBe(done.id);
    expect(child.agentId).toBe(w.agentId);
    expect(child.input.task).toBe('Say hello to Ann');
    expect(child.status).toBe('succeeded');
    expect(done.result).toEqual({ text: child.output });
    const children = json<{ items: { id: string }[] }>(await call('GET', `/runs?parentRunId=${done.id}`, w.roles.admin));
    expect(children.items.map((c) => c.id)).toEqual([childId]);
  });


  it("an agent node's agentVersion runs that version of the agent, not the current one", async () => {
    // Version 1 may use the clock tool (the offline rules model calls a tool the task names), version 2 may not.
    const agent = json<{ id: string }>(await call('POST', '/agents', w.roles.admin, { name: 'Pinned', model: 'openai:gpt-4o-mini', tools: ['current_time'] }));
    const patched = await call('PATCH', `/agents/${agent.id}`, w.roles.admin, { tools: [] });
    expect(patched.statusCode, patched.body).toBe(200);
    const agentNode = (id: string, agentVersion?: number) => ({ id, type: 'agent', config: { agentId: agent.id, task: 'Tell me the current_time', ...(agentVersion ? { agentVersion } : {}) } });
    const id = await create({
      name: 'Pinned agent',
      graph: {
        nodes: [{ id: 'start', type: 'trigger', config: { kind: 'manual' } }, agentNode('old', 1), agentNode('now')],
        edges: [
          { source: 'start', target: 'old' },
          { source: 'start', target: 'now' },
        ],
      },
    });
    const started = json<Run>(await call('POST', `/workflows/${id}/run`, w.roles.admin, { input: {} }));
    const done = await until(started.id, (r) => r.status === 'succeeded' || r.status === 'failed');
    expect(done.status, JSON.stringify(done.error)).toBe('succeeded');
    const n = byNode(await nodes(done.id));
    const child = async (runId: string) => {
      const run = json<{ agentVersion: number }>(await call('GET', `/runs/${runId}`, w.roles.admin));
      const steps = json<{ items: { kind: string; toolName: string | null }[] }>(await call('GET', `/runs/${runId}/steps`, w.roles.admin)).items;
      return { version: run.agentVersion, tools: steps.filter((s) => s.kind === 'tool_call').map((s) => s.toolName) };
    };
    expect(await child(n.get('old')!.childRunId!)).toEqual({ version: 1, tools: ['current_time'] });
    expect(await child(n.get('now')!.childRunId!)).toEqual({ version: 2, tools: [] });
  });


  it('cancel cascades from a waiting workflow run to its pending approval', async () => {
    const id = await create({
      name: 'Cancel me',
      graph: {
        nodes: [
          { id: 'start', type: 'trigger', config: { kind: 'manual' } },
          { id: 'ok', type: 'approval', config: { title: 'Go?' } },
        ],
        edges: [{ source: 'start', target: 'ok' }],
      },
    });
    const run = await runToRest(id);
    expect(run.status).toBe('waiting');
    const approvalId = byNode(await nodes(run.id)).get('ok')!.waitingOn!.approvalId!;
    expect((await call('POST', `/runs/${run.id}/cancel`, w.roles.admin)).statusCode).toBe(200);
    const after = json<Run>(await call('GET', `/runs/${run.id}`, w.roles.admin));
    expect(after.status).toBe('canceled');
    const approval = json<{ status: string }>(await call('GET', `/approvals/${approvalId}`, w.roles.admin));
    expect(approval.status).toBe('rejected');
  });
});
