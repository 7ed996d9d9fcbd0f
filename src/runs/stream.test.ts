import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import type { AppContext } from '../app.js';
import type { Actor } from '../shared/roles.js';
import { RunBus, type LiveEvent } from './bus.js';
import type { RunRow } from './store.js';
import { streamRunEvents } from './stream.js';

const RUN_ID = '00000000-0000-4000-8000-000000000001';
const actor: Actor = { orgId: '00000000-0000-4000-8000-0000000000aa', role: 'member', userId: null, apiKeyId: null };

/**
 * A stream whose read of the stored events is slow: the run goes on meanwhile, and what it
 * publishes live is heard while the stored events are still being read (a fast chat reply).
 */
async function streamWith(stored: LiveEvent[], liveDuringRead: LiveEvent[], liveAfter: LiveEvent[] = []) {
  const bus = new RunBus();
  let reads = 0;
  const ctx = {
    services: {
      runBus: bus,
      runs: {
        events: async (_a: Actor, _id: string, after: number) => {
          if (reads++ === 0) for (const e of liveDuringRead) bus.publish(RUN_ID, e);
          return stored.filter((e) => e.seq! > after).map((e) => ({ seq: e.seq!, type: e.type, data: e.data }));
        },
        get: async () => ({ id: RUN_ID, status: 'running' }),
      },
    },
  } as unknown as AppContext;
  const app = Fastify();
  app.get('/stream', (req, reply) => streamRunEvents(ctx, actor, { id: RUN_ID, status: 'running' } as RunRow, req, reply));
  const res = app.inject({ url: '/stream' });
  setTimeout(() => {
    for (const e of liveAfter) bus.publish(RUN_ID, e);
  }, 50);
  const body = (await res).body;
  await app.close();
  return body
    .split('\n\n')
    .filter((b) => b.startsWith('id: ') || b.startsWith('event: '))
    .map((b) => {
      const type = /event: (.*)/.exec(b)![1]!;
      return { type, data: JSON.parse(/data: (.*)/.exec(b)![1]!) as Record<string, unknown> };
    });
}

describe('streamRunEvents', () => {
  it('ends with run.finished when the run finished while its stored events were read; no delta after its step', async () => {
    const events = await streamWith(
      [
        { seq: 1, type: 'step.started', data: { stepKey: 'model:1' } },
        { seq: 2, type: 'step.finished', data: { stepKey: 'model:1', text: 'Hello there' } },
        { seq: 3, type: 'run.finished', data: { status: 'succeeded' } },
      ],
      [
        { type: 'text.delta', data: { stepKey: 'model:1', text: 'Hello' } },
        { type: 'text.delta', data: { stepKey: 'model:1', text: ' there' } },
      ],
    );
    expect(events.map((e) => e.type)).toEqual(['step.started', 'step.finished', 'run.finished']);
    expect(events.at(-1)!.data.status).toBe('succeeded');
  });

  it('still sends the deltas of a step that had not finished when the stored events were read', async () => {
    const events = await streamWith(
      [{ seq: 1, type: 'step.started', data: { stepKey: 'model:1' } }],
      [{ type: 'text.delta', data: { stepKey: 'model:1', text: 'Hel' } }],
      [
        { type: 'text.delta', data: { stepKey: 'model:1', text: 'lo' } },
        { seq: 2, type: 'step.finished', data: { stepKey: 'model:1', text: 'Hello' } },
        { type: 'text.delta', data: { stepKey: 'model:1', text: ' (late)' } },
        { seq: 3, type: 'run.finished', data: { status: 'succeeded' } },
        { seq: 4, type: 'run.released', data: {} },
      ],
    );
    expect(events.map((e) => [e.type, e.data.text])).toEqual([
      ['step.started', undefined],
      ['text.delta', 'Hel'],
      ['text.delta', 'lo'],
      ['step.finished', 'Hello'],
      ['run.finished', undefined],
    ]);
  });
});

describe('streamRunEvents, a run that rests without an event of its own', () => {
  it('ends the stream of a queued run canceled meanwhile (no run.finished is ever stored for it)', async () => {
    const bus = new RunBus();
    let status = 'queued';
    const ctx = {
      services: {
        runBus: bus,
        runs: { events: async () => [], get: async () => ({ id: RUN_ID, status }) },
      },
    } as unknown as AppContext;
    const app = Fastify();
    app.get('/stream', (req, reply) => streamRunEvents(ctx, actor, { id: RUN_ID, status: 'queued' } as RunRow, req, reply));
    const res = app.inject({ url: '/stream' });
    setTimeout(() => {
      // What RunService.cancel does for a run that was not running.
      status = 'canceled';
      bus.rested(RUN_ID);
    }, 100);
    const t0 = Date.now();
    const body = (await res).body;
    await app.close();
    expect(Date.now() - t0).toBeLessThan(5000);
    expect(body).not.toContain('event:');
  });
});
