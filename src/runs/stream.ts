import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AppContext } from '../app.js';
import type { Actor } from '../shared/roles.js';
import { SAFETY_POLL_MS, type LiveEvent, type RunNews } from './bus.js';
import type { RunRow } from './store.js';
import { lastEventId, SseStream } from './sse.js';

const RESTING = new Set(['succeeded', 'failed', 'canceled', 'waiting_approval']);

/**
 * Streams a run's events: first the stored ones after Last-Event-ID, then live ones as they
 * happen, until the run rests or the client leaves. Events of a run executing in this process
 * come from the bus with their data; for a run executing elsewhere the relay says that events
 * were stored (decision 38), and the stream reads them from the database.
 */
export async function streamRunEvents(ctx: AppContext, actor: Actor, run: RunRow, request: FastifyRequest, reply: FastifyReply) {
  const sse = new SseStream(request, reply);
  const bus = ctx.services.runBus;
  let last = lastEventId(request, request.query as { lastEventId?: number });
  let ended = false;
  const buffered: LiveEvent[] = [];
  let replaying = true;
  // Set by news; the loop reads the database when it is set, and waits when it is not.
  let news: RunNews | 'poll' | null = null;
  let wake = () => {};
  const hear = (n: RunNews | 'poll') => {
    // 'rest' and 'resync' also ask for the run's status; they win over 'stored'.
    if (news === null || news === 'stored') news = n;
    wake();
  };

  // Steps whose step.finished was sent: a text delta of theirs that arrives later (one heard
  // live while the stored events were being read) would repeat text after its step's end.
  const finishedSteps = new Set<unknown>();
  const deliver = (e: LiveEvent, stored = false) => {
    // Nothing follows the end of the run (a late delta would otherwise be the last event).
    if (ended) return;
    if (e.seq !== undefined) {
      if (e.seq <= last) return;
      // A live event past a gap (events stored meanwhile by another process, not read yet): read
      // them first, this one with them. What the database gives is sent as it is.
      if (!stored && e.seq > last + 1) {
        hear('stored');
        return;
      }
      last = e.seq;
    } else if (finishedSteps.has(e.data.stepKey)) return;
    if (e.type === 'step.finished') finishedSteps.add(e.data.stepKey);
    sse.send({ id: e.seq, type: e.type, data: e.data });
    if (e.type === 'run.finished' || e.type === 'run.waiting') {
      ended = true;
      wake();
    }
  };
  const off = bus.subscribe(run.id, (e) => (replaying ? buffered.push(e) : deliver(e)));
  const offWatch = bus.watch(run.id, hear);

  const catchUp = async () => {
    for (;;) {
      const rows = await ctx.services.runs.events(actor, run.id, last);
      for (const row of rows) {
        // Backpressure: a slow client is fed as fast as it reads, not faster.
        if (sse.isBlocked) await sse.writable();
        if (sse.isClosed || ended) return;
        deliver({ seq: row.seq, type: row.type, data: row.data }, true);
      }
      if (rows.length < 1000) return;
    }
  };
  /** A run can rest without an event of its own (canceled while queued): the row says so. */
  const restingNow = async () => RESTING.has((await ctx.services.runs.get(actor, run.id)).status);
  try {
    await catchUp();
    replaying = false;
    for (const e of buffered.splice(0)) deliver(e);
    if (!ended && RESTING.has(run.status) && (await restingNow())) ended = true;
    while (!ended && !sse.isClosed) {
      if (news === null) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([
          sse.done,
          new Promise<void>((resolve) => {
            wake = resolve;
            timer = setTimeout(() => hear('poll'), SAFETY_POLL_MS);
          }),
        ]);
        clearTimeout(timer);
        wake = () => {};
      }
      if (sse.isClosed || ended) break;
      const why = news;
      news = null;
      await catchUp();
      // Events were read first, so a run.finished stored before the status changed is sent.
      if (!ended && why !== 'stored' && (await restingNow())) {
        await catchUp();
        ended = true;
      }
    }
  } catch (err) {
    request.log.warn({ err, runId: run.id }, 'run event stream ended with an error');
  } finally {
    off();
    offWatch();
    sse.end();
  }
}
