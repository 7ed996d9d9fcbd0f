import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import type { TaskPriority } from '../tasks/enums.js';
import { DelayJob, type Dispatcher, type DispatchOptions, type RunJob } from '../runs/dispatch-port.js';

/** Polls `check` every 10 ms until it holds; fails after `timeoutMs`. */
async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 5000) {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(10);
  }
}

/** Resolves when `signal` aborts. */
const aborted = (signal: AbortSignal) => new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));

/**
 * The behaviour every Dispatcher adapter must show, with real timing (each test well under 3 s).
 * `make` returns a fresh dispatcher that shares nothing with the others it made (BullMQ: a new
 * queue name); the suite closes every dispatcher it made after each test.
 */
export function dispatcherConformance(name: string, make: (opts: Partial<DispatchOptions>) => Promise<Dispatcher>) {
  describe(`Dispatcher conformance: ${name}`, () => {
    const made: Dispatcher[] = [];
    const dispatcher = async (opts: Partial<DispatchOptions> = {}) => {
      const d = await make(opts);
      made.push(d);
      return d;
    };
    afterEach(async () => {
      // close() is idempotent; tests that test it have already closed theirs.
      await Promise.all(made.splice(0).map((d) => d.close(0)));
    });
    const orgId = randomUUID();
    const job = (runId: string, priority?: TaskPriority): RunJob => ({ orgId, runId, ...(priority ? { priority } : {}) });

    it('hands every job to the handler exactly once, never more than `concurrency` at once', async () => {
      const d = await dispatcher({ concurrency: 5 });
      const ids = Array.from({ length: 40 }, (_, i) => `run-${i}`);
      for (const id of ids) await d.dispatch(job(id));
      const seen: string[] = [];
      let running = 0;
      let maxRunning = 0;
      d.work(async (j) => {
        expect(j.orgId).toBe(orgId);
        running++;
        maxRunning = Math.max(maxRunning, running);
        await sleep(30);
        running--;
        seen.push(j.runId);
      });
      await waitFor('40 jobs', () => seen.length === 40);
      await sleep(100); // nothing more arrives
      expect([...seen].sort()).toEqual([...ids].sort());
      expect(maxRunning).toBeLessThanOrEqual(5);
      expect(maxRunning).toBeGreaterThan(1); // they did run side by side
      await waitFor('all completed', async () => (await d.stats()).completed === 40);
    });

    it('ignores a run dispatched again while its job waits or runs, and takes it again once finished', async () => {
      const d = await dispatcher({ concurrency: 2 });
      await d.dispatch(job('a'));
      await d.dispatch(job('a'));
      await d.dispatch(job('b'));
      expect((await d.stats()).waiting).toBe(2);
      const calls: string[] = [];
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      d.work(async (j) => {
        calls.push(j.runId);
        if (j.runId === 'a' && calls.filter((c) => c === 'a').length === 1) await held;
      });
      await waitFor('a active', () => calls.includes('a'));
      await d.dispatch(job('a')); // while active
      release();
      await waitFor('a and b completed', async () => (await d.stats()).completed === 2);
      await sleep(100);
      expect(calls.filter((c) => c === 'a')).toHaveLength(1);
      await d.dispatch(job('a')); // finished: runs again
      await waitFor('a again', async () => (await d.stats()).completed === 3);
      expect(calls.filter((c) => c === 'a')).toHaveLength(2);
    });

    it("takes a takeover of a run over the run's own job still held (a dead worker's), once per generation", async () => {
      const d = await dispatcher({ concurrency: 3 });
      const calls: RunJob[] = [];
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      d.work(async (j) => {
        calls.push(j);
        if (calls.length === 1) await held; // the job of the worker that "died" holding the run
      });
      await d.dispatch(job('t'));
      await waitFor('the first job active', () => calls.length === 1);
      // The recovery sweep's dispatch once the run's lease (generation 1) expired; twice, as two sweeps would.
      await d.pause();
      await d.dispatch({ ...job('t'), takeover: 1 });
      await d.dispatch({ ...job('t'), takeover: 1 });
      await d.resume();
      await waitFor('the takeover', () => calls.length === 2);
      await sleep(100);
      expect(calls.map((c) => c.runId)).toEqual(['t', 't']);
      release();
      await waitFor('both completed', async () => (await d.stats()).completed === 2);
      expect(calls).toHaveLength(2);
    });

    it('takes urgent first and low last, FIFO within a priority', async () => {
      const d = await dispatcher({ concurrency: 1 });
      await d.pause();
      const order: string[] = [];
      d.work(async (j) => {
        order.push(j.runId);
      });
      const expected: Record<TaskPriority, string[]> = { urgent: [], high: [], normal: [], low: [] };
      for (let i = 0; i < 3; i++) {
        for (const p of ['low', 'normal', 'high', 'urgent'] as const) {
          await d.dispatch(job(`${p}-${i}`, p));
          expected[p].push(`${p}-${i}`);
        }
      }
      // No priority means normal: after normal-0..2 (dispatched earlier), before low.
      await d.dispatch(job('default'));
      await d.resume();
      await waitFor('13 jobs', () => order.length === 13);
      expect(order).toEqual([...expected.urgent, ...expected.high, ...expected.normal, 'default', ...expected.low]);
    });

    it('retries a failing job with exponential backoff', async () => {
      const d = await dispatcher({ attempts: 3, backoffMs: 100 });
      const times: number[] = [];
      d.work(async () => {
        times.push(Date.now());
        if (times.length < 3) throw new Error('flaky');
      });
      await d.dispatch(job('flaky'));
      await waitFor('third call', async () => (await d.stats()).completed === 1);
      expect(times).toHaveLength(3);
      const [t0, t1, t2] = times as [number, number, number];
      expect(t1 - t0).toBeGreaterThanOrEqual(90); // backoffMs, minus timer slack
      expect(t2 - t1).toBeGreaterThanOrEqual(180); // 2 × backoffMs
      expect(t2 - t1).toBeGreaterThan(t1 - t0);
    });

    it('fails a job after `attempts` calls', async () => {
      const d = await dispatcher({ attempts: 3, backoffMs: 30 });
      let calls = 0;
      d.work(async () => {
        calls++;
        throw new Error('always');
      });
      await d.dispatch(job('doomed'));
      await waitFor('failed', async () => (await d.stats()).failed === 1);
      await sleep(200); // no fourth call
      expect(calls).toBe(3);
      const s = await d.stats();
      expect(s).toMatchObject({ failed: 1, completed: 0, waiting: 0, active: 0, delayed: 0 });
    });

    it('brings a DelayJob back after its delay without using an attempt', async () => {
      // attempts 1: a counted attempt would fail the job.
      const d = await dispatcher({ attempts: 1, backoffMs: 5000 });
      const times: number[] = [];
      d.work(async () => {
        times.push(Date.now());
        if (times.length < 3) throw new DelayJob(200);
      });
      await d.dispatch(job('limited'));
      await waitFor('first call', () => times.length === 1);
      await waitFor('delayed', async () => (await d.stats()).delayed === 1);
      await waitFor('completed', async () => (await d.stats()).completed === 1);
      expect(times).toHaveLength(3);
      expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(180);
      expect(times[2]! - times[1]!).toBeGreaterThanOrEqual(180);
      expect((await d.stats()).failed).toBe(0);
    });

    it('starts at most `ratePerMinute` jobs in a minute and keeps the rest', async () => {
      const d = await dispatcher({ concurrency: 10, ratePerMinute: 3 });
      for (let i = 0; i < 6; i++) await d.dispatch(job(`r${i}`));
      let started = 0;
      d.work(async () => {
        started++;
      });
      await waitFor('3 started', () => started === 3);
      await sleep(500); // the limit holds; the window is a minute
      expect(started).toBe(3);
      const s = await d.stats();
      expect(s.waiting + s.delayed).toBe(3);
      expect(s.completed).toBe(3);
    });

    it('starts nothing while paused and everything after resume', async () => {
      const d = await dispatcher({ concurrency: 5 });
      let started = 0;
      d.work(async () => {
        started++;
      });
      await d.pause();
      for (let i = 0; i < 4; i++) await d.dispatch(job(`p${i}`));
      await sleep(300);
      expect(started).toBe(0);
      expect(await d.stats()).toMatchObject({ paused: true, waiting: 4, active: 0, completed: 0 });
      await d.resume();
      await waitFor('4 completed', async () => (await d.stats()).completed === 4);
      expect(started).toBe(4);
      expect(await d.stats()).toMatchObject({ paused: false, waiting: 0, active: 0 });
    });

    it('on close, lets a job finish within the grace and aborts one that does not, then waits for it', async () => {
      const d = await dispatcher({ concurrency: 2 });
      const events: Record<string, number> = {};
      let quickSawAbort: boolean | undefined;
      const started = new Set<string>();
      d.work(async (j, signal) => {
        started.add(j.runId);
        if (j.runId === 'quick') {
          await sleep(150);
          quickSawAbort = signal.aborted;
          events.quickDone = Date.now();
        } else {
          await aborted(signal);
          events.abortedAt = Date.now();
          await sleep(100); // hands its run back
          events.stubbornSettled = Date.now();
        }
      });
      await d.dispatch(job('quick'));
      await d.dispatch(job('stubborn'));
      // Both handlers running (a queue can count a job active a moment before its handler starts).
      await waitFor('both active', async () => started.size === 2 && (await d.stats()).active === 2);
      const t0 = Date.now();
      await d.close(400);
      const closedAt = Date.now();
      expect(quickSawAbort).toBe(false);
      expect(events.quickDone).toBeLessThan(t0 + 400);
      expect(events.abortedAt! - t0).toBeGreaterThanOrEqual(380);
      expect(events.stubbornSettled).toBeLessThanOrEqual(closedAt);
      await expect(d.dispatch(job('late'))).rejects.toThrow();
    });

    it('counts completed and failed jobs and the last minute’s throughput; clean() forgets finished ones', async () => {
      const d = await dispatcher({ attempts: 1 });
      d.work(async (j) => {
        if (j.runId.startsWith('bad')) throw new Error('bad job');
      });
      for (const id of ['good-1', 'bad-1', 'good-2', 'bad-2', 'good-3']) await d.dispatch(job(id));
      await waitFor('5 finished', async () => {
        const s = await d.stats();
        return s.completed + s.failed === 5;
      });
      const s = await d.stats();
      expect(['in-process', 'bullmq']).toContain(s.adapter);
      expect(s).toMatchObject({ paused: false, waiting: 0, active: 0, delayed: 0, completed: 3, failed: 2, throughputPerMinute: 3 });
      expect(await d.clean(60_000)).toBe(0);
      await sleep(20);
      expect(await d.clean(0)).toBe(5);
      expect(await d.stats()).toMatchObject({ completed: 0, failed: 0 });
    });
  });
}
