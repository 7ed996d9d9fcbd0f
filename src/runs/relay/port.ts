/**
 * The run bus's way to other processes of the same install (decision 38). An adapter only
 * carries strings on one channel per install: the bus (runs/bus.ts) decides what to send, batches
 * it, drops its own messages and decodes the rest. Delivery is at most once (pub/sub): a process
 * that was disconnected hears of it through `resync` and reads what it missed from the database.
 *
 * Adapters: Redis pub/sub (`redis.ts`, with REDIS_URL) and PostgreSQL LISTEN/NOTIFY
 * (`postgres.ts`, with DATABASE_URL alone). Embedded PGlite is one process and needs none.
 * Both pass one conformance suite (`conformance.ts`).
 */
export interface RunRelay {
  readonly kind: 'redis' | 'postgres';
  /** The largest payload one `send` may carry, in UTF-8 bytes (PostgreSQL's NOTIFY: under 8000). */
  readonly maxPayloadBytes: number;
  /**
   * Subscribes. `receive` gets every payload sent on the channel (by any process, this one
   * included); `resync` is called after the subscription came back from a lost connection.
   * Resolves once subscribed, or after a few seconds if the server is unreachable (the adapter
   * keeps trying in the background; the process does not wait for it).
   */
  start(receive: (payload: string) => void, resync: () => void): Promise<void>;
  /** Fire and forget: never throws, never waits; a payload sent while disconnected is lost. */
  send(payload: string): void;
  close(): Promise<void>;
}

/** How long `start` waits for its first subscription before letting the process go on. */
export const START_WAIT_MS = 5000;

export interface RelayOptions {
  /** Default START_WAIT_MS. */
  startWaitMs?: number;
}
