import { readdirSync, readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type AppContext } from '../../src/app.js';
import { createAgentSchema } from '../../src/agents/dto.js';
import type { Actor } from '../../src/shared/roles.js';
import { loadConfig } from '../../src/config/load.js';
import { TEST_SECRET_KEY, seedMember } from '../helpers/app.js';
import { createPgDatabase } from '../helpers/databases.js';
import { startTroupe, type TroupeProcess } from '../helpers/processes.js';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TOKEN = `metrics-${randomBytes(12).toString('hex')}`;

/**
 * `troupe worker` and `troupe scheduler` as real child processes with TROUPE_METRICS_PORT: their
 * own /health, /ready and /metrics (behind TROUPE_METRICS_TOKEN), and the engine's series of a run
 * the worker executed. The run is created by this process and reaches the worker through BullMQ.
 */
describe('distributed: the metrics port of worker and scheduler processes', () => {
  let ctx: AppContext;
  let drop: () => Promise<void>;
  let env: Record<string, string>;
  const procs: TroupeProcess[] = [];

  beforeAll(async () => {
    const db = await createPgDatabase();
    drop = db.drop;
    env = {
      DATABASE_URL: db.url,
      REDIS_URL,
      TROUPE_SECRET_KEY: TEST_SECRET_KEY,
      TROUPE_QUEUE_NAME: `troupe-test-${process.pid}-${randomBytes(4).toString('hex')}`,
      HOST: '127.0.0.1',
      TROUPE_METRICS_PORT: '0',
      TROUPE_METRICS_TOKEN: TOKEN,
    };
    ctx = await createContext(loadConfig({ ...env, LOG_LEVEL: 'silent' }));
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    if (env?.TROUPE_QUEUE_NAME) {
      const queue = new Queue(env.TROUPE_QUEUE_NAME, { connection: { url: REDIS_URL } });
      await queue.obliterate({ force: true }).catch(() => {});
      await queue.close();
    }
    await ctx?.close();
    await drop?.();
  });

  const metrics = async (base: string) => {
    const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    return res.text();
  };

  it('a worker serves /health, /ready and /metrics (token required), with the series of the runs it executed', { timeout: 120_000 }, async () => {
    const worker = startTroupe(['worker'], env);
    procs.push(worker);
    const base = (await worker.waitFor(/Health, readiness and metrics at (http:\/\/\S+)/))[1]!;
    await worker.waitFor(/worker started/);
    // A process that is only a worker yields the CPU (TROUPE_WORKER_NICE, default 10; decision 68):
    // its nice value is field 19 of /proc/<pid>/stat, the 17th after the command's name.
    // Every thread's, V8's helper threads (started before the call) too: on Linux a priority is a thread's.
    const niceOf = (path: string) => Number(readFileSync(path, 'utf8').split(') ')[1]!.split(' ')[16]);
    expect(niceOf(`/proc/${worker.child.pid}/stat`)).toBe(10);
    const threads = readdirSync(`/proc/${worker.child.pid}/task`);
    expect(threads.length).toBeGreaterThan(1);
    expect(threads.map((tid) => niceOf(`/proc/${worker.child.pid}/task/${tid}/stat`))).toEqual(threads.map(() => 10));

    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: 'ok', version: expect.any(String) });
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { database: { status: 'ok' }, redis: { status: 'ok' } } });

    const open = await fetch(`${base}/metrics`);
    expect(open.status).toBe(401);
    expect(open.headers.get('content-type')).toContain('application/problem+json');
    expect(open.headers.get('www-authenticate')).toContain('Bearer');
    expect(await open.json()).toMatchObject({ status: 401, code: 'metrics_token_required' });
    expect((await fetch(`${base}/metrics`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    expect((await fetch(`${base}/nothing`)).status).toBe(404);
    expect((await fetch(`${base}/metrics`, { method: 'POST' })).status).toBe(405);

    let text = await metrics(base);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds \d/m);
    expect(text).toMatch(/^troupe_scheduler_leader 0$/m);
    expect(text).toContain('# TYPE troupe_runs_started_total counter');
    // The worker's own database round trips (its claims, heartbeats and sweeps).
    expect(text).toMatch(/^troupe_db_round_trips_total\{database="postgres"\} [1-9]/m);

    // A run created here goes through Redis to the worker; with no provider configured, the rules model answers.
    const owner = await seedMember(ctx, 'owner');
    const actor: Actor = { orgId: owner.orgId, role: 'owner', userId: owner.userId, apiKeyId: null };
    const agent = await ctx.services.agents.create(actor, createAgentSchema.parse({ name: 'Greeter', model: 'openai:gpt-4o-mini' }));
    await ctx.services.runs.create(actor, agent.id, { task: 'Hello' }, { source: 'api' });
    const finished = `troupe_runs_finished_total{org_id="${owner.orgId}",agent_id="${agent.id}",source="api",status="succeeded"} 1`;
    await expect.poll(async () => (await metrics(base)).includes(finished), { timeout: 60_000, interval: 250 }).toBe(true);
    text = await metrics(base);
    expect(text).toContain(`troupe_runs_started_total{org_id="${owner.orgId}",agent_id="${agent.id}",source="api",resumed="false"} 1`);
    expect(text).toMatch(/^troupe_model_call_duration_seconds_count\{provider="rules",model="default",outcome="ok"\} 1$/m);
    expect(text).toMatch(/^troupe_queue_wait_seconds_count\{source="api"\} 1$/m);

    expect(await worker.stop()).toBe(0);
  });

  it('a scheduler serves the same endpoints and reports itself as the leader', { timeout: 120_000 }, async () => {
    const scheduler = startTroupe(['scheduler'], env);
    procs.push(scheduler);
    const base = (await scheduler.waitFor(/Health, readiness and metrics at (http:\/\/\S+)/))[1]!;
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    await expect.poll(async () => /^troupe_scheduler_leader 1$/m.test(await metrics(base)), { timeout: 30_000, interval: 250 }).toBe(true);
    expect(await scheduler.stop()).toBe(0);
  });
});
