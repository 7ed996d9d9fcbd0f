import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { Logger } from '../shared/logger.js';
import type { RunRelay } from './relay/port.js';

/**
 * A run event as the live feed carries it. Persisted events have `seq` (their SSE id); text
 * deltas do not: they are live-only, and the step.finished event that follows carries the whole
 * text, so a client resuming with Last-Event-ID loses nothing but the typing effect.
 */
export interface LiveEvent {
  seq?: number;
  type: string;
  data: Record<string, unknown>;
}

/**
 * What a watcher hears of a run: `stored` (events up to some seq are in the database, written by
 * another process), `rest` (the run reached a final or waiting state, here or elsewhere), or
 * `resync` (the relay was disconnected and may have lost notes: read the database).
 */
export type RunNews = 'stored' | 'rest' | 'resync';

/**
 * The safety net of everyone who waits for news of a run (SSE streams, `?wait=true`): without
 * any, they read the database this often. News normally comes at once (the bus, or the relay
 * from another process), but pub/sub delivers at most once: a note published while the
 * publisher's connection was down is lost without the subscriber seeing a gap (a gap it does
 * see, a reconnect, is covered by `resync`). 15 s bounds that rare delay at one or two cheap
 * queries per waiter, where the 1 s poll it replaces cost two queries per second per stream.
 */
export const SAFETY_POLL_MS = 15_000;

/** Persisted event types after which a run rests. */
const REST_TYPES = new Set(['run.finished', 'run.waiting']);

/** The notes processes send each other (decision 38), JSON in one envelope per batch. */
type Note =
  | { k: 'stored'; run: string; rest?: 1 }
  | { k: 'live'; run: string; type: string; data: Record<string, unknown> }
  | { k: 'cancel'; run: string }
  | { k: 'follow'; run: string }
  /** A process (re)joined: tell it what you follow. */
  | { k: 'hello' };

interface Envelope {
  from: string;
  notes: Note[];
}

export interface RunBusOptions {
  /** The way to other processes; none for embedded (one process). */
  relay?: RunRelay | null;
  logger?: Logger;
  /** Notes wait this long to share one message with others (default 20 ms); cancels and follows go at once. */
  flushMs?: number;
  /** How often this process tells the others which runs it follows (default 10 s); a follow lapses after three times that. */
  followRefreshMs?: number;
}

/**
 * Fan-out of run events to SSE subscribers and waiters, and of cancels to executors: in this
 * process directly, and to the install's other processes through a relay (Redis pub/sub or
 * PostgreSQL LISTEN/NOTIFY) when there is one.
 *
 * What crosses processes is small, and batched (one message per `flushMs`, not per event, so a
 * worker adds no round trip per step): that a run came to rest (always; `?wait=true` needs it),
 * that a run's events up to some seq are stored (only for runs someone elsewhere follows; the
 * follower reads them from the database), live-only events (text deltas) of followed runs, cancel
 * requests, and which runs this process follows. A follow makes the worker stream tokens
 * (`listening`) as a local subscriber would (decision 17).
 */
export class RunBus {
  private readonly emitter = new EventEmitter();
  private readonly watchers = new Map<string, Set<(news: RunNews) => void>>();
  /** Runs followed in this process: subscriber counts. */
  private readonly follows = new Map<string, number>();
  /** Runs followed in other processes: when the follow lapses (ms since epoch). */
  private readonly remoteFollows = new Map<string, number>();
  private readonly relay: RunRelay | null;
  private readonly origin = randomBytes(6).toString('base64url');
  /** How every message of this process begins. */
  private readonly head = `{"from":${JSON.stringify(this.origin)},`;
  private readonly flushMs: number;
  private readonly followRefreshMs: number;
  private outbox: Note[] = [];
  /** Stored/rest notes, one per run per batch. */
  private outboxStored = new Map<string, Note & { k: 'stored' }>();
  private flushTimer: NodeJS.Timeout | null = null;
  private flushSoon: NodeJS.Immediate | null = null;
  private refreshTimer: NodeJS.Timeout | null = null;

