import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { BullMqDispatcher } from './bullmq.js';
import { dispatcherConformance } from './conformance.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
const queues: string[] = [];
const newQueueName = () => {
  const name = `troupe-test-${randomUUID()}`;
  queues.push(name);
  return name;
};

afterAll(async () => {
  const q = (name: string) => new Queue(name, { connection: { url: REDIS_URL } });
  for (const name of queues) {
    const queue = q(name);
    await queue.removeRateLimitKey(); // obliterate leaves it (it expires after the limiter's minute)
    await queue.obliterate({ force: true });
    await queue.close();
  }
});

dispatcherConformance('bullmq', async (opts) => new BullMqDispatcher({ connection: REDIS_URL, queueName: newQueueName(), ...opts }));

describe('BullMqDispatcher', () => {
  it('accepts a job durably: another Queue on the same Redis sees it', async () => {
    const queueName = newQueueName();
    const d = new BullMqDispatcher({ connection: REDIS_URL, queueName });
    await d.dispatch({ orgId: 'o', runId: 'r1', priority: 'high' });
    const other = new Queue(queueName, { connection: { url: REDIS_URL } });
    try {
      const jobs = await other.getJobs(['prioritized', 'waiting']);
      expect(jobs.map((j) => ({ data: j.data as unknown, priority: j.priority }))).toEqual([{ data: { orgId: 'o', runId: 'r1' }, priority: 2 }]);
    } finally {
      await other.close();
      await d.close();
    }
  });

  it('sends the jobs dispatched in one turn as one pipeline: each run queued once, with its priority', async () => {
    const queueName = newQueueName();
    const d = new BullMqDispatcher({ connection: REDIS_URL, queueName });
    const addBulk = vi.spyOn(Queue.prototype, 'addBulk');
    const other = new Queue(queueName, { connection: { url: REDIS_URL } });
    try {
      const runs = Array.from({ length: 40 }, (_, i) => `run-${i}`);
      // run-0 twice in the same batch: deduplicated like two separate adds.
      await Promise.all([...runs, 'run-0'].map((runId, i) => d.dispatch({ orgId: 'o', runId, priority: i % 2 ? 'high' : 'low' })));
      expect(addBulk).toHaveBeenCalledTimes(1);
      const jobs = await other.getJobs(['prioritized', 'waiting']);
      expect(jobs.map((j) => (j.data as { runId: string }).runId).sort()).toEqual([...runs].sort());
      expect(jobs.find((j) => (j.data as { runId: string }).runId === 'run-1')?.priority).toBe(2);
      expect(jobs.find((j) => (j.data as { runId: string }).runId === 'run-2')?.priority).toBe(4);
    } finally {
      addBulk.mockRestore();
      await other.close();
      await d.close();
    }
  });

  it('sends the jobs dispatched just before close, then closes', async () => {
    const queueName = newQueueName();
    const d = new BullMqDispatcher({ connection: REDIS_URL, queueName });
    const dispatched = d.dispatch({ orgId: 'o', runId: 'last-one' });
    await d.close();
    await dispatched;
    const other = new Queue(queueName, { connection: { url: REDIS_URL } });
    try {
      expect((await other.getJobs(['prioritized', 'waiting'])).map((j) => (j.data as { runId: string }).runId)).toEqual(['last-one']);
    } finally {
      await other.close();
    }
  });

  it('puts a job aborted by close back to wait, without using an attempt, for the next worker', async () => {
    const queueName = newQueueName();
    const first = new BullMqDispatcher({ connection: REDIS_URL, queueName, attempts: 1 });
    let started = false;
    first.work(async (_job, signal) => {
      started = true;
      await new Promise((r) => signal.addEventListener('abort', r, { once: true }));
    });
    await first.dispatch({ orgId: 'o', runId: 'r1' });
    while (!started) await new Promise((r) => setTimeout(r, 10));
    await first.close(50);

    const second = new BullMqDispatcher({ connection: REDIS_URL, queueName, attempts: 1 });
    try {
      expect(await second.stats()).toMatchObject({ waiting: 1, failed: 0 });
      const ran = new Promise<string>((resolve) => second.work(async (job) => resolve(job.runId)));
      expect(await ran).toBe('r1');
    } finally {
      await second.close();
    }
  });

  it('closes while Redis is unreachable instead of waiting for it', async () => {
    // Port 1: connection refused. BullMQ's worker.close() alone would wait until Redis is back.
    const d = new BullMqDispatcher({ connection: 'redis://127.0.0.1:1', queueName: `troupe-test-${randomUUID()}`, closeTimeoutMs: 200 });
    d.work(async () => {});
    await new Promise((r) => setTimeout(r, 100));
    const t0 = Date.now();
    await d.close(100);
    expect(Date.now() - t0).toBeLessThan(1500);
  });
});
