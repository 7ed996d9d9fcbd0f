import type { Logger } from '../shared/logger.js';
import { afterCommit, type Database, type Tx } from './client.js';

/** The channel the `troupe_notify_change` trigger notifies (migrations/0023_change_notices.sql). */
export const CHANGES_CHANNEL = 'troupe_changes';

/** What a process may cache and must hear about: one topic per table whose trigger notifies. */
export type ChangeTopic = 'agents';

/** A change of `topic` in one organization, or (orgId null) of anything: notices may have been missed. */
export type ChangeListener = (topic: string, orgId: string | null) => void;

/**
 * What changed, in any process (decision 59): the database's `troupe_changes` notices, which a
 * trigger sends when a transaction that wrote a watched table commits, and this process's own
 * writes at their commit (before the notice comes back, so a reader here never sees its own write
 * late). While the listening connection is down, `live` is false and caches must not be trusted;
 * when it is back, every listener hears "anything changed" (orgId null) before `live` turns true.
 */
export class ChangeFeed {
  #live = false;
  #listeners: ChangeListener[] = [];
  #stop: (() => Promise<void>) | undefined;

  constructor(
    private readonly database: Pick<Database, 'watch'>,
    private readonly logger?: Logger,
  ) {}

  get live(): boolean {
    return this.#live;
  }

  start(): void {
    if (this.#stop) return;
    let wasLive = false;
    this.#stop = this.database.watch(
      CHANGES_CHANNEL,
      (payload) => {
        const colon = payload.indexOf(':');
        if (colon > 0) this.#emit(payload.slice(0, colon), payload.slice(colon + 1));
      },
      (live) => {
        if (live) {
          this.#emit('*', null);
          this.#live = true;
          if (wasLive) this.logger?.info('listening for changes again: caches of hot reads are back on');
        } else {
          this.#live = false;
          this.#emit('*', null);
          if (wasLive) this.logger?.warn('lost the connection that listens for changes: caches of hot reads are off until it is back');
        }
        wasLive ||= live;
      },
    );
  }

  onChange(listener: ChangeListener): void {
    this.#listeners.push(listener);
  }

  /**
   * This process wrote `topic` in `orgId` within `tx`: its listeners hear it the moment the
   * transaction commits (other processes hear the trigger's notice).
   */
  changed(tx: Tx, topic: ChangeTopic, orgId: string): void {
    afterCommit(tx, () => this.#emit(topic, orgId));
  }

  async close(): Promise<void> {
    this.#live = false;
    const stop = this.#stop;
    this.#stop = undefined;
    await stop?.();
  }

  #emit(topic: string, orgId: string | null): void {
    for (const l of this.#listeners) {
      try {
        l(topic, orgId);
      } catch (err) {
        this.logger?.error({ err, topic }, 'a change listener threw');
      }
    }
  }
}
