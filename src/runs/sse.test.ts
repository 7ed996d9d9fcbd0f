import http from 'node:http';
import type { AddressInfo } from 'node:net';
import fastifyCors from '@fastify/cors';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { AppContext } from '../app.js';
import type { Actor } from '../shared/roles.js';
import { RunBus } from './bus.js';
import { waitFor } from './relay/conformance.js';
import { SseStream } from './sse.js';
import type { RunRow } from './store.js';
import { streamRunEvents } from './stream.js';

const RUN_ID = '00000000-0000-4000-8000-000000000002';
const actor: Actor = { orgId: '00000000-0000-4000-8000-0000000000aa', role: 'member', userId: null, apiKeyId: null };
const ORIGIN = 'https://dashboard.example';

/** A context whose stored events come from `stored(after)`: just what streamRunEvents reads. */
function contextWith(bus: RunBus, stored: (after: number) => { seq: number; type: string; data: Record<string, unknown> }[] = () => []) {
  return {
    services: {
      runBus: bus,
      runs: { events: async (_a: Actor, _id: string, after: number) => stored(after), get: async () => ({ id: RUN_ID, status: 'running' }) },
    },
  } as unknown as AppContext;
}

let app: FastifyInstance | undefined;
afterEach(async () => {
  await app?.close();
  app = undefined;
});

/** A real server (CORS plugin as in api/server.ts) on a free port; `raw` is the last SSE response. */
async function serve(route: (req: FastifyRequest, reply: FastifyReply) => Promise<void> | void) {
  app = Fastify();
  await app.register(fastifyCors, { origin: [ORIGIN], credentials: true, exposedHeaders: ['x-request-id'] });
  app.get('/stream', route);
  await app.listen({ port: 0, host: '127.0.0.1' });
  return `http://127.0.0.1:${(app.server.address() as AddressInfo).port}/stream`;
}

function get(url: string): Promise<http.IncomingMessage> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { origin: ORIGIN, accept: 'text/event-stream' } }, resolve);
    req.on('error', reject);
  });
}

const within = <T>(ms: number, p: Promise<T>, what: string) =>
  Promise.race([p, new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no ${what} within ${ms} ms`)), ms))]);

describe('SSE responses', () => {
  it('send their headers at once, with the CORS headers the reply would have had, before any event', async () => {
    const bus = new RunBus();
    const url = await serve((req, reply) => streamRunEvents(contextWith(bus), actor, { id: RUN_ID, status: 'running' } as RunRow, req, reply));
    // Nothing has happened in the run yet: the headers must not wait for an event (or the 15 s keep-alive).
    const res = await within(3000, get(url), 'response headers');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/event-stream/);
    expect(res.headers['access-control-allow-origin']).toBe(ORIGIN);
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers['access-control-expose-headers']).toContain('x-request-id');
    expect(res.headers['x-request-id']).toBeTruthy();
    let body = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => (body += d));
    const ended = new Promise((resolve) => res.on('end', resolve));
    expect(body).not.toContain('event:');
    bus.publish(RUN_ID, { seq: 1, type: 'step.started', data: { stepKey: 'model:1' } });
    bus.publish(RUN_ID, { seq: 2, type: 'run.finished', data: { status: 'succeeded' } });
    await within(3000, ended, 'end of the stream');
    expect(body.match(/^event: .*/gm)).toEqual(['event: step.started', 'event: run.finished']);
  });

  it('feed a slow client only as fast as it reads: stored events wait for drain, then all arrive in order', async () => {
    const bus = new RunBus();
    const TOTAL = 3000;
    const pad = 'x'.repeat(10_000);
    // 30 MB of stored events, read 1000 at a time as the database would give them.
    const stored = (after: number) => {
      const rows = [];
      for (let seq = after + 1; seq <= Math.min(after + 1000, TOTAL + 1); seq++) {
        rows.push(seq <= TOTAL ? { seq, type: 'step.finished', data: { stepKey: `model:${seq}`, pad } } : { seq, type: 'run.finished', data: {} });
      }
      return rows;
    };
    let raw: http.ServerResponse | undefined;
    const url = await serve((req, reply) => {
      raw = reply.raw;
      return streamRunEvents(contextWith(bus, stored), actor, { id: RUN_ID, status: 'running' } as RunRow, req, reply);
    });
    const res = await get(url);
    res.pause();
    // The client reads nothing for a while: what waits in the server's memory stays small
    // (without backpressure the first 1000 events, 10 MB, would sit in the socket's buffer).
    let most = 0;
    const t0 = Date.now();
    while (Date.now() - t0 < 1500) {
      most = Math.max(most, raw?.writableLength ?? 0);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(most).toBeLessThan(256 * 1024);
    // Then it reads: every event arrives, in order, and the stream ends.
    const seqs: number[] = [];
    let rest = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => {
      rest += d;
      for (let i = rest.indexOf('\n\n'); i >= 0; i = rest.indexOf('\n\n')) {
        const m = /^id: (\d+)$/m.exec(rest.slice(0, i));
        if (m) seqs.push(Number(m[1]));
        rest = rest.slice(i + 2);
      }
    });
    res.resume();
    await within(30_000, new Promise((resolve) => res.on('end', resolve)), 'all events');
    expect(seqs).toHaveLength(TOTAL + 1);
    expect(seqs.every((s, i) => s === i + 1)).toBe(true);
  });

  it('cut a client that falls too far behind on live events: its memory stays bounded, it resumes with Last-Event-ID', async () => {
    let sse: SseStream | undefined;
    let raw: http.ServerResponse | undefined;
    const url = await serve((req, reply) => {
      raw = reply.raw;
      sse = new SseStream(req, reply, { maxBufferBytes: 256 * 1024 });
    });
    const res = await get(url);
    res.pause();
    await waitFor('the stream', () => sse !== undefined);
    const pad = 'y'.repeat(10_000);
    // 20 MB of live events for a client that reads nothing.
    for (let i = 1; i <= 2000 && !sse!.isClosed; i++) sse!.send({ id: i, type: 'step.finished', data: { pad } });
    expect(sse!.isClosed).toBe(true);
    expect(raw!.destroyed).toBe(true);
    res.destroy();
  });
});
