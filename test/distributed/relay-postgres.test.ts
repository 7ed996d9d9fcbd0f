import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildServer } from '../../src/api/server.js';
import { createContext, type AppContext } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { TEST_SECRET_KEY, json, seedMember, type Member } from '../helpers/app.js';
import { createPgDatabase } from '../helpers/databases.js';
import { startProviderStub, type ProviderStub, type StubReply } from '../helpers/provider-stub.js';

function respond({ body }: { body: Record<string, unknown> }): StubReply {
  const text = JSON.stringify(body);
  if (text.includes('[slow]')) return { toolCalls: [{ name: 'create_support_ticket', args: { subject: 'Slow ticket', priority: 'normal' } }], delayMs: 60_000 };
  return { text: 'Done.' };
}

const until = async (what: string, cond: () => boolean | Promise<boolean>, ms: number) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

/**
 * The relay over PostgreSQL LISTEN/NOTIFY (DATABASE_URL, no Redis): an API context and a worker
 * context with buses of their own, as two processes would have. The queue between them is stood
 * in for by handing the API's dispatches to the worker's dispatcher; everything else crosses
 * through PostgreSQL.
 */
describe('two processes on PostgreSQL without Redis: rests and cancels cross by LISTEN/NOTIFY', () => {
  let stub: ProviderStub;
  let api: AppContext;
  let worker: AppContext;
  let app: FastifyInstance;
  let drop: () => Promise<void>;
  let owner: Member;
  let agentId: string;

  beforeAll(async () => {
    stub = await startProviderStub({ respond });
    const db = await createPgDatabase();
    drop = db.drop;
    const config = loadConfig({
      DATABASE_URL: db.url,
      TROUPE_SECRET_KEY: TEST_SECRET_KEY,
      TROUPE_QUEUE_NAME: `relay-pg-${randomBytes(4).toString('hex')}`,
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: `${stub.url}/v1`,
      // The heartbeat (a third of the lease) would find a cancel only after 40 s.
      TROUPE_RUN_LEASE_SECONDS: '120',
      LOG_LEVEL: 'silent',
    });
    worker = await createContext(config);
    api = await createContext(config);
    expect(api.services.runBus.relayKind).toBe('postgres');
    worker.startRoles({ worker: true, scheduler: false, recover: false });
    api.services.runs.setDispatcher(worker.services.dispatcher);
    app = await buildServer(api);
    await app.ready();
    owner = await seedMember(api, 'owner');
    const res = await app.inject({ method: 'POST', url: '/api/v1/agents', headers: owner.headers, payload: { name: 'Desk', model: 'openai:gpt-4o-mini', tools: ['create_support_ticket'] } });
    expect(res.statusCode).toBe(201);
    agentId = json<{ id: string }>(res).id;
  }, 120_000);

  afterAll(async () => {
    await app?.close();
    await api?.close();
    await worker?.close(0);
    await stub?.close();
    await drop?.();
  });

  it('?wait=true in one process answers as soon as the run rests in the other', { timeout: 60_000 }, async () => {
    const t0 = Date.now();
    const res = await app.inject({ method: 'POST', url: `/api/v1/agents/${agentId}/execute?wait=true`, headers: owner.headers, payload: { task: 'Say done' } });
    expect(res.statusCode).toBe(200);
    expect(json(res)).toMatchObject({ status: 'succeeded', output: 'Done.' });
    // Without the relay: TROUPE_RUN_WAIT_SECONDS, 60 s.
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('a cancel in one process aborts the model call in flight in the other', { timeout: 60_000 }, async () => {
    const res = await app.inject({ method: 'POST', url: `/api/v1/agents/${agentId}/execute`, headers: owner.headers, payload: { task: 'Open a ticket [slow]' } });
    const runId = json<{ id: string }>(res).id;
    const inFlight = () => stub.requests.find((r) => JSON.stringify(r.body).includes('[slow]'));
    await until('the model call to be in flight', () => inFlight() !== undefined, 30_000);
    const t0 = Date.now();
    const canceled = await app.inject({ method: 'POST', url: `/api/v1/runs/${runId}/cancel`, headers: owner.headers });
    expect(canceled.statusCode).toBe(200);
    await until('the provider to see the call aborted', () => inFlight()!.aborted, 10_000);
    const get = async () => json<{ status: string; stopReason: string }>(await app.inject({ url: `/api/v1/runs/${runId}`, headers: owner.headers }));
    await until('the run to end canceled', async () => (await get()).status === 'canceled', 10_000);
    expect(Date.now() - t0).toBeLessThan(5000);
    const steps = json<{ items: { kind: string }[] }>(await app.inject({ url: `/api/v1/runs/${runId}/steps`, headers: owner.headers }));
    expect(steps.items.filter((s) => s.kind === 'tool_call')).toEqual([]);
  });
});
