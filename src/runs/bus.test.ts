import { randomBytes, randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { adminUrl } from '../../test/helpers/pg-url.js';
import { RunBus, type LiveEvent, type RunNews } from './bus.js';
import { waitFor } from './relay/conformance.js';
import type { RunRelay } from './relay/port.js';
import { PgRelay } from './relay/postgres.js';
import { RedisRelay } from './relay/redis.js';

const REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A real relay that also counts what it sends. */
function counted(relay: RunRelay) {
  const sent: string[] = [];
  const send = relay.send.bind(relay);
  relay.send = (p) => {
    sent.push(p);
    send(p);
  };
  return { relay, sent };
}

const adapters: [string, (name: string) => RunRelay][] = [
  ['redis', (name) => new RedisRelay(REDIS_URL, `${name}:runs`)],
  ['postgres', (name) => new PgRelay(adminUrl(), name)],
];

describe.each(adapters)('RunBus across processes (%s relay)', (_kind, makeRelay) => {
  const buses: RunBus[] = [];
  afterEach(async () => {
    await Promise.all(buses.splice(0).map((b) => b.close()));
  });
  /** Two buses on one install's channel: as the worker and the API process would have. */
  const pair = async (options: { followRefreshMs?: number } = {}) => {
    const name = `bus-test-${randomBytes(5).toString('hex')}`;
    const worker = counted(makeRelay(name));
    const api = counted(makeRelay(name));
    const w = new RunBus({ relay: worker.relay, ...options });
    const a = new RunBus({ relay: api.relay, ...options });
    buses.push(w, a);
    await Promise.all([w.start(), a.start()]);
    return { w, a, workerSent: worker.sent, apiSent: api.sent };
  };

  it('tells other processes that a run rested, in one message for many runs (no round trip per run)', async () => {
    const { w, a, workerSent } = await pair();
    const ids = Array.from({ length: 200 }, () => randomUUID());
    const heard = new Map<string, RunNews[]>();
    for (const id of ids) a.watch(id, (n) => heard.set(id, [...(heard.get(id) ?? []), n]));
    const local: RunNews[] = [];
    w.watch(ids[0]!, (n) => local.push(n));
    await sleep(50);
    workerSent.length = 0;
    for (const id of ids) {
      // Persisted events of a run nobody follows: only its rest crosses processes.
      w.publish(id, { seq: 1, type: 'run.started', data: {} });
      w.publish(id, { seq: 2, type: 'step.finished', data: { stepKey: 'model:1' } });
      w.publish(id, { seq: 3, type: 'run.finished', data: { status: 'succeeded' } });
    }
    await waitFor('every rest to arrive', () => heard.size === ids.length);
    expect([...heard.values()].every((n) => n.length === 1 && n[0] === 'rest')).toBe(true);
    expect(workerSent.length).toBeLessThanOrEqual(3);
    // In its own process a watcher hears the rest once (the relay's echo is dropped).
    await sleep(100);
    expect(local).toEqual(['rest']);
  });

  it('a follower elsewhere makes the worker listen (stream tokens), hear stored events and live deltas', async () => {
    const { w, a } = await pair();
    const runId = randomUUID();
    expect(w.listening(runId)).toBe(false);
    const live: LiveEvent[] = [];
    const news: RunNews[] = [];
    const off = a.subscribe(runId, (e) => live.push(e));
    a.watch(runId, (n) => news.push(n));
    await waitFor('the follow to reach the worker', () => w.listening(runId));
    w.publish(runId, { seq: 1, type: 'step.started', data: { stepKey: 'model:1' } });
    w.publish(runId, { type: 'text.delta', data: { stepKey: 'model:1', text: 'Hel' } });
    w.publish(runId, { type: 'text.delta', data: { stepKey: 'model:1', text: 'lo' } });
    await waitFor('the deltas and the stored note', () => live.length === 2 && news.includes('stored'));
    expect(live.map((e) => e.data.text)).toEqual(['Hel', 'lo']);
    off();
    expect(a.listening(runId)).toBe(false);
  });

  it('a worker that starts after a stream opened learns of it at once (hello), and a follow lapses when not renewed', async () => {
    const name = `bus-test-${randomBytes(5).toString('hex')}`;
    const a = new RunBus({ relay: makeRelay(name), followRefreshMs: 60_000 });
    buses.push(a);
    await a.start();
    const runId = randomUUID();
    a.subscribe(runId, () => {});
    await sleep(100);
    const w = new RunBus({ relay: makeRelay(name), followRefreshMs: 100 });
    buses.push(w);
    await w.start();
    await waitFor('the follow, told on hello', () => w.listening(runId), 5000);
    // Renewed every 60 s by the API bus, so it lapses here after 3 × 100 ms.
    await waitFor('the follow to lapse', () => !w.listening(runId), 5000);
  });

  it('a cancel requested in one process reaches the executor in another at once', async () => {
    const { w, a } = await pair();
    const runId = randomUUID();
    let canceled = 0;
    w.onCancel(runId, () => canceled++);
    const t0 = Date.now();
    a.requestCancel(runId);
    await waitFor('the cancel', () => canceled === 1, 5000);
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('a run that rested without an event (canceled while queued) is heard as a rest', async () => {
    const { w, a } = await pair();
    const runId = randomUUID();
    const heard: RunNews[] = [];
    w.watch(runId, (n) => heard.push(n));
    a.rested(runId);
    await waitFor('the rest', () => heard.includes('rest'), 5000);
  });
});

describe('RunBus in one process (embedded, no relay)', () => {
  it('follows, watches and cancels locally; waiting for a run does not count as following it', () => {
    const bus = new RunBus();
    const runId = randomUUID();
    const news: RunNews[] = [];
    const offWatch = bus.watch(runId, (n) => news.push(n));
    expect(bus.listening(runId)).toBe(false);
    const events: LiveEvent[] = [];
    const off = bus.subscribe(runId, (e) => events.push(e));
    const off2 = bus.subscribe(runId, () => {});
    expect(bus.listening(runId)).toBe(true);
    off();
    off();
    expect(bus.listening(runId)).toBe(true);
    off2();
    expect(bus.listening(runId)).toBe(false);
    bus.publish(runId, { seq: 1, type: 'run.waiting', data: {} });
    bus.rested(runId);
    expect(news).toEqual(['rest', 'rest']);
    offWatch();
    let canceled = 0;
    bus.onCancel(runId, () => canceled++);
    bus.requestCancel(runId);
    expect(canceled).toBe(1);
  });
});