  constructor(private readonly options: RunBusOptions = {}) {
    // One listener per open SSE stream; hundreds is normal.
    this.emitter.setMaxListeners(0);
    this.relay = options.relay ?? null;
    this.flushMs = options.flushMs ?? 20;
    this.followRefreshMs = options.followRefreshMs ?? 10_000;
  }

  /** Which relay carries notes to other processes, if any. */
  get relayKind(): RunRelay['kind'] | null {
    return this.relay?.kind ?? null;
  }

  /** Subscribes to the relay (if any). Resolves once subscribed, or after a few seconds without it. */
  async start(): Promise<void> {
    if (!this.relay) return;
    await this.relay.start(
      (payload) => this.receive(payload),
      () => this.resync(),
    );
    // Streams already open elsewhere announced their follows before we listened: ask again, so
    // that this process (a worker that just started) streams their tokens from the first call.
    this.queue({ k: 'hello' }, true);
    this.refreshTimer = setInterval(() => this.refreshFollows(), this.followRefreshMs);
    this.refreshTimer.unref();
  }

  /** Sends what is pending and closes the relay. */
  async close(): Promise<void> {
    if (this.refreshTimer) clearInterval(this.refreshTimer);
    this.flush();
    await this.relay?.close();
  }

  /** An event of a run: to this process's subscribers, and to other processes as described above. */
  publish(runId: string, event: LiveEvent) {
    this.emitter.emit(`run:${runId}`, event);
    const rest = event.seq !== undefined && REST_TYPES.has(event.type);
    if (rest) this.tell(runId, 'rest');
    if (!this.relay) return;
    if (rest || (event.seq !== undefined && this.followedElsewhere(runId))) this.queueStored(runId, rest);
    else if (event.seq === undefined && this.followedElsewhere(runId)) this.queue({ k: 'live', run: runId, type: event.type, data: event.data }, false);
  }

  /** A run came to rest without an event of its own (canceled while queued or waiting). */
  rested(runId: string) {
    this.tell(runId, 'rest');
    if (this.relay) this.queueStored(runId, true);
  }

  /**
   * Follows a run live: its events and live-only deltas, from this process and (through the
   * relay) from the one executing it. While someone follows a run, its model calls stream tokens.
   */
  subscribe(runId: string, listener: (event: LiveEvent) => void): () => void {
    this.emitter.on(`run:${runId}`, listener);
    const n = this.follows.get(runId) ?? 0;
    this.follows.set(runId, n + 1);
    if (n === 0 && this.relay) this.queue({ k: 'follow', run: runId }, true);
    let on = true;
    return () => {
      if (!on) return;
      on = false;
      this.emitter.off(`run:${runId}`, listener);
      const left = (this.follows.get(runId) ?? 1) - 1;
      if (left > 0) this.follows.set(runId, left);
      else this.follows.delete(runId);
    };
  }

