import { count, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type AppContext } from '../../src/app.js';
import { createAgentSchema } from '../../src/agents/dto.js';
import { loadConfig } from '../../src/config/load.js';
import { monthOf } from '../../src/billing/month.js';
import { runs, runSteps } from '../../src/runs/schema.js';
import type { Actor } from '../../src/shared/roles.js';
import { supportTickets } from '../../src/tools/schema.js';
import { TEST_SECRET_KEY, seedMember } from '../helpers/app.js';
import { createPgDatabase } from '../helpers/databases.js';
import { spawnScript, until } from './spawn.js';
import { startProviderStub, type ProviderStub } from '../helpers/provider-stub.js';

/**
 * Workflow runs under SIGKILL (issue 15): a worker process dies during an agent node's child run,
 * after a non-idempotent tool node; another process resumes both runs from their steps, and no
 * finished node runs again. A delay parked by a process that dies ends in the next one, and an
 * approval decided while no worker is alive is carried on by the next.
 */

const workerProcess = (env: Record<string, string>) => spawnScript('workflow-worker.ts', [], env);

describe('workflow runs under SIGKILL', () => {
  let stub: ProviderStub;
  let ctx: AppContext;
  let env: Record<string, string>;
  let drop: () => Promise<void>;
  let actor: Actor;

  beforeAll(async () => {
    stub = await startProviderStub();
    const db = await createPgDatabase();
    drop = db.drop;
    env = { DATABASE_URL: db.url, TROUPE_SECRET_KEY: TEST_SECRET_KEY, TROUPE_PRIVATE_MODEL_HOSTS: '127.0.0.1', TROUPE_RECOVER_EVERY_SECONDS: '1' };
    ctx = await createContext(loadConfig({ ...env, LOG_LEVEL: 'silent' }));
    // Runs are executed by the worker processes, not by this one.
    ctx.services.runs.setDispatcher({ dispatch() {} });
    const owner = await seedMember(ctx, 'owner');
    actor = { orgId: owner.orgId, role: 'owner', userId: owner.userId, apiKeyId: null };
    await ctx.services.models.putCredential(actor, 'openai', { apiKey: 'sk-test', baseUrl: `${stub.url}/v1` });
  });
  afterAll(async () => {
    await ctx?.close();
    await stub?.close();
    await drop?.();
  });

  const steps = (runId: string) => ctx.database.system((tx) => tx.select().from(runSteps).where(eq(runSteps.runId, runId)).orderBy(runSteps.seq));
  const runRow = async (runId: string) => (await ctx.database.system((tx) => tx.select().from(runs).where(eq(runs.id, runId))))[0]!;

  it('killed during an agent node, after a ticket tool node: resumes, the ticket exists once, only the unfinished call is made again', { timeout: 180_000 }, async () => {
    const agent = await ctx.services.agents.create(actor, createAgentSchema.parse({ name: 'Writer', model: 'openai:gpt-4o-mini' }));
    const workflow = await ctx.services.workflows.create(actor, {
      definition: {
        name: 'Ticket then reply',
        graph: {
          nodes: [
            { id: 'start', type: 'trigger', config: { kind: 'manual' } },
            { id: 'ticket', type: 'tool', config: { tool: 'create_support_ticket', args: { subject: 'Printer on fire', description: 'Floor {{ input.floor }}', priority: 'high' } } },
            { id: 'reply', type: 'agent', config: { agentId: agent.id, task: 'Tell {{ input.name }} about ticket {{ nodes.ticket.output.id }}' } },
            { id: 'done', type: 'transform', config: { value: { ticket: '{{ nodes.ticket.output.id }}', reply: '{{ nodes.reply.output }}' } } },
          ],
          edges: [
            { source: 'start', target: 'ticket' },
            { source: 'ticket', target: 'reply' },
            { source: 'reply', target: 'done' },
          ],
        },
      },
    });
    stub.enqueue({ text: 'never delivered', delayMs: 60_000 });
    const { run } = await ctx.services.workflows.start(actor, workflow.id, { name: 'Ann', floor: 3 });

    const first = workerProcess(env);
    await until(() => stub.requests.length >= 1).catch(async (err: unknown) => {
      throw new Error(`no model call: ${JSON.stringify(await runRow(run.id))} ${JSON.stringify(await steps(run.id))}`, { cause: err });
    });
    const childId = () => ctx.database.system((tx) => tx.select({ id: runs.id }).from(runs).where(eq(runs.parentRunId, run.id))).then((r) => r[0]?.id);
    await until(async () => {
      const c = await childId();
      return c !== undefined && (await steps(c)).some((s) => s.stepKey === 'model:1');
    });
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();

    const child = (await childId())!;
    expect((await steps(run.id)).map((s) => [s.stepKey, s.status])).toEqual([
      ['node:start', 'succeeded'],
      ['node:ticket', 'succeeded'],
      ['node:reply', 'waiting'],
    ]);
    expect((await runRow(run.id)).status).toBe('waiting');
    expect((await runRow(child)).status).toBe('running');

    // Restart: the dead worker's lease on the child lapses (simulated), a new process resumes.
    stub.reset();
    stub.enqueue({ text: 'Your ticket is filed, Ann.', usage: { input: 50, output: 8 } });
    await ctx.database.system((tx) => tx.update(runs).set({ leaseExpiresAt: sql`now() - interval '1 second'` }).where(eq(runs.id, child)));
    const second = workerProcess(env);
    try {
      await until(async () => (await runRow(run.id)).finishedAt !== null);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
    const final = await runRow(run.id);
    expect(final.status).toBe('succeeded');
    const ticketId = ((await steps(run.id)).find((s) => s.stepKey === 'node:ticket')!.output as { output: { id: string } }).output.id;
    expect(final.result).toEqual({ ticket: ticketId, reply: 'Your ticket is filed, Ann.' });
    expect((await steps(run.id)).map((s) => [s.stepKey, s.status, s.attempts])).toEqual([
      ['node:start', 'succeeded', 1],
      ['node:ticket', 'succeeded', 1],
      ['node:reply', 'succeeded', 1],
      ['node:done', 'succeeded', 1],
    ]);
    expect((await steps(child)).map((s) => [s.stepKey, s.status, s.attempts])).toEqual([['model:1', 'succeeded', 2]]);
    expect(stub.requests).toHaveLength(1);
    const [tickets] = await ctx.database.system((tx) => tx.select({ n: count() }).from(supportTickets).where(eq(supportTickets.orgId, actor.orgId)));
    expect(tickets!.n).toBe(1);
    // The child's cost is the parent's too, and its ledger row counts for the workflow.
    expect(final.billedMicros).toBe((await runRow(child)).billedMicros);
    const usage = await ctx.services.billing.usage(actor.orgId, monthOf(new Date()), 100);
    expect(usage.byWorkflow.find((w) => w.workflowId === workflow.id)).toMatchObject({ calls: 1 });
  });

  it('a delay parked by a process that dies ends in the next process, once due', { timeout: 120_000 }, async () => {
    const workflow = await ctx.services.workflows.create(actor, {
      definition: {
        name: 'Wait a bit',
        graph: {
          nodes: [
            { id: 'start', type: 'trigger', config: { kind: 'manual' } },
            { id: 'wait', type: 'delay', config: { seconds: 2 } },
            { id: 'after', type: 'transform', config: { value: 'woke' } },
          ],
          edges: [
            { source: 'start', target: 'wait' },
            { source: 'wait', target: 'after' },
          ],
        },
      },
    });
    const { run } = await ctx.services.workflows.start(actor, workflow.id, {});
    const first = workerProcess(env);
    await until(async () => (await runRow(run.id)).status === 'waiting');
    first.child.kill('SIGKILL');
    await first.exited;
    expect((await runRow(run.id)).wakeAt).not.toBeNull();
    const second = workerProcess(env);
    try {
      await until(async () => (await runRow(run.id)).finishedAt !== null, 30_000);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
    expect(await runRow(run.id)).toMatchObject({ status: 'succeeded', result: 'woke' });
    expect((await steps(run.id)).map((s) => [s.stepKey, s.status, s.attempts])).toEqual([
      ['node:start', 'succeeded', 1],
      ['node:wait', 'succeeded', 1],
      ['node:after', 'succeeded', 1],
    ]);
  });

  it('an approval decided while no worker is alive: the next process goes on from the decision', { timeout: 120_000 }, async () => {
    const workflow = await ctx.services.workflows.create(actor, {
      definition: {
        name: 'Ask first',
        graph: {
          nodes: [
            { id: 'start', type: 'trigger', config: { kind: 'manual' } },
            { id: 'ok', type: 'approval', config: { title: 'Refund {{ input.amount }}?', form: [{ name: 'note', label: 'Note', type: 'text' }] } },
            { id: 'after', type: 'transform', config: { value: '{{ nodes.ok.output.values.note }}' } },
          ],
          edges: [
            { source: 'start', target: 'ok' },
            { source: 'ok', target: 'after', sourceHandle: 'approved' },
          ],
        },
      },
    });
    const { run } = await ctx.services.workflows.start(actor, workflow.id, { amount: 40 });
    const first = workerProcess(env);
    await until(async () => (await runRow(run.id)).status === 'waiting');
    first.child.kill('SIGKILL');
    await first.exited;
    const [approval] = (await ctx.services.runs.listApprovals(actor, { status: 'pending', runId: run.id, limit: 10, offset: 0 } as never)).items;
    expect(approval).toBeDefined();
    await ctx.services.runs.decide(actor, approval!.id, 'approved', 'fine', { note: 'paid back' });
    const second = workerProcess(env);
    try {
      await until(async () => (await runRow(run.id)).finishedAt !== null, 30_000);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
    expect(await runRow(run.id)).toMatchObject({ status: 'succeeded', result: 'paid back' });
    expect((await steps(run.id)).map((s) => [s.stepKey, s.status, s.attempts])).toEqual([
      ['node:start', 'succeeded', 1],
      ['node:ok', 'succeeded', 1],
      ['node:after', 'succeeded', 1],
    ]);
  });
});
