import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type AppContext } from '../../src/app.js';
import { createAgentSchema } from '../../src/agents/dto.js';
import type { Actor } from '../../src/shared/roles.js';
import { loadConfig } from '../../src/config/load.js';
import { approvals, runs, runSteps } from '../../src/runs/schema.js';
import { TEST_SECRET_KEY, seedMember } from '../helpers/app.js';
import { createPgDatabase } from '../helpers/databases.js';
import { spawnScript, until } from './spawn.js';
import { startProviderStub, type ProviderStub } from '../helpers/provider-stub.js';


/** One worker process executing one run (test/crash/worker.ts). */
const worker = (env: Record<string, string>, orgId: string, runId: string) => spawnScript('worker.ts', [orgId, runId], env);


interface Delivery {
  id: string;
  signature: string | undefined;
  body: string;
}

describe('send_webhook interrupted by a worker crash', () => {
  let stub: ProviderStub;
  let ctx: AppContext;
  let env: Record<string, string>;
  let drop: () => Promise<void>;
  let receiver: http.Server;
  let hookUrl: string;
  const deliveries: Delivery[] = [];

  beforeAll(async () => {
    stub = await startProviderStub();
    // The receiver takes the first delivery of each call and never answers it (the worker dies
    // meanwhile); later ones are answered at once.
    receiver = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        const id = String(req.headers['x-troupe-delivery']);
        const first = !deliveries.some((d) => d.id === id);
        deliveries.push({ id, signature: req.headers['x-troupe-signature'] as string | undefined, body });
        if (!first) res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    hookUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
    const db = await createPgDatabase();
    drop = db.drop;
    env = { DATABASE_URL: db.url, TROUPE_SECRET_KEY: TEST_SECRET_KEY, OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: `${stub.url}/v1` };
    ctx = await createContext(loadConfig({ ...env, LOG_LEVEL: 'silent' }));
    // Runs are executed by the worker processes below, not by this one.
    ctx.services.runs.setDispatcher({ dispatch() {} });
  });
  afterAll(async () => {
    receiver?.closeAllConnections();
    receiver?.close();
    await ctx?.close();
    await stub?.close();
    await drop?.();
  });

  /** A run whose send_webhook call is under way when its worker is killed; answers the run's id. */
  async function crashDuringDelivery(retryOnCrash: boolean, callId: string): Promise<{ orgId: string; runId: string }> {
    const owner = await seedMember(ctx, 'owner');
    const actor: Actor = { orgId: owner.orgId, role: 'owner', userId: owner.userId, apiKeyId: null };
    await ctx.services.tools.settings.update(actor, { httpAllowlist: ['127.0.0.1'], webhookRetryOnCrash: retryOnCrash });
    await ctx.services.tools.settings.setWebhookSecret(actor, 'a-long-enough-shared-secret');
    const agent = await ctx.services.agents.create(actor, createAgentSchema.parse({ name: 'Notifier', model: 'openai:gpt-4o-mini', tools: ['send_webhook'] }));
    stub.enqueue({ toolCalls: [{ id: callId, name: 'send_webhook', args: { url: hookUrl, payload: { zeta: 1, alpha: 2, order: { id: 7, amount: 120 } } } }] });
    const { run } = await ctx.services.runs.create(actor, agent.id, { task: 'Tell the shop' }, { source: 'api' });

    const first = worker(env, owner.orgId, run.id);
    await until(() => deliveries.some((d) => d.id === callId));
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    const [step] = await ctx.database.system((tx) => tx.select().from(runSteps).where(and(eq(runSteps.runId, run.id), eq(runSteps.stepKey, `tool:1:${callId}`))));
    expect(step!.status).toBe('started');

    // Restart: the dead worker's lease expires (simulated: no 30 s wait), a new process resumes.
    await ctx.database.system((tx) => tx.update(runs).set({ leaseExpiresAt: sql`now() - interval '1 second'` }).where(eq(runs.id, run.id)));
    return { orgId: owner.orgId, runId: run.id };
  }

  const runRow = async (runId: string) => (await ctx.database.system((tx) => tx.select().from(runs).where(eq(runs.id, runId))))[0]!;

  it('with webhookRetryOnCrash on, the call is sent again with the same delivery id (and the same signed body)', { timeout: 180_000 }, async () => {
    const { orgId, runId } = await crashDuringDelivery(true, 'call_retry_on');
    stub.enqueue({ text: 'The shop was told.' });
    expect(await worker(env, orgId, runId).exited).toBe(0);

    const mine = deliveries.filter((d) => d.id === 'call_retry_on');
    expect(mine).toHaveLength(2);
    expect(mine[1]).toEqual(mine[0]);
    expect(mine[0]!.body).toBe('{"zeta":1,"alpha":2,"order":{"id":7,"amount":120}}');
    expect(await runRow(runId)).toMatchObject({ status: 'succeeded', output: 'The shop was told.' });
    const steps = await ctx.database.system((tx) => tx.select().from(runSteps).where(eq(runSteps.runId, runId)).orderBy(runSteps.seq));
    expect(steps.map((s) => [s.stepKey, s.status, s.attempts])).toEqual([
      ['model:1', 'succeeded', 1],
      ['tool:1:call_retry_on', 'succeeded', 2],
      ['model:2', 'succeeded', 1],
    ]);
    expect(await ctx.database.system((tx) => tx.select().from(approvals).where(eq(approvals.runId, runId)))).toHaveLength(0);
  });

  it('with the setting off (the default), the run asks a person, as before', { timeout: 180_000 }, async () => {
    const { orgId, runId } = await crashDuringDelivery(false, 'call_retry_off');
    expect(await worker(env, orgId, runId).exited).toBe(0);

    expect(deliveries.filter((d) => d.id === 'call_retry_off')).toHaveLength(1);
    expect(await runRow(runId)).toMatchObject({ status: 'waiting_approval' });
    const pending = await ctx.database.system((tx) => tx.select().from(approvals).where(eq(approvals.runId, runId)));
    expect(pending.map((a) => [a.toolName, a.toolCallId, a.reason, a.status])).toEqual([['send_webhook', 'call_retry_off', 'interrupted', 'pending']]);
  });
});
