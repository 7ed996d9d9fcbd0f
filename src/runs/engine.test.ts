import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { inProcessWorker, scriptedExecutor } from '../../test/helpers/worker.js';
import { createTestApp, json, seedMember, type Member, type TestApp } from '../../test/helpers/app.js';
import type { Turn } from '../../test/helpers/scripted-model.js';
import { ledgerEntries } from '../billing/schema.js';
import { defineTool } from '../tools/define.js';
import { notifications } from '../tools/schema.js';
import type { ToolService } from '../tools/service.js';
import { approvals, runEvents, runs, runSteps } from './schema.js';
import { claimRun } from './claim.js';
import { RunWriter } from './store.js';
import { LeaseLostError } from './errors.js';

/** Test tools registered beside the built-ins: one needing approval, two with visible side effects. */
function registerTestTools(registry: ToolService) {
  const effects: string[] = [];
  let hang: Promise<void> | null = null;
  const base = { category: 'utility' as const, grantRoles: ['admin', 'owner'] as const, timeoutMs: 60_000 };
  registry.register(
    defineTool({
      ...base,
      name: 'transfer_money',
      description: 'Moves money (needs a person to approve)',
      inputSchema: z.object({ amount: z.number() }),
      requiresApproval: true,
      idempotent: false,
      async execute({ amount }) {
        effects.push(`transfer:${amount}`);
        return { transferred: amount };
      },
    }),
  );
  for (const [name, idempotent] of [['record_effect', false], ['lookup', true]] as const) {
    registry.register(
      defineTool({
        ...base,
        name,
        description: `${name} (records a visible side effect)`,
        inputSchema: z.object({ label: z.string().optional(), key: z.string().optional() }),
        requiresApproval: false,
        idempotent,
        async execute(a) {
          effects.push(`${name}:${a.label ?? a.key}`);
          if (hang) await hang;
          return { recorded: a.label ?? a.key };
        },
      }),
    );
  }
  // Keys its effect by the tool call, as create_support_ticket does with a unique index.
  const keyed = new Set<string>();
  registry.register(
    defineTool({
      ...base,
      name: 'keyed_effect',
      description: 'keyed_effect (one effect per tool call)',
      inputSchema: z.object({ label: z.string() }),
      requiresApproval: false,
      idempotent: false,
      keyedByCall: true,
      async execute(a, ctx) {
        effects.push(`keyed_effect:${a.label}`);
        keyed.add(`${ctx.runId}:${ctx.toolCallId}`);
        if (hang) await hang;
        return { recorded: a.label };
      },
    }),
  );
  return {
    effects,
    keyed,
    /** Makes record_effect/lookup block until released (to stop a run between a tool's start and end). */
    hangUntil(p: Promise<void> | null) {
      hang = p;
    },
  };
}

