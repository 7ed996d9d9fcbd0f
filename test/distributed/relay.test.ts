import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type AppContext } from '../../src/app.js';
import { loadConfig } from '../../src/config/load.js';
import { TEST_SECRET_KEY, seedMember, type Member } from '../helpers/app.js';
import { createPgDatabase } from '../helpers/databases.js';
import { startTroupe, type TroupeProcess } from '../helpers/processes.js';
import { startProviderStub, type ProviderStub, type StubReply } from '../helpers/provider-stub.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ORIGIN = 'https://dashboard.example';
const FINAL_TEXT = 'The ticket is open now, and that is all for today.';

/** The reply depends on the marker in the task: [quick], [slow] (a call that takes a minute), [watched]. */
function respond({ body }: { body: Record<string, unknown> }): StubReply {
  const text = JSON.stringify(body);
  const usage = { input: 50, output: 10 };
  const ticket = (subject: string) => ({ name: 'create_support_ticket', args: { subject, priority: 'normal' } });
  if (text.includes('[slow]')) return { toolCalls: [ticket('Slow ticket')], usage, delayMs: 60_000 };
  if (text.includes('[watched]')) {
    const afterTool = /"role":"tool"|function_call_output/.test(text);
    return afterTool ? { text: FINAL_TEXT, usage, delayMs: 300 } : { toolCalls: [ticket('Watched ticket')], usage };
  }
  return { text: 'Done.', usage };
}

