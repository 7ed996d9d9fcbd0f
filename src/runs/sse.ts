import type { OutgoingHttpHeaders } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';

/** What a client that reads too slowly may have waiting in memory before its stream is cut (it resumes with Last-Event-ID). */
export const SSE_MAX_BUFFER_BYTES = 1024 * 1024;

export interface SseOptions {
  /** Default SSE_MAX_BUFFER_BYTES. */
  maxBufferBytes?: number;
  /** Comment line interval that keeps proxies from dropping an idle stream (default 15 s). */
  keepAliveMs?: number;
}

/**
 * A server-sent-events response: writes `id`/`event`/`data` frames and keeps the connection alive.
 *
 * The reply is hijacked (Fastify's onSend hooks do not run), so the headers the hooks already set
 * on the reply (CORS, security headers) are copied into the response, and they go out at once
 * with a first comment line rather than with the first event or keep-alive.
 *
 * Backpressure: once the socket's buffer is full (`write` returns false), frames wait in memory
 * for `drain`; past `maxBufferBytes` of them the stream is cut. Producers that can wait (the
 * replay of stored events) call `writable()` before each frame, so only live events queue.
 */
export class SseStream {
  private closed = false;
  private readonly heartbeat: NodeJS.Timeout;
  private blocked = false;
  private waiting: string[] = [];
  private waitingBytes = 0;
  private drained: (() => void)[] = [];
  private readonly maxBufferBytes: number;
  readonly done: Promise<void>;

  constructor(
    request: FastifyRequest,
    private readonly reply: FastifyReply,
    options: SseOptions = {},
  ) {
    this.maxBufferBytes = options.maxBufferBytes ?? SSE_MAX_BUFFER_BYTES;
    const inherited = { ...(reply.getHeaders() as OutgoingHttpHeaders) };
    delete inherited['content-length'];
    reply.hijack();
    reply.raw.writeHead(200, {
      ...inherited,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': String(request.id),
    });
    // Headers and a first line now: without a write, Node holds the headers back (until the
    // first event, or the first keep-alive 15 s later), and so would some proxies.
    this.raw(': stream open\n\n');
    this.heartbeat = setInterval(() => {
      if (!this.blocked) this.raw(': keep-alive\n\n');
    }, options.keepAliveMs ?? 15_000);
    this.done = new Promise((resolve) => {
      const onClose = () => {
        this.closed = true;
        clearInterval(this.heartbeat);
        this.release();
        resolve();
      };
      request.raw.on('close', onClose);
      reply.raw.on('close', onClose);
    });
  }

  get isClosed() {
    return this.closed;
  }

  /** Whether frames are waiting for the client to read (the socket's buffer is full). */
  get isBlocked() {
    return this.blocked;
  }

  /** Resolves when the client has read what was written (at once if it has), or the stream closed. */
  writable(): Promise<void> {
    if (!this.blocked || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.drained.push(resolve));
  }

  send(event: { id?: number; type: string; data: unknown }) {
    this.raw(`${event.id !== undefined ? `id: ${event.id}\n` : ''}event: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`);
  }

  end() {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    this.release();
    this.reply.raw.end();
  }

  private raw(text: string) {
    if (this.closed) return;
    if (this.blocked) {
      this.waitingBytes += Buffer.byteLength(text);
      if (this.waitingBytes > this.maxBufferBytes) {
        // A client this far behind gets cut off rather than costing the server unbounded memory;
        // it reconnects with Last-Event-ID and reads the stored events at its own pace.
        this.reply.log.warn({ bytes: this.waitingBytes }, 'SSE client too slow; closing its stream (it resumes with Last-Event-ID)');
        this.closed = true;
        clearInterval(this.heartbeat);
        this.release();
        this.reply.raw.destroy();
        return;
      }
      this.waiting.push(text);
      return;
    }
    if (!this.reply.raw.write(text)) this.block();
  }

  private block() {
    this.blocked = true;
    this.reply.raw.once('drain', () => {
      this.blocked = false;
      while (this.waiting.length && !this.closed) {
        const text = this.waiting.shift()!;
        this.waitingBytes -= Buffer.byteLength(text);
        if (!this.reply.raw.write(text)) {
          this.block();
          return;
        }
      }
      this.release();
    });
  }

  /** Lets every producer waiting in `writable()` go on. */
  private release() {
    if (this.closed) {
      this.waiting = [];
      this.waitingBytes = 0;
    }
    for (const resolve of this.drained.splice(0)) resolve();
  }
}

/** Last-Event-ID from the header (EventSource reconnects) or `?lastEventId=` (first connection). */
export function lastEventId(request: FastifyRequest, query: { lastEventId?: number }): number {
  const header = request.headers['last-event-id'];
  const n = Number(Array.isArray(header) ? header[0] : header);
  return Number.isSafeInteger(n) && n >= 0 ? n : (query.lastEventId ?? 0);
}
