import { count, eq, sql } from 'drizzle-orm';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type AppContext } from '../../src/app.js';
import { createAgentSchema } from '../../src/agents/dto.js';
import { loadConfig } from '../../src/config/load.js';
import { decisions } from '../../src/decisions/schema.js';
import { approvals, runs } from '../../src/runs/schema.js';
import type { Actor } from '../../src/shared/roles.js';
import { supportTickets } from '../../src/tools/schema.js';
import { TEST_SECRET_KEY, seedMember } from '../helpers/app.js';
import { createPgDatabase } from '../helpers/databases.js';
import { startProviderStub, type ProviderStub } from '../helpers/provider-stub.js';
import { spawnScript, until } from './spawn.js';

/**
 * Decisions under SIGKILL (issue 16): a worker dies while an action's webhook is in flight, after a
 * ticket action; the next process does not repeat the ticket, and asks a person before sending the
 * webhook again. A decision approved while no worker is alive is carried out by the next, once.
 */

const workerProcess = (env: Record<string, string>) => spawnScript('workflow-worker.ts', [], env);

describe('decisions under SIGKILL', () => {
  let stub: ProviderStub;
  let ctx: AppContext;
  let env: Record<string, string>;
  let drop: () => Promise<void>;
  let actor: Actor;
  let agentId: string;
  let server: Server;
  let hookUrl: string;
  /** Deliveries received: the first is held open (the worker dies meanwhile), later ones answered. */
  const deliveries: { id: string; body: Record<string, unknown> }[] = [];
  let hold = true;

  beforeAll(async () => {
    stub = await startProviderStub();
    server = createServer((req, res) => {
      let data = '';
      req.on('data', (c: Buffer) => (data += c.toString()));
      req.on('end', () => {
        deliveries.push({ id: String(req.headers['x-troupe-delivery']), body: JSON.parse(data) as Record<string, unknown> });
        if (!hold) res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    hookUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const db = await createPgDatabase();
    drop = db.drop;
    env = { DATABASE_URL: db.url, TROUPE_SECRET_KEY: TEST_SECRET_KEY, TROUPE_PRIVATE_MODEL_HOSTS: '127.0.0.1', TROUPE_RECOVER_EVERY_SECONDS: '1' };
    ctx = await createContext(loadConfig({ ...env, LOG_LEVEL: 'silent' }));
    ctx.services.runs.setDispatcher({ dispatch() {} });
    const owner = await seedMember(ctx, 'owner');
    actor = { orgId: owner.orgId, role: 'owner', userId: owner.userId, apiKeyId: null };
    await ctx.services.models.putCredential(actor, 'openai', { apiKey: 'sk-test', baseUrl: `${stub.url}/v1` });
    await ctx.services.tools.settings.update(actor, { httpAllowlist: ['127.0.0.1'] });
    agentId = (await ctx.services.agents.create(actor, createAgentSchema.parse({ name: 'Ops', model: 'openai:gpt-4o-mini', tools: ['create_support_ticket', 'send_webhook'] }))).id;
  });
  afterAll(async () => {
    await ctx?.close();
    await stub?.close();
    await new Promise((r) => server?.close(r));
    await drop?.();
  });

  const decision = async (id: string) => (await ctx.database.system((tx) => tx.select().from(decisions).where(eq(decisions.id, id))))[0]!;
  const tickets = async () => (await ctx.database.system((tx) => tx.select({ n: count() }).from(supportTickets).where(eq(supportTickets.orgId, actor.orgId))))[0]!.n;
  const answer = (confidence: number) => ({
    text: JSON.stringify({
      intent: 'SALES_INQUIRY',
      confidence,
      actions: [
        { type: 'CREATE_TICKET', params: { subject: 'Quote' } },
        { type: 'TRIGGER_AUTOMATION', params: { url: hookUrl, event: 'intake_assigned' } },
      ],
    }),
  });

  it('killed while an action is in flight: the ticket is not made again, the webhook waits for a person, then goes once more', { timeout: 180_000 }, async () => {
    stub.enqueue(answer(0.95));
    const { decision: d } = await ctx.services.decisions.start(actor, { agentId, input: { source: 'webhook', type: 'form.submitted', data: { message: 'a quote please' } } });
    const first = workerProcess(env);
    await until(() => deliveries.length >= 1);
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();
    expect(await tickets()).toBe(1);

    // The dead worker's lease lapses (simulated); the next process takes the run over.
    hold = false;
    await ctx.database.system((tx) => tx.update(runs).set({ leaseExpiresAt: sql`now() - interval '1 second'` }).where(eq(runs.id, d.id)));
    const second = workerProcess(env);
    try {
      let approvalId = '';
      await until(async () => {
        const [a] = await ctx.database.system((tx) => tx.select().from(approvals).where(eq(approvals.runId, d.id)));
        approvalId = a?.id ?? '';
        return a?.reason === 'interrupted';
      });
      expect(deliveries).toHaveLength(1);
      await ctx.services.runs.decide(actor, approvalId, 'approved', 'send it again');
      await until(async () => (await decision(d.id)).finishedAt !== null);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
    const final = await decision(d.id);
    expect(final.status).toBe('executed');
    expect(final.actionResults.map((r) => [r.type, r.status])).toEqual([
      ['CREATE_TICKET', 'succeeded'],
      ['TRIGGER_AUTOMATION', 'succeeded'],
    ]);
    expect(await tickets()).toBe(1);
    // Sent twice with one delivery id, so a receiver can drop the repeat.
    expect(deliveries).toHaveLength(2);
    expect(deliveries[0]!.id).toBe(deliveries[1]!.id);
    expect(stub.requests).toHaveLength(1);
  });

  it('a decision approved while no worker is alive is carried out by the next process, once', { timeout: 120_000 }, async () => {
    stub.reset();
    stub.enqueue(answer(0.6));
    const before = deliveries.length;
    const { decision: d } = await ctx.services.decisions.start(actor, { agentId, input: { source: 'api', type: 'intake', data: { message: 'maybe' } } });
    const first = workerProcess(env);
    await until(async () => (await decision(d.id)).status === 'awaiting_approval');
    await until(async () => (await ctx.database.system((tx) => tx.select().from(runs).where(eq(runs.id, d.id))))[0]!.status === 'waiting');
    first.child.kill('SIGKILL');
    await first.exited;
    await ctx.services.decisions.approve(actor, d.id, {});
    const second = workerProcess(env);
    try {
      await until(async () => (await decision(d.id)).finishedAt !== null);
    } finally {
      second.child.kill('SIGTERM');
      await second.exited;
    }
    const final = await decision(d.id);
    expect(final).toMatchObject({ status: 'executed', decidedBy: { type: 'user', id: actor.userId } });
    expect(deliveries.length - before).toBe(1);
    expect(await tickets()).toBe(2);
  });
});
