import { sql, type SQL } from 'drizzle-orm';
import type { Database, Tx } from '../db/client.js';
import type { Logger } from '../shared/logger.js';

/** How long a leader's lease lasts without a renewal, by default: 10 s (`TROUPE_SCHEDULER_LEASE_SECONDS`). */
export const DEFAULT_LEASE_MS = 10_000;

/**
 * Which scheduler process may fire schedules: the holder of an unexpired lease, the one row of
 * `scheduler_leader` (decision 39). The lease is renewed in every pass of the leader, by the first
 * statement of the transaction that claims fires; a follower takes it over once it has lapsed.
 *
 * The fence: that renewal is a conditional update of the lease row (`where holder = me`), so it
 * holds the row's lock until the claims commit. A follower's takeover needs the same lock and
 * re-reads the row after it: it cannot slip in between a leader's check and its claims. A leader
 * that was frozen (SIGSTOP, a VM pause, a long GC) finds on waking that its renewal matches no row
 * once another process holds the lease, steps down and claims nothing. The `schedule_fires`
 * primary key (schedule, fire time) stays as the last guard against a duplicate fire.
 *
 * On PostgreSQL the claim transaction also sets `idle_in_transaction_session_timeout` to the lease:
 * a leader frozen in the middle of its transaction would otherwise keep the lease row (and the
 * schedules it claims) locked for as long as it sleeps; PostgreSQL ends that session instead.
 *
 * The embedded database (`solo`: PGlite, or the PostgreSQL the server started) is one process's
 * private database (a lock file keeps other processes off it): it always takes the lease, whoever
 * held it before, and never steps down.
 */
export class Leadership {
  private leading = false;
  /** This process's clock: until when its last renewal holds. */
  private validUntil = 0;

  constructor(
    private readonly database: Database,
    readonly holder: string,
    private readonly logger: Logger,
    private readonly options: { leaseMs: number; solo: boolean },
  ) {}

  /** Whether this process holds the lease, as far as it knows (its last renewal has not lapsed). */
  get isLeader(): boolean {
    return this.leading && (this.options.solo || Date.now() < this.validUntil);
  }

  get leaseMs(): number {
    return this.options.leaseMs;
  }

  /**
   * For a follower: takes the lease if nobody holds it, it has lapsed, or it is already this
   * process's; true when this process leads. Its own short transaction, which locks the lease row
   * only when the row looks free (so a frozen follower does not hold the leader up), and then
   * for at most a second or two (the idle timeout).
   */
  async acquire(): Promise<boolean> {
    if (this.isLeader) return true;
    const startedAt = Date.now();
    try {
      const took = await this.database.system(async (tx) => {
        if (!this.options.solo) {
          const { rows } = await tx.execute(sql`select holder, expires_at < now() as lapsed from scheduler_leader where id = 1`);
          const row = rows[0] as { holder: string; lapsed: boolean } | undefined;
          if (row && row.holder !== this.holder && !row.lapsed) return false;
          await this.idleTimeout(tx, Math.min(2_000, this.options.leaseMs / 4));
        }
        return this.take(tx, this.options.solo ? sql`true` : sql`l.holder = excluded.holder or l.expires_at < now()`);
      });
      if (took) {
        this.leading = true;
        this.validUntil = startedAt + this.options.leaseMs;
        this.logger.info({ holder: this.holder, leaseMs: this.options.leaseMs }, 'scheduler: leading (lease taken)');
      }
      return took;
    } catch (err) {
      this.logger.warn({ err }, 'scheduler: could not try the leader lease; will try again');
      return false;
    }
  }

  /**
   * For the leader, as the first statement of the transaction that claims fires: extends the
   * lease and keeps its row locked until that transaction ends. False: another process holds
   * the lease (it took it over while this one was not renewing); this process is a follower now
   * and the transaction must claim nothing.
   */
  async renew(tx: Tx): Promise<boolean> {
    const startedAt = Date.now();
    if (!this.options.solo) await this.idleTimeout(tx, this.options.leaseMs);
    const held = await this.take(tx, this.options.solo ? sql`true` : sql`l.holder = excluded.holder`);
    if (held) {
      this.leading = true;
      this.validUntil = startedAt + this.options.leaseMs;
    } else if (this.leading) {
      this.leading = false;
      this.logger.warn({ holder: this.holder }, 'scheduler: another process took the leader lease over; no longer leading');
    }
    return held;
  }

  /** Gives the lease up, so that a follower takes over on its next tick rather than after the lease. */
  async release(): Promise<void> {
    this.leading = false;
    await this.database.system((tx) => tx.execute(sql`delete from scheduler_leader where id = 1 and holder = ${this.holder}`));
  }

  /**
   * Writes the lease for this process where `when` allows (on the existing row `l`): `since`
   * stays while the holder does not change. True when the row is now this process's.
   */
  private async take(tx: Tx, when: SQL): Promise<boolean> {
    const { rows } = await tx.execute(sql`
      insert into scheduler_leader as l (id, holder, since, heartbeat_at, expires_at)
      values (1, ${this.holder}, now(), now(), now() + ${this.options.leaseMs} * interval '1 millisecond')
      on conflict (id) do update set
        holder = excluded.holder,
        since = case when l.holder = excluded.holder then l.since else excluded.since end,
        heartbeat_at = excluded.heartbeat_at,
        expires_at = excluded.expires_at
      where ${when}
      returning 1 as ok`);
    return rows.length > 0;
  }

  /** Ends this transaction's session if it sits idle longer than `ms` (its process froze). */
  private async idleTimeout(tx: Tx, ms: number) {
    await tx.execute(sql`select set_config('idle_in_transaction_session_timeout', ${String(Math.max(1, Math.round(ms)))}, true)`);
  }
}