  /**
   * Hears news of a run without following it (no tokens streamed for it): see RunNews. For
   * waiting on a run, and for an SSE stream to know when to read the database.
   */
  watch(runId: string, listener: (news: RunNews) => void): () => void {
    let set = this.watchers.get(runId);
    if (!set) this.watchers.set(runId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0 && this.watchers.get(runId) === set) this.watchers.delete(runId);
    };
  }

  /** Whether anyone follows the run live, here or in another process (the engine streams tokens only then). */
  listening(runId: string): boolean {
    return this.follows.has(runId) || this.followedElsewhere(runId);
  }

  /** Asks the executor of a run to stop it at once, in whichever process it runs. */
  requestCancel(runId: string) {
    this.emitter.emit(`cancel:${runId}`);
    if (this.relay) this.queue({ k: 'cancel', run: runId }, true);
  }

  onCancel(runId: string, listener: () => void): () => void {
    this.emitter.on(`cancel:${runId}`, listener);
    return () => this.emitter.off(`cancel:${runId}`, listener);
  }

  private followedElsewhere(runId: string): boolean {
    const until = this.remoteFollows.get(runId);
    return until !== undefined && until > Date.now();
  }

  private tell(runId: string, news: RunNews) {
    const set = this.watchers.get(runId);
    if (set) for (const w of [...set]) w(news);
  }

  private queueStored(runId: string, rest: boolean) {
    const note = this.outboxStored.get(runId);
    if (note) {
      if (rest) note.rest = 1;
    } else this.outboxStored.set(runId, rest ? { k: 'stored', run: runId, rest: 1 } : { k: 'stored', run: runId });
    this.schedule(false);
  }

  private queue(note: Note, urgent: boolean) {
    this.outbox.push(note);
    this.schedule(urgent);
  }

  private schedule(urgent: boolean) {
    if (urgent) {
      this.flushSoon ??= setImmediate(() => this.flush());
      return;
    }
    if (this.flushTimer || this.flushSoon) return;
    this.flushTimer = setTimeout(() => this.flush(), this.flushMs);
    this.flushTimer.unref();
  }

  /** Sends the pending notes, as few messages as the relay's payload limit allows. */
  private flush() {
    if (this.flushTimer) clearTimeout(this.flushTimer);
    if (this.flushSoon) clearImmediate(this.flushSoon);
    this.flushTimer = null;
    this.flushSoon = null;
    const relay = this.relay;
    if (!relay) return;
    // Live events first: the stored notes of the same batch may end a follower's stream.
    const notes = [...this.outbox, ...this.outboxStored.values()];
    this.outbox = [];
    this.outboxStored = new Map();
    if (notes.length === 0) return;
    const head = `${this.head}"notes":[`;
    let body: string[] = [];
    let bytes = Buffer.byteLength(head) + 2;
    for (const note of notes) {
      const text = JSON.stringify(note);
      const size = Buffer.byteLength(text) + 1;
      if (bytes + size > relay.maxPayloadBytes) {
        if (body.length) relay.send(`${head}${body.join(',')}]}`);
        body = [];
        bytes = Buffer.byteLength(head) + 2;
        // Only a live event can be this big (a long delta); it is live-only and may be lost.
        if (bytes + size > relay.maxPayloadBytes) {
          this.options.logger?.debug({ note: note.k, bytes: size }, 'run relay: note too large to relay; dropped');
          continue;
        }
      }
      body.push(text);
      bytes += size;
    }
    if (body.length) relay.send(`${head}${body.join(',')}]}`);
  }

  private receive(payload: string) {
    // Our own messages come back too (Redis and PostgreSQL deliver to every subscriber).
    if (payload.startsWith(this.head)) return;
    let envelope: Envelope;
    try {
      envelope = JSON.parse(payload) as Envelope;
    } catch {
      return;
    }
    if (envelope.from === this.origin || !Array.isArray(envelope.notes)) return;
    for (const note of envelope.notes) {
      switch (note.k) {
        case 'stored':
          this.tell(note.run, note.rest ? 'rest' : 'stored');
          break;
        case 'live':
          if (this.follows.has(note.run)) this.emitter.emit(`run:${note.run}`, { type: note.type, data: note.data });
          break;
        case 'cancel':
          this.emitter.emit(`cancel:${note.run}`);
          break;
        case 'follow':
          this.remoteFollows.set(note.run, Date.now() + 3 * this.followRefreshMs);
          break;
        case 'hello':
          this.refreshFollows();
          break;
      }
    }
  }

  /** After a gap in the relay: every watcher reads the database; follows are told again, both ways. */
  private resync() {
    for (const runId of [...this.watchers.keys()]) this.tell(runId, 'resync');
    this.queue({ k: 'hello' }, true);
    this.refreshFollows();
  }

  private refreshFollows() {
    const now = Date.now();
    for (const [runId, until] of this.remoteFollows) if (until <= now) this.remoteFollows.delete(runId);
    for (const runId of this.follows.keys()) this.outbox.push({ k: 'follow', run: runId });
    if (this.outbox.length) this.schedule(true);
  }
}