const until = async (what: string, cond: () => boolean | Promise<boolean>, ms: number) => {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

interface SseFrame {
  id?: number;
  event: string;
  data: Record<string, unknown>;
}

/**
 * `troupe api` and `troupe worker` as separate processes on PostgreSQL and Redis: run events,
 * rests and cancels cross from one to the other through the relay (decision 38; issue 12 items
 * 11, 21, 25).
 */
describe('distributed: the API hears the worker at once (relay over Redis)', () => {
  let stub: ProviderStub;
  let ctx: AppContext;
  let drop: () => Promise<void>;
  let env: Record<string, string>;
  let owner: Member;
  let base: string;
  let agentId: string;
  const procs: TroupeProcess[] = [];
  let worker: Promise<unknown> | undefined;
  const ensureWorker = () => {
    worker ??= (() => {
      const w = startTroupe(['worker'], env);
      procs.push(w);
      return w.waitFor(/worker started/);
    })();
    return worker;
  };

  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${base}/api/v1${path}`, {
      method,
      headers: { ...owner.headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return { status: res.status, body: JSON.parse(text) as Record<string, unknown> };
  };

  beforeAll(async () => {
    stub = await startProviderStub({ respond });
    const db = await createPgDatabase();
    drop = db.drop;
    env = {
      DATABASE_URL: db.url,
      REDIS_URL,
      TROUPE_SECRET_KEY: TEST_SECRET_KEY,
      TROUPE_QUEUE_NAME: `troupe-test-${process.pid}-${randomBytes(4).toString('hex')}`,
      // The operator's own model endpoint (the stub), so no tenant base URL is involved.
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: `${stub.url}/v1`,
      TROUPE_RUN_WAIT_SECONDS: '30',
      // A long lease: the heartbeat (every third of it) would notice a cancel only after 40 s.
      TROUPE_RUN_LEASE_SECONDS: '120',
      TROUPE_CORS_ORIGINS: ORIGIN,
      HOST: '127.0.0.1',
    };
    ctx = await createContext(loadConfig({ DATABASE_URL: db.url, TROUPE_SECRET_KEY: TEST_SECRET_KEY, LOG_LEVEL: 'silent' }));
    owner = await seedMember(ctx, 'owner');
    const api = startTroupe(['api', '--port', '0'], env);
    procs.push(api);
    [, base] = (await api.waitFor(/Troupe is running at (http:\/\/\S+)/)) as unknown as [string, string];
    const agent = await call('POST', '/agents', { name: 'Desk', model: 'openai:gpt-4o-mini', tools: ['create_support_ticket'] });
    agentId = String(agent.body.id);
  }, 120_000);

  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    if (env?.TROUPE_QUEUE_NAME) {
      const queue = new Queue(env.TROUPE_QUEUE_NAME, { connection: { url: REDIS_URL } });
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
    }
    await ctx?.close();
    await stub?.close();
    await drop?.();
  });

  it('streams a run over SSE from the API while a worker executes it: headers (with CORS) at once, every event, the tokens', { timeout: 120_000 }, async () => {
    // Queued with no worker yet: nothing will happen in the run for a while.
    const { body: run } = await call('POST', `/agents/${agentId}/execute`, { task: 'Open a ticket [watched]' });
    const res = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no SSE response headers within 5 s')), 5000);
      http
        .get(`${base}/api/v1/runs/${String(run.id)}/events`, { headers: { ...owner.headers, accept: 'text/event-stream', origin: ORIGIN } }, (r) => {
          clearTimeout(t);
          resolve(r);
        })
        .on('error', reject);
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
    const frames: SseFrame[] = [];
    let rest = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => {
      rest += d;
      for (let i = rest.indexOf('\n\n'); i >= 0; i = rest.indexOf('\n\n')) {
        const block = rest.slice(0, i);
        rest = rest.slice(i + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        if (!event) continue;
        const id = /^id: (\d+)$/m.exec(block)?.[1];
        frames.push({ id: id === undefined ? undefined : Number(id), event, data: JSON.parse(/^data: (.*)$/m.exec(block)![1]!) as Record<string, unknown> });
      }
    });
    const ended = new Promise((resolve) => res.on('end', resolve));
    expect(frames).toEqual([]);

    // Now a worker starts and executes it; the API process hears every step through the relay.
    await ensureWorker();
    await Promise.race([ended, new Promise((_, reject) => setTimeout(() => reject(new Error(`stream did not end: ${JSON.stringify(frames.map((f) => f.event))}`)), 60_000))]);

    const stored = frames.filter((f) => f.id !== undefined);
    expect(stored.map((f) => f.id)).toEqual(stored.map((_, i) => i + 1));
    expect(stored.map((f) => f.event)).toEqual(['run.started', 'step.started', 'step.finished', 'step.started', 'step.finished', 'step.started', 'step.finished', 'run.finished']);
    expect(stored.at(-1)!.data).toMatchObject({ status: 'succeeded', output: FINAL_TEXT });
    // The follow reached the worker: the last model call streamed its tokens to this client.
    const deltas = frames.filter((f) => f.event === 'text.delta' && f.data.stepKey === 'model:2');
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.map((f) => f.data.text).join('')).toBe(FINAL_TEXT);
  });

  it('answers ?wait=true as soon as the run rests in the worker, not at TROUPE_RUN_WAIT_SECONDS', { timeout: 120_000 }, async () => {
    await ensureWorker();
    const times: number[] = [];
    for (let i = 0; i < 3; i++) {
      const t0 = Date.now();
      const { status, body } = await call('POST', `/agents/${agentId}/execute?wait=true`, { task: `Say done [quick] ${i}` });
      times.push(Date.now() - t0);
      expect(status).toBe(200);
      expect(body).toMatchObject({ status: 'succeeded', output: 'Done.' });
    }
    // TROUPE_RUN_WAIT_SECONDS is 30: without the relay each of these took 30 s.
    expect(Math.max(...times)).toBeLessThan(3000);
    console.info(`[relay] ?wait=true answered in ${times.join(', ')} ms`);
  });

  it('a cancel through the API aborts the model call in flight in the worker; no tool step starts after it', { timeout: 120_000 }, async () => {
    await ensureWorker();
    const { body: run } = await call('POST', `/agents/${agentId}/execute`, { task: 'Open a ticket [slow]' });
    const inFlight = () => stub.requests.find((r) => JSON.stringify(r.body).includes('[slow]'));
    await until('the slow model call to reach the provider', () => inFlight() !== undefined, 60_000);
    const t0 = Date.now();
    const { status } = await call('POST', `/runs/${String(run.id)}/cancel`);
    expect(status).toBe(200);
    // The heartbeat would notice only after 40 s; the relay brings the cancel at once.
    await until('the provider to see the call aborted', () => inFlight()!.aborted, 10_000);
    await until('the run to be canceled', async () => (await call('GET', `/runs/${String(run.id)}`)).body.status === 'canceled', 10_000);
    const took = Date.now() - t0;
    expect(took).toBeLessThan(5000);
    const finished = (await call('GET', `/runs/${String(run.id)}`)).body;
    expect(finished).toMatchObject({ status: 'canceled', stopReason: 'canceled' });
    // Nothing started after the cancel: no tool step, no ticket.
    await new Promise((r) => setTimeout(r, 500));
    const steps = (await call('GET', `/runs/${String(run.id)}/steps`)).body as unknown as { kind: string }[] | { items: { kind: string }[] };
    const list = Array.isArray(steps) ? steps : steps.items;
    expect(list.filter((s) => s.kind === 'tool_call')).toEqual([]);
    expect(stub.requests.filter((r) => JSON.stringify(r.body).includes('[slow]'))).toHaveLength(1);
    console.info(`[relay] cancel reached the worker and ended the run in ${took} ms`);
  });
});
