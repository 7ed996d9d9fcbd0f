import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Logger } from '../../shared/logger.js';
import { START_WAIT_MS, type RelayOptions, type RunRelay } from './port.js';

/**
 * The relay over Redis pub/sub: one channel per install (`<TROUPE_QUEUE_NAME>:runs`), on a
 * dedicated subscriber connection (a connection in subscribe mode can send nothing else) and a
 * publisher connection of its own.
 *
 * ioredis reconnects both by itself. The channel is subscribed again by hand on every `ready`
 * (autoResubscribe off), so that `resync` is called only once the subscription is back: a
 * subscriber that reads the database after it cannot miss a message sent after that read.
 */
export class RedisRelay implements RunRelay {
  readonly kind = 'redis';
  /** Redis takes far more; a bound keeps one message (and its parse) small. */
  readonly maxPayloadBytes = 64 * 1024;
  private sub: Redis | null = null;
  private pub: Redis | null = null;
  private closed = false;
  /** CLIENT LIST names its connections `<this>:pub` and `<this>:sub` (one relay per process; tests tell them apart). */
  readonly connectionName = `troupe:relay:${randomBytes(4).toString('hex')}`;

  constructor(
    private readonly url: string,
    readonly channel: string,
    private readonly logger?: Logger,
    private readonly options: RelayOptions = {},
  ) {}

  async start(receive: (payload: string) => void, resync: () => void): Promise<void> {
    // Offline queue off: while Redis is away a publish fails at once (and is lost, as pub/sub
    // loses it anyway) instead of piling up in memory.
    const pub = new Redis(this.url, { connectionName: `${this.connectionName}:pub`, enableOfflineQueue: false, maxRetriesPerRequest: 1 });
    const sub = new Redis(this.url, { connectionName: `${this.connectionName}:sub`, autoResubscribe: false, maxRetriesPerRequest: null });
    this.pub = pub;
    this.sub = sub;
    pub.on('error', (err: Error) => this.logger?.debug({ err: err.message }, 'run relay: redis publisher error'));
    sub.on('error', (err: Error) => this.logger?.debug({ err: err.message }, 'run relay: redis subscriber error'));
    sub.on('message', (channel: string, payload: string) => {
      if (channel === this.channel) receive(payload);
    });
    let subscribedOnce = false;
    let first!: () => void;
    const firstSubscription = new Promise<void>((resolve) => (first = resolve));
    sub.on('ready', () => {
      sub.subscribe(this.channel).then(
        () => {
          if (subscribedOnce) {
            this.logger?.info({ channel: this.channel }, 'run relay: resubscribed after a lost redis connection');
            resync();
          }
          subscribedOnce = true;
          first();
        },
        (err: unknown) => {
          // The connection dropped again before the subscription; the next `ready` retries.
          this.logger?.warn({ err }, 'run relay: could not subscribe; will retry on reconnect');
        },
      );
    });
    sub.on('close', () => {
      if (subscribedOnce && !this.closed) this.logger?.warn({ channel: this.channel }, 'run relay: redis subscriber connection lost; reconnecting');
    });
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, this.options.startWaitMs ?? START_WAIT_MS).unref());
    await Promise.race([firstSubscription, timeout]);
    if (!subscribedOnce) this.logger?.warn({ channel: this.channel }, 'run relay: redis not reachable yet; runs in other processes are seen by polling until it is');
  }

  send(payload: string): void {
    if (this.closed || this.pub?.status !== 'ready') return;
    this.pub.publish(this.channel, payload).catch(() => {});
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const conn of [this.pub, this.sub]) {
      if (!conn) continue;
      if (conn.status === 'ready') await conn.quit().catch(() => conn.disconnect());
      else conn.disconnect();
    }
  }
}
