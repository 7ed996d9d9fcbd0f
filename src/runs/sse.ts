import type { FastifyReply, FastifyRequest } from 'fastify';

/** A server-sent-events response: writes `id`/`event`/`data` frames and keeps the connection alive. */
export class SseStream {
  private closed = false;
  private readonly heartbeat: NodeJS.Timeout;
  readonly done: Promise<void>;

  constructor(request: FastifyRequest, private readonly reply: FastifyReply) {
    reply.hijack();
    reply.raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': String(request.id),
    });
    // Proxies drop idle connections; a comment line every 15 s keeps it open.
    this.heartbeat = setInterval(() => this.raw(': keep-alive\n\n'), 15_000);
    this.done = new Promise((resolve) => {
      request.raw.on('close', () => {
        this.closed = true;
        clearInterval(this.heartbeat);
        resolve();
      });
    });
  }

  get isClosed() {
    return this.closed;
  }

  send(event: { id?: number; type: string; data: unknown }) {
    this.raw(`${event.id !== undefined ? `id: ${event.id}\n` : ''}event: ${event.type}\ndata: ${JSON.stringify(event.data)}\n\n`);
  }

  end() {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeat);
    this.reply.raw.end();
  }

  private raw(text: string) {
    if (!this.closed) this.reply.raw.write(text);
  }
}

/** Last-Event-ID from the header (EventSource reconnects) or `?lastEventId=` (first connection). */
export function lastEventId(request: FastifyRequest, query: { lastEventId?: number }): number {
  const header = request.headers['last-event-id'];
  const n = Number(Array.isArray(header) ? header[0] : header);
  return Number.isSafeInteger(n) && n >= 0 ? n : (query.lastEventId ?? 0);
}
