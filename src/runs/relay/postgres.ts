import { createHash } from 'node:crypto';
import pg from 'pg';
import type { Logger } from '../../shared/logger.js';
import { START_WAIT_MS, type RelayOptions, type RunRelay } from './port.js';

/** PostgreSQL's channel names are identifiers: at most 63 bytes. */
export function pgChannel(name: string): string {
  const channel = `${name}:runs`;
  return Buffer.byteLength(channel) <= 63 ? channel : `troupe:${createHash('sha256').update(name).digest('hex').slice(0, 40)}:runs`;
}

/**
 * The relay over PostgreSQL LISTEN/NOTIFY, for installs with DATABASE_URL and no Redis: one
 * dedicated connection (a pool's connections change hands, and LISTEN belongs to a session) that
 * listens and also sends (`pg_notify`, one statement per batch, not waited for).
 *
 * When the connection dies (server restart, pg_terminate_backend, network) the relay connects
 * again with a growing delay (0.5 s to 5 s), listens again and then calls `resync`.
 */
export class PgRelay implements RunRelay {
  readonly kind = 'postgres';
  /** NOTIFY refuses payloads of 8000 bytes or more. */
  readonly maxPayloadBytes = 7900;
  readonly channel: string;
  private client: pg.Client | null = null;
  private listening = false;
  private closed = false;
  private retryTimer: NodeJS.Timeout | null = null;
  private failures = 0;
  private pending: string[] = [];
  private sending = false;
  private receive: (payload: string) => void = () => {};
  private resync: () => void = () => {};

  constructor(
    private readonly url: string,
    name: string,
    private readonly logger?: Logger,
    private readonly options: RelayOptions = {},
  ) {
    this.channel = pgChannel(name);
  }

  /** The backend pid of the listening connection (tests terminate it), or null. */
  get backendPid(): number | null {
    return this.listening ? ((this.client as unknown as { processID?: number } | null)?.processID ?? null) : null;
  }

  async start(receive: (payload: string) => void, resync: () => void): Promise<void> {
    this.receive = receive;
    this.resync = resync;
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, this.options.startWaitMs ?? START_WAIT_MS).unref());
    await Promise.race([this.connect(false), timeout]);
    if (!this.listening) this.logger?.warn({ channel: this.channel }, 'run relay: PostgreSQL not listening yet; runs in other processes are seen by polling until it is');
  }

  send(payload: string): void {
    if (this.closed || !this.listening || !this.client) return;
    // Bounded: past this the server is not keeping up, and notes are lossy anyway.
    if (this.pending.length >= 1000) return;
    this.pending.push(payload);
    if (!this.sending) this.pump();
  }

  /**
   * One statement at a time on the connection (node-postgres no longer queues for us), with every
   * payload that waited meanwhile: one round trip, delivered in order.
   */
  private pump() {
    const client = this.client;
    if (!client || !this.listening || this.pending.length === 0) {
      this.sending = false;
      return;
    }
    this.sending = true;
    const batch = this.pending.splice(0);
    client
      .query('select pg_notify($1, p) from unnest($2::text[]) as p', [this.channel, batch])
      .catch(() => {})
      .finally(() => this.pump());
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const client = this.client;
    this.client = null;
    this.listening = false;
    if (client) await client.end().catch(() => {});
  }

  private async connect(again: boolean): Promise<void> {
    if (this.closed) return;
    const client = new pg.Client({ connectionString: this.url, application_name: 'troupe-run-relay', keepAlive: true, connectionTimeoutMillis: 10_000 });
    // Without a listener, an 'error' event on a client would crash the process (issue 12 item 16).
    client.on('error', (err) => this.lost(client, err));
    client.on('end', () => this.lost(client, new Error('connection ended')));
    client.on('notification', (n) => {
      if (n.channel === this.channel && n.payload !== undefined) this.receive(n.payload);
    });
    this.client = client;
    try {
      await client.connect();
      await client.query(`listen ${client.escapeIdentifier(this.channel)}`);
    } catch (err) {
      this.lost(client, err);
      return;
    }
    if (this.client !== client) return;
    this.listening = true;
    this.failures = 0;
    if (again) {
      this.logger?.info({ channel: this.channel }, 'run relay: listening again after a lost PostgreSQL connection');
      this.resync();
    }
  }

  private lost(client: pg.Client, err: unknown) {
    if (this.client !== client) return;
    if (this.listening) this.logger?.warn({ err, channel: this.channel }, 'run relay: PostgreSQL connection lost; reconnecting');
    this.client = null;
    this.listening = false;
    this.pending = [];
    client.end().catch(() => {});
    if (this.closed) return;
    const delay = Math.min(5000, 500 * 2 ** Math.min(this.failures++, 4));
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      void this.connect(true);
    }, delay);
    this.retryTimer.unref();
  }
}
