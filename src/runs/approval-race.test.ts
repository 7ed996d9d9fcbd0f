import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestApp, json, seedMember, type Member, type TestApp } from '../../test/helpers/app.js';
import type { DbKind } from '../../test/helpers/databases.js';
import { modelsPort, scriptedModel, type Turn } from '../../test/helpers/scripted-model.js';
import { inProcessWorker } from '../../test/helpers/worker.js';
import type { Actor } from '../shared/roles.js';
import { RunRecovery } from '../dispatch/recovery.js';
import { defineTool } from '../tools/define.js';
import { RunExecutor } from './engine/executor.js';
import type { AuditPort } from './engine/ports.js';
import { approvals, runs } from './schema.js';
import { claimRun } from './claim.js';
import { RunWriter } from './store.js';

/**
 * A person's decision and the run's wait for it may reach the database in either order
 * (decision 40): the decision is consumed whenever the run reaches its wait, never lost.
 */
describe.each<DbKind>(['postgres', 'pglite'])('approvals decided while the run is being parked (%s)', (kind) => {
  let t: TestApp;
  let owner: Member;
  let actor: Actor;
  const effects: string[] = [];
  /** Called when the engine has written an approval and not yet parked its run (the seam). */
  let onApprovalRequested: ((approvalId: string) => Promise<void>) | null = null;

  beforeAll(async () => {
    t = await createTestApp(kind);
    owner = await seedMember(t.ctx, 'owner');
    actor = { orgId: owner.orgId, role: 'owner', userId: owner.userId, apiKeyId: null };
    t.ctx.services.tools.register(
      defineTool({
        name: 'pay_invoice',
        description: 'Pays an invoice (needs a person to approve)',
        category: 'utility',
        grantRoles: ['admin', 'owner'],
        timeoutMs: 60_000,
        inputSchema: z.object({ amount: z.number() }),
        requiresApproval: true,
        idempotent: false,
        async execute({ amount }) {
          effects.push(`pay:${amount}`);
          return { paid: amount };
        },
      }),
    );
  }, 120_000);
  afterAll(() => t?.close());

  /**
   * An executor with a scripted model whose audit port lets the test act at the moment the
   * engine has committed an approval (its audit entry comes next) but not yet parked the run.
   */
  function engine(turns: Turn[]) {
    const s = t.ctx.services;
    const audit: AuditPort = {
      async record(entry, tx) {
        await s.audit.record(entry, tx);
        if (entry.action === 'approval.requested' && onApprovalRequested) await onApprovalRequested(String(entry.details?.approvalId));
      },
    };
    const executor = new RunExecutor(
      { database: t.ctx.database, config: t.ctx.config, logger: t.ctx.logger, bus: s.runBus, agents: s.agents, models: modelsPort(scriptedModel(turns).model), tools: s.tools, billing: s.billing, audit, conversations: s.conversations },
      'race-worker',
    );
    const dispatcher = inProcessWorker(executor);
    s.runs.setDispatcher(dispatcher);
    return dispatcher;
  }

  async function agent() {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: owner.headers, payload: { name: `Payer ${Math.random()}`, model: 'openai:gpt-4o-mini', tools: ['pay_invoice'] } });
    if (res.statusCode !== 201) throw new Error(res.body);
    return json<{ id: string }>(res).id;
  }

  const approvalsOf = (runId: string) => t.ctx.database.system((tx) => tx.select().from(approvals).where(eq(approvals.runId, runId)));
  const runRow = async (runId: string) => (await t.ctx.database.system((tx) => tx.select().from(runs).where(eq(runs.id, runId))))[0]!;

  it('an approval decided between the approval row and the park: the run goes on and finishes', { timeout: 60_000 }, async () => {
    engine([{ toolCalls: [{ name: 'pay_invoice', args: { amount: 42 }, id: 'p1' }] }, { text: 'Paid.' }]);
    let decided: string | null = null;
    onApprovalRequested = async (approvalId) => {
      onApprovalRequested = null;
      // The approval is in the database; the run is still `running` (not yet parked), so decide
      // cannot requeue it, and its dispatch finds the run's job active.
      const [row] = await t.ctx.database.system((tx) => tx.select({ runId: approvals.runId }).from(approvals).where(eq(approvals.id, approvalId)));
      expect((await runRow(row!.runId)).status).toBe('running');
      await t.ctx.services.runs.decide(actor, approvalId, 'approved', 'go ahead');
      decided = approvalId;
    };
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${await agent()}/execute?wait=true`, headers: owner.headers, payload: { task: 'Pay invoice 42' } });
    const run = json<{ id: string; status: string }>(res);
    const done = await t.ctx.services.runs.waitForRest(actor, run.id, 20_000);
    expect(decided).not.toBeNull();
    expect(done).toMatchObject({ status: 'succeeded', output: 'Paid.' });
    expect(effects.filter((e) => e === 'pay:42')).toHaveLength(1);
    expect(await approvalsOf(run.id)).toMatchObject([{ id: decided, status: 'approved', comment: 'go ahead' }]);
    // The park was not written: the run went back to the queue and on, in the same job.
    const types = json<{ items: { type: string }[] }>(await t.app.inject({ url: `/api/v1/runs/${run.id}/events`, headers: owner.headers })).items.map((e) => e.type);
    expect(types).toContain('run.released');
    expect(types).not.toContain('run.waiting');
    expect(types.at(-1)).toBe('run.finished');
  });

  it('a rejection in the same window reaches the model as a denial', { timeout: 60_000 }, async () => {
    engine([{ toolCalls: [{ name: 'pay_invoice', args: { amount: 7 }, id: 'p2' }] }, { text: 'Not paid.' }]);
    onApprovalRequested = async (approvalId) => {
      onApprovalRequested = null;
      await t.ctx.services.runs.decide(actor, approvalId, 'rejected', 'no');
    };
    const run = json<{ id: string }>(await t.app.inject({ method: 'POST', url: `/api/v1/agents/${await agent()}/execute`, headers: owner.headers, payload: { task: 'Pay invoice 7' } }));
    expect(await t.ctx.services.runs.waitForRest(actor, run.id, 20_000)).toMatchObject({ status: 'succeeded', output: 'Not paid.' });
    expect(effects).not.toContain('pay:7');
  });

  it('the recovery sweep requeues a run left waiting with every approval decided, and it finishes', { timeout: 60_000 }, async () => {
    const dispatcher = engine([{ toolCalls: [{ name: 'pay_invoice', args: { amount: 5 }, id: 'p3' }] }, { text: 'Paid five.' }]);
    const run = json<{ id: string; status: string }>(await t.app.inject({ method: 'POST', url: `/api/v1/agents/${await agent()}/execute?wait=true`, headers: owner.headers, payload: { task: 'Pay invoice 5' } }));
    expect(run.status).toBe('waiting_approval');
    // Stranded as the code before decision 40 left it: the decision is in, the run still waits.
    await t.ctx.database.system((tx) => tx.update(approvals).set({ status: 'approved', decidedAt: sql`now()` }).where(eq(approvals.runId, run.id)));
    expect(await new RunRecovery(t.ctx.database, dispatcher, t.ctx.logger).sweep()).toBeGreaterThanOrEqual(1);
    expect(await t.ctx.services.runs.waitForRest(actor, run.id, 20_000)).toMatchObject({ status: 'succeeded', output: 'Paid five.' });
    expect(effects.filter((e) => e === 'pay:5')).toHaveLength(1);
  });

  /** A run held by a worker (claimed, lease ours) with one pending approval, as the engine leaves it just before the park. */
  async function heldWithApproval() {
    t.ctx.services.runs.setDispatcher({ dispatch() {} });
    const { run } = await t.ctx.services.runs.create(actor, await agent(), { task: 'Pay' }, { source: 'api' });
    const claim = await claimRun(t.ctx.database, owner.orgId, run.id, 'holder');
    const [approval] = await t.ctx.database.system((tx) =>
      tx.insert(approvals).values({ orgId: owner.orgId, runId: run.id, stepId: crypto.randomUUID(), toolName: 'pay_invoice', toolCallId: 'c', reason: 'requires_approval' }).returning(),
    );
    return { runId: run.id, claim: claim!, approvalId: approval!.id };
  }
  const park = (writer: RunWriter) =>
    writer.park({ events: [{ type: 'run.waiting', data: {} }], patch: { status: 'waiting_approval', stopReason: 'waiting_approval', release: true } }, { events: [{ type: 'run.released', data: { reason: 'approval_decided' } }], patch: { status: 'queued', release: true } });
  /** A transaction held open until `release()`: `ready` once `fn` ran in it. */
  function holdTransaction(orgId: string, fn: Parameters<TestApp['ctx']['database']['withOrg']>[1]) {
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let ready!: () => void;
    const isReady = new Promise<void>((r) => (ready = r));
    const done = t.ctx.database.withOrg(orgId, async (tx) => {
      await fn(tx);
      ready();
      await held;
    });
    return { ready: isReady, release, done };
  }
  const settledWithin = async (p: Promise<unknown>, ms: number) => Promise.race([p.then(() => true, () => true), new Promise((r) => setTimeout(() => r(false), ms))]);

  it.runIf(kind === 'postgres')('a decision committed while the park waits for the run row: the park requeues the run', { timeout: 30_000 }, async () => {
    const { runId, claim, approvalId } = await heldWithApproval();
    // decide's transaction, paused after its first two statements (run row locked, approval decided).
    const decide = holdTransaction(owner.orgId, async (tx) => {
      await tx.select({ id: runs.id }).from(runs).where(eq(runs.id, runId)).for('update');
      await tx.update(approvals).set({ status: 'approved' }).where(and(eq(approvals.id, approvalId), eq(approvals.status, 'pending')));
    });
    await decide.ready;
    const parked = park(new RunWriter(t.ctx.database, claim.lease, claim.lastSeq));
    expect(await settledWithin(parked, 300)).toBe(false);
    decide.release();
    await decide.done;
    expect(await parked).toMatchObject({ requeued: true });
    expect(await runRow(runId)).toMatchObject({ status: 'queued', leaseOwner: null });
  });

  it.runIf(kind === 'postgres')('a decision made while the park holds the run row waits for it, then requeues the parked run', { timeout: 30_000 }, async () => {
    const { runId, claim, approvalId } = await heldWithApproval();
    // The park's transaction, not yet committed (the engine's write; here held open).
    const parkTx = holdTransaction(owner.orgId, async (tx) => {
      const { lease } = claim;
      const wait = JSON.stringify({ patch: { status: 'waiting_approval', release: true } });
      const out = await t.ctx.database.call<{ requeued?: boolean }>('troupe_run_park', [lease.orgId, lease.runId, lease.generation, lease.ms, wait, JSON.stringify({ patch: { status: 'queued', release: true } })], tx);
      expect(out.requeued).toBeUndefined();
    });
    await parkTx.ready;
    const decided = t.ctx.services.runs.decide(actor, approvalId, 'approved', undefined);
    expect(await settledWithin(decided, 300)).toBe(false);
    parkTx.release();
    await parkTx.done;
    expect(await decided).toMatchObject({ status: 'approved' });
    expect(await runRow(runId)).toMatchObject({ status: 'queued' });
  });
});
