import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../app.js';
import type { Actor } from '../auth/roles.js';
import type { LiveEvent } from './bus.js';
import type { RunRow } from './store.js';
import { lastEventId, SseStream } from './sse.js';

const FINAL = new Set(['succeeded', 'failed', 'canceled']);
const POLL_MS = 1000;

/**
 * Streams a run's events: first the stored ones after Last-Event-ID, then live ones as they
 * happen, until the run ends or the client leaves. Live events come from this process's bus;
 * a poll of the event table every second covers runs executing in another process.
 */
export async function streamRunEvents(ctx: AppContext, actor: Actor, run: RunRow, request: FastifyRequest, reply: FastifyReply) {
  const sse = new SseStream(request, reply);
  let last = lastEventId(request, request.query as { lastEventId?: number });
  let ended = false;
  const buffered: LiveEvent[] = [];
  let replaying = true;
  // Wakes the poll loop the moment the final event is delivered, instead of after the interval.
  let wake = () => {};

  // Steps whose step.finished was sent: a text delta of theirs that arrives later (one heard
  // live while the stored events were being read) would repeat text after its step's end.
  const finishedSteps = new Set<unknown>();
  const deliver = (e: LiveEvent) => {
    // Nothing follows the end of the run (a late delta would otherwise be the last event).
    if (ended) return;
    if (e.seq !== undefined) {
      if (e.seq <= last) return;
      last = e.seq;
    } else if (finishedSteps.has(e.data.stepKey)) return;
    if (e.type === 'step.finished') finishedSteps.add(e.data.stepKey);
    sse.send({ id: e.seq, type: e.type, data: e.data });
    if (e.type === 'run.finished' || e.type === 'run.waiting') {
      ended = true;
      wake();
    }
  };
  const off = ctx.services.runBus.subscribe(run.id, (e) => (replaying ? buffered.push(e) : deliver(e)));

  const catchUp = async () => {
    const rows = await ctx.services.runs.events(actor, run.id, last);
    for (const row of rows) deliver({ seq: row.seq, type: row.type, data: row.data });
  };
  try {
    await catchUp();
    replaying = false;
    for (const e of buffered) deliver(e);
    if (FINAL.has(run.status) || run.status === 'waiting_approval') {
      const fresh = await ctx.services.runs.get(actor, run.id);
      if (FINAL.has(fresh.status) || fresh.status === 'waiting_approval') ended = true;
    }
    while (!ended && !sse.isClosed) {
      await Promise.race([
        sse.done,
        new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, POLL_MS);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        }),
      ]);
      if (sse.isClosed) break;
      await catchUp();
    }
  } catch (err) {
    request.log.warn({ err, runId: run.id }, 'run event stream ended with an error');
  } finally {
    off();
    sse.end();
  }
}