describe('run engine', () => {
  let t: TestApp;
  let owner: Member;
  let tools: ReturnType<typeof registerTestTools>;

  beforeAll(async () => {
    t = await createTestApp('postgres');
    owner = await seedMember(t.ctx, 'owner');
    tools = registerTestTools(t.ctx.services.tools);
  });
  afterAll(() => t.close());

  /** An executor whose model is scripted; the RunService dispatches to it. */
  function engine(turns: Turn[], workerId = 'test-worker', leaseMs?: number) {
    const { script, executor } = scriptedExecutor(t.ctx, turns, workerId, leaseMs);
    const dispatcher = inProcessWorker(executor);
    t.ctx.services.runs.setDispatcher(dispatcher);
    return { script, executor, dispatcher };
  }

  async function agent(body: Record<string, unknown> = {}) {
    const res = await t.app.inject({
      method: 'POST',
      url: '/api/v1/agents',
      headers: owner.headers,
      payload: { name: `Agent ${Math.random()}`, model: 'openai:gpt-4o-mini', tools: ['calculator', 'record_effect', 'transfer_money', 'lookup', 'keyed_effect'], ...body },
    });
    if (res.statusCode !== 201) throw new Error(res.body);
    return json<{ id: string }>(res).id;
  }

  const execute = async (agentId: string, task = 'Do it', wait = true) => {
    const res = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${agentId}/execute${wait ? '?wait=true' : ''}`, headers: owner.headers, payload: { task } });
    return json<{ id: string; status: string; output: string | null; stopReason: string | null; error: { code: string } | null; billedMicros: number; costMicros: number; stepCount: number }>(res);
  };
  const stepsOf = (runId: string) => t.ctx.database.system((tx) => tx.select().from(runSteps).where(eq(runSteps.runId, runId)).orderBy(runSteps.seq));

  it('alternates model and tool calls, persisting each step, its cost and the events', async () => {
    const { script } = engine([{ toolCalls: [{ name: 'calculator', args: { expression: '2 + 3 * 4' }, id: 'c1' }], usage: { input: 1000, output: 50 } }, { text: 'The answer is 14.', usage: { input: 1200, output: 10, cached: 200 } }]);
    const id = await agent();
    const run = await execute(id, 'What is 2 + 3 * 4?');
    expect(run).toMatchObject({ status: 'succeeded', output: 'The answer is 14.', stopReason: 'completed', stepCount: 2 });
    const steps = await stepsOf(run.id);
    expect(steps.map((s) => [s.stepKey, s.kind, s.status])).toEqual([
      ['model:1', 'model_call', 'succeeded'],
      ['tool:1:c1', 'tool_call', 'succeeded'],
      ['model:2', 'model_call', 'succeeded'],
    ]);
    expect(steps[1]!.output).toMatchObject({ ok: true });
    expect(JSON.stringify(steps[1]!.output)).toContain('14');
    // The second call saw the tool result.
    expect(JSON.stringify(script.prompts[1])).toContain('tool-result');
    // One ledger row per model call; the run's totals are their sums.
    const ledger = await t.ctx.database.system((tx) => tx.select().from(ledgerEntries).where(eq(ledgerEntries.runId, run.id)));
    expect(ledger).toHaveLength(2);
    expect(ledger.reduce((a, l) => a + l.billedCostMicros, 0)).toBe(run.billedMicros);
    expect(run.costMicros).toBeGreaterThan(0);
    const events = await t.ctx.database.system((tx) => tx.select().from(runEvents).where(eq(runEvents.runId, run.id)).orderBy(runEvents.seq));
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events.map((e) => e.type)).toEqual(['run.started', 'step.started', 'step.finished', 'step.started', 'step.finished', 'step.started', 'step.finished', 'run.finished']);
  });

  it('a database connection lost mid-run hands the run back, and the retried job resumes it to success instead of failing it', async () => {
    const { script } = engine([{ toolCalls: [{ name: 'calculator', args: { expression: '6 * 7' }, id: 'c1' }] }, { text: 'It is 42.' }]);
    const id = await agent();
    // The write that records the tool step's end dies with its connection (pg_terminate_backend).
    const db = t.ctx.database;
    const real = db.call.bind(db);
    let failed = false;
    const spy = vi.spyOn(db, 'call').mockImplementation(async (fn, args, tx) => {
      if (!failed && /^troupe_runs?_write$/.test(fn) && JSON.stringify(args).includes('finish') && JSON.stringify(args).includes('tool:1:c1')) {
        failed = true;
        throw Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01', severity: 'FATAL' });
      }
      return real(fn, args, tx);
    });
    try {
      const res = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${id}/execute`, headers: owner.headers, payload: { task: 'Multiply' } });
      const runId = json<{ id: string }>(res).id;
      let run = json<{ status: string; output: string | null; error: unknown }>(await t.app.inject({ url: `/api/v1/runs/${runId}`, headers: owner.headers }));
      for (let i = 0; i < 200 && !['succeeded', 'failed'].includes(run.status); i++) {
        await new Promise((r) => setTimeout(r, 100));
        run = json(await t.app.inject({ url: `/api/v1/runs/${runId}`, headers: owner.headers }));
      }
      expect(failed).toBe(true);
      // Before: failed, with the query's text as its error.
      expect(run).toMatchObject({ status: 'succeeded', error: null });
      const [row] = await t.ctx.database.system((tx) => tx.select().from(runs).where(eq(runs.id, runId)));
      expect(row!.generation).toBe(2);
      const events = await t.ctx.database.system((tx) => tx.select().from(runEvents).where(eq(runEvents.runId, runId)));
      expect(events.filter((e) => e.type === 'run.started')).toHaveLength(2);
      // What the lost write carried is repeatable work (decision 16): the resumed run may repeat
      // that model call, never a finished side effect.
      expect(script.prompts.length).toBeGreaterThanOrEqual(2);
    } finally {
      spy.mockRestore();
    }
  });

  it('returns tool errors and disallowed tools to the model instead of failing the run', async () => {
    const { script } = engine([
      { toolCalls: [{ name: 'calculator', args: { expression: 42 }, id: 'bad' }, { name: 'send_email', args: { to: 'x@example.com' }, id: 'nope' }] },
      { text: 'Sorry, I could not.' },
    ]);
    const run = await execute(await agent({ tools: ['calculator'] }));
    expect(run.status).toBe('succeeded');
    const steps = await stepsOf(run.id);
    expect(steps.find((s) => s.stepKey === 'tool:1:bad')).toMatchObject({ status: 'failed', output: { ok: false, error: { code: 'invalid_arguments' } } });
    expect(steps.find((s) => s.stepKey === 'tool:1:nope')).toMatchObject({ status: 'failed', output: { ok: false, error: { code: 'not_allowed' } } });
    // One result per call reaches the model, also for the call of a tool the model was not given.
    const results = script.prompts[1]!.flatMap((m) => (m.role === 'tool' ? m.content : [])).map((p) => (p.type === 'tool-result' ? p.toolCallId : p.type));
    expect(results).toEqual(['bad', 'nope']);
  });

  it('pauses for approval, then continues: approved runs the tool, rejected tells the model', async () => {
    engine([{ toolCalls: [{ name: 'transfer_money', args: { amount: 5 }, id: 't1' }] }, { text: 'Transferred.' }, { toolCalls: [{ name: 'transfer_money', args: { amount: 7 }, id: 't2' }] }, { text: 'Not transferred.' }]);
    const id = await agent();
    const waiting = await execute(id);
    expect(waiting).toMatchObject({ status: 'waiting_approval', stopReason: 'waiting_approval' });
    expect(tools.effects).not.toContain('transfer:5');
    const inbox = json<{ items: { id: string; toolName: string; status: string }[] }>(await t.app.inject({ url: `/api/v1/approvals?status=pending&runId=${waiting.id}`, headers: owner.headers }));
    expect(inbox.items).toMatchObject([{ toolName: 'transfer_money', status: 'pending' }]);
    const member = await seedMember(t.ctx, 'member', owner.orgId);
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/approvals/${inbox.items[0]!.id}/approve`, headers: member.headers, payload: {} })).statusCode).toBe(403);
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/approvals/${inbox.items[0]!.id}/approve`, headers: owner.headers, payload: {} })).statusCode).toBe(200);
    const done = await t.ctx.services.runs.waitForRest({ orgId: owner.orgId, role: 'owner', userId: owner.userId, apiKeyId: null }, waiting.id, 10_000);
    expect(done).toMatchObject({ status: 'succeeded', output: 'Transferred.' });
    expect(tools.effects.filter((e) => e === 'transfer:5')).toHaveLength(1);

    const second = await execute(id);
    const [pending] = json<{ items: { id: string }[] }>(await t.app.inject({ url: `/api/v1/approvals?status=pending&runId=${second.id}`, headers: owner.headers })).items;
    await t.app.inject({ method: 'POST', url: `/api/v1/approvals/${pending!.id}/reject`, headers: owner.headers, payload: { comment: 'not today' } });
    const after = await t.ctx.services.runs.waitForRest({ orgId: owner.orgId, role: 'owner', userId: owner.userId, apiKeyId: null }, second.id, 10_000);
    expect(after).toMatchObject({ status: 'succeeded', output: 'Not transferred.' });
    expect(tools.effects).not.toContain('transfer:7');
    const rejected = (await stepsOf(second.id)).find((s) => s.stepKey === 'tool:1:t2');
    expect(rejected).toMatchObject({ status: 'rejected', output: { denied: true, reason: 'Rejected by a person: not today' } });
    const decided = await t.app.inject({ method: 'POST', url: `/api/v1/approvals/${pending!.id}/approve`, headers: owner.headers, payload: {} });
    expect(decided.statusCode).toBe(409);
  });

  it("asks for approval for a tool the agent's approvalTools name, though the tool itself does not", async () => {
    engine([{ toolCalls: [{ name: 'record_effect', args: { label: 'gated' }, id: 'g1' }] }, { text: 'Recorded.' }]);
    const waiting = await execute(await agent({ approvalTools: ['record_effect'] }));
    expect(waiting).toMatchObject({ status: 'waiting_approval' });
    expect(tools.effects).not.toContain('record_effect:gated');
    const [pending] = json<{ items: { id: string; toolName: string }[] }>(await t.app.inject({ url: `/api/v1/approvals?status=pending&runId=${waiting.id}`, headers: owner.headers })).items;
    expect(pending).toMatchObject({ toolName: 'record_effect' });
    await t.app.inject({ method: 'POST', url: `/api/v1/approvals/${pending!.id}/approve`, headers: owner.headers, payload: {} });
    const done = await t.ctx.services.runs.waitForRest({ orgId: owner.orgId, role: 'owner', userId: owner.userId, apiKeyId: null }, waiting.id, 10_000);
    expect(done).toMatchObject({ status: 'succeeded', output: 'Recorded.' });
    expect(tools.effects.filter((e) => e === 'record_effect:gated')).toHaveLength(1);
  });

  it('canceling a run that waits for approval takes its tool call out of the inbox', async () => {
    engine([{ toolCalls: [{ name: 'transfer_money', args: { amount: 9 }, id: 't9' }] }]);
    const waiting = await execute(await agent());
    expect(waiting.status).toBe('waiting_approval');
    const canceled = await t.app.inject({ method: 'POST', url: `/api/v1/runs/${waiting.id}/cancel`, headers: owner.headers });
    expect(json<{ status: string }>(canceled)).toMatchObject({ status: 'canceled' });
    const inbox = json<{ items: unknown[] }>(await t.app.inject({ url: `/api/v1/approvals?status=pending&runId=${waiting.id}`, headers: owner.headers }));
    expect(inbox.items).toEqual([]);
    const all = json<{ items: unknown[] }>(await t.app.inject({ url: `/api/v1/approvals?runId=${waiting.id}`, headers: owner.headers }));
    expect(all.items).toMatchObject([{ status: 'rejected', comment: 'The run was canceled', decidedBy: owner.userId }]);
    expect(tools.effects).not.toContain('transfer:9');
  });

  it('resumes an interrupted run without repeating finished model or tool calls', async () => {
    let release!: () => void;
    tools.hangUntil(new Promise<void>((r) => (release = r)));
    const first = engine([
      { toolCalls: [{ name: 'lookup', args: { key: 'a' }, id: 'l1' }] },
      { toolCalls: [{ name: 'lookup', args: { key: 'b' }, id: 'l2' }] },
      { text: 'All looked up.' },
    ]);
    const id = await agent();
    const queued = await execute(id, 'look things up', false);
    // Wait until the first lookup is in flight and recorded as started (the records of repeatable
    // work are held up to HOLD_MS for the next write), then "lose" this worker: its lease expires.
    const recorded = async () => (await stepsOf(queued.id)).map((s) => `${s.stepKey}:${s.status}`).join(',') === 'model:1:succeeded,tool:1:l1:started';
    for (let i = 0; i < 100 && !(tools.effects.includes('lookup:a') && (await recorded())); i++) await new Promise((r) => setTimeout(r, 20));
    await t.ctx.database.system((tx) => tx.update(runs).set({ leaseExpiresAt: sql`now() - interval '1 second'` }).where(eq(runs.id, queued.id)));
    tools.hangUntil(null);
    // A second worker takes over; its script continues where the first left off.
    const second = engine([{ toolCalls: [{ name: 'lookup', args: { key: 'b' }, id: 'l2' }] }, { text: 'All looked up.' }], 'worker-2');
    await second.executor.execute(owner.orgId, queued.id);
    release();
    await new Promise((r) => setTimeout(r, 200));
    const run = await t.ctx.services.runs.get({ orgId: owner.orgId, role: 'owner', userId: owner.userId, apiKeyId: null }, queued.id);
    expect(run).toMatchObject({ status: 'succeeded', output: 'All looked up.' });
    // model:1 ran once (on the first worker); the idempotent lookup 'a' was retried once after the
    // takeover. The first worker, fenced off at its next write, made at most the one call that went
    // out with that write, and used nothing from it.
    expect(first.script.calls).toBeLessThanOrEqual(2);
    expect(second.script.calls).toBe(2);
    const steps = await stepsOf(run.id);
    expect(steps.map((s) => s.stepKey)).toEqual(['model:1', 'tool:1:l1', 'model:2', 'tool:2:l2', 'model:3']);
    expect(steps.find((s) => s.stepKey === 'tool:1:l1')!.attempts).toBe(2);
    // The first worker, resuming after its hang, was fenced off: it wrote nothing more.
    const ledger = await t.ctx.database.system((tx) => tx.select().from(ledgerEntries).where(eq(ledgerEntries.runId, run.id)));
    expect(ledger).toHaveLength(3);
  });

  it('keeps its lease through a call longer than the lease, so no other worker takes the run over', async () => {
    const first = engine([{ text: 'Slow but sure.', delayMs: 2500 }], 'slow-worker', 1000);
    const queued = await execute(await agent(), 'take your time', false);
    await new Promise((r) => setTimeout(r, 1600));
    // Past the 1 s lease: without the heartbeat this claim would succeed and call the model again.
    const second = engine([{ text: 'Second worker answered.' }], 'eager-worker', 1000);
    await second.executor.execute(owner.orgId, queued.id);
    const actor = { orgId: owner.orgId, role: 'owner' as const, userId: owner.userId, apiKeyId: null };
    const done = await t.ctx.services.runs.waitForRest(actor, queued.id, 10_000);
    expect(done).toMatchObject({ status: 'succeeded', output: 'Slow but sure.' });
    expect(first.script.calls).toBe(1);
    expect(second.script.calls).toBe(0);
    const [row] = await t.ctx.database.system((tx) => tx.select().from(runs).where(eq(runs.id, queued.id)));
    expect(row!.generation).toBe(1);
  });

  it('asks a person before repeating a non-idempotent call that may have half-run', async () => {
    let release!: () => void;
    tools.hangUntil(new Promise<void>((r) => (release = r)));
    engine([{ toolCalls: [{ name: 'record_effect', args: { label: 'charge' }, id: 'e1' }] }]);
    const queued = await execute(await agent(), 'charge once', false);
    for (let i = 0; i < 100 && !tools.effects.includes('record_effect:charge'); i++) await new Promise((r) => setTimeout(r, 20));
    await t.ctx.database.system((tx) => tx.update(runs).set({ leaseExpiresAt: sql`now() - interval '1 second'` }).where(eq(runs.id, queued.id)));
    tools.hangUntil(null);
    const second = engine([{ text: 'Charged.' }], 'worker-3');
    await second.executor.execute(owner.orgId, queued.id);
    release();
    const actor = { orgId: owner.orgId, role: 'owner' as const, userId: owner.userId, apiKeyId: null };
    expect(await t.ctx.services.runs.get(actor, queued.id)).toMatchObject({ status: 'waiting_approval' });
    const [approval] = await t.ctx.database.system((tx) => tx.select().from(approvals).where(and(eq(approvals.runId, queued.id))));
    expect(approval).toMatchObject({ reason: 'interrupted', toolName: 'record_effect', status: 'pending' });
    expect(tools.effects.filter((e) => e === 'record_effect:charge')).toHaveLength(1);
  });

  it('makes a call keyed by its id again after an interruption, without asking anyone', async () => {
    let release!: () => void;
    tools.hangUntil(new Promise<void>((r) => (release = r)));
    engine([{ toolCalls: [{ name: 'keyed_effect', args: { label: 'ticket' }, id: 'k1' }] }]);
    const queued = await execute(await agent(), 'open one ticket', false);
    // The call is recorded as started (durably, with the model's answer) before it runs.
    for (let i = 0; i < 100 && !tools.effects.includes('keyed_effect:ticket'); i++) await new Promise((r) => setTimeout(r, 20));
    expect((await stepsOf(queued.id)).map((s) => `${s.stepKey}:${s.status}`)).toEqual(['model:1:succeeded', 'tool:1:k1:started']);
    await t.ctx.database.system((tx) => tx.update(runs).set({ leaseExpiresAt: sql`now() - interval '1 second'` }).where(eq(runs.id, queued.id)));
    tools.hangUntil(null);
    const second = engine([{ text: 'Ticket opened.' }], 'worker-4');
    await second.executor.execute(owner.orgId, queued.id);
    release();
    const actor = { orgId: owner.orgId, role: 'owner' as const, userId: owner.userId, apiKeyId: null };
    expect(await t.ctx.services.runs.get(actor, queued.id)).toMatchObject({ status: 'succeeded', output: 'Ticket opened.' });
    expect(await t.ctx.database.system((tx) => tx.select().from(approvals).where(eq(approvals.runId, queued.id)))).toEqual([]);
    // Called twice, with the same key both times: one effect.
    expect(tools.effects.filter((e) => e === 'keyed_effect:ticket')).toHaveLength(2);
    expect([...tools.keyed].filter((k) => k.startsWith(queued.id))).toEqual([`${queued.id}:k1`]);
    expect((await stepsOf(queued.id)).find((s) => s.stepKey === 'tool:1:k1')).toMatchObject({ status: 'succeeded', attempts: 2 });
  });

  it('streams tokens only when someone follows the run; otherwise makes plain calls', async () => {
    const id = await agent();
    const quiet = engine([{ text: 'Plain answer.' }]);
    expect(await execute(id, 'answer', true)).toMatchObject({ status: 'succeeded', output: 'Plain answer.' });
    expect(quiet.script.modes).toEqual(['generate']);

    const followed = engine([{ text: 'Streamed answer, token by token.' }]);
    t.ctx.services.runs.setDispatcher({ dispatch() {} }); // executed below, once someone follows it
    const queued = await execute(id, 'answer', false);
    const deltas: string[] = [];
    const off = t.ctx.services.runBus.subscribe(queued.id, (e) => e.type === 'text.delta' && deltas.push(String(e.data.text)));
    await followed.executor.execute(owner.orgId, queued.id);
    off();
    expect(followed.script.modes).toEqual(['stream']);
    expect(deltas.join('')).toBe('Streamed answer, token by token.');
  });

  it('writes in order, merging writes sent while one is in flight, and stops a fenced-off writer', async () => {
    engine([]);
    t.ctx.services.runs.setDispatcher({ dispatch() {} });
    const queued = await execute(await agent(), 'hold', false);
    const claim = (await claimRun(t.ctx.database, owner.orgId, queued.id, 'writer-test'))!;
    let calls = 0;
    const counting = { ...t.ctx.database, call: (...a: Parameters<typeof t.ctx.database.call>) => (calls++, t.ctx.database.call(...a)) } as typeof t.ctx.database;
    const seen: number[] = [];
    const writer = new RunWriter(counting, claim.lease, claim.lastSeq, (r) => seen.push(...r.events.map((e) => e.seq!)));
    const ev = (n: number) => ({ events: [{ type: 'test.event', data: { n } }] });
    void writer.send(ev(1));
    void writer.send(ev(2), { hold: true });
    void writer.send(ev(3), { hold: true });
    await writer.commit(ev(4));
    // The first went alone; the three sent while it was in flight went as one call.
    expect(calls).toBe(2);
    expect(seen).toEqual([claim.lastSeq + 1, claim.lastSeq + 2, claim.lastSeq + 3, claim.lastSeq + 4]);
    const stored = await t.ctx.database.system((tx) => tx.select().from(runEvents).where(and(eq(runEvents.runId, queued.id), eq(runEvents.type, 'test.event'))).orderBy(runEvents.seq));
    expect(stored.map((e) => e.data.n)).toEqual([1, 2, 3, 4]);

    // Another worker takes the run over: this writer's next write is refused and so is every later one.
    await t.ctx.database.system((tx) => tx.update(runs).set({ generation: sql`${runs.generation} + 1` }).where(eq(runs.id, queued.id)));
    await expect(writer.commit(ev(5))).rejects.toBeInstanceOf(LeaseLostError);
    expect(() => writer.check()).toThrow(LeaseLostError);
    await expect(writer.commit(ev(6))).rejects.toBeInstanceOf(LeaseLostError);
    const after = await t.ctx.database.system((tx) => tx.select().from(runEvents).where(and(eq(runEvents.runId, queued.id), eq(runEvents.type, 'test.event'))));
    expect(after).toHaveLength(4);
  });

  it('stops at the step limit, on timeout, on cancel and at the budget, with the reason stored', async () => {
    engine([{ toolCalls: [{ name: 'lookup', args: { key: 'x' } }] }, { toolCalls: [{ name: 'lookup', args: { key: 'y' } }] }, { toolCalls: [{ name: 'lookup', args: { key: 'z' } }] }]);
    const limited = await execute(await agent({ limits: { maxSteps: 2 } }));
    expect(limited).toMatchObject({ status: 'failed', stopReason: 'max_steps', error: { code: 'max_steps_exceeded' } });

    engine([{ text: 'slow', delayMs: 5000 }]);
    const slow = await execute(await agent({ limits: { timeoutSeconds: 1 } }));
    expect(slow).toMatchObject({ status: 'failed', stopReason: 'timeout', error: { code: 'timeout' } });

    engine([{ text: 'slow', delayMs: 10_000 }]);
    const queued = await execute(await agent(), 'wait', false);
    await new Promise((r) => setTimeout(r, 300));
    const canceled = await t.app.inject({ method: 'POST', url: `/api/v1/runs/${queued.id}/cancel`, headers: owner.headers });
    expect(canceled.statusCode).toBe(200);
    const actor = { orgId: owner.orgId, role: 'owner' as const, userId: owner.userId, apiKeyId: null };
    expect(await t.ctx.services.runs.waitForRest(actor, queued.id, 5000)).toMatchObject({ status: 'canceled', stopReason: 'canceled' });
    expect((await t.app.inject({ method: 'POST', url: `/api/v1/runs/${queued.id}/cancel`, headers: owner.headers })).statusCode).toBe(409);

    engine([{ toolCalls: [{ name: 'lookup', args: { key: 'q' } }], usage: { input: 1_000_000, output: 0 } }, { text: 'never' }]);
    const budgeted = await execute(await agent({ limits: { monthlyBudgetMicros: 100_000 } }));
    expect(budgeted).toMatchObject({ status: 'failed', stopReason: 'budget_exceeded', error: { code: 'budget_exceeded' } });
    // The refusal commits the alert it raised (an urgent notification), but no step for the refused call.
    const alerts = await t.ctx.database.system((tx) => tx.select().from(notifications).where(and(eq(notifications.orgId, owner.orgId), eq(notifications.level, 'urgent'))));
    expect(alerts.length).toBeGreaterThanOrEqual(1);
    expect((await stepsOf(budgeted.id)).map((s) => s.stepKey)).toEqual(['model:1', 'tool:1:call_1_0']);
  });
});
