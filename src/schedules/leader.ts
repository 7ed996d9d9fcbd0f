import pg from 'pg';
import type { Logger } from '../shared/logger.js';

/** Which scheduler process may fire schedules. */
export interface Leadership {
  readonly isLeader: boolean;
  /** Becomes the leader if nobody else is; true when this process leads (now or already). */
  acquire(): Promise<boolean>;
  /** For the leader: checks that leadership still holds (false: lost it). */
  check(): Promise<boolean>;
  /** Gives leadership up (another process takes over on its next try). */
  release(): Promise<void>;
}

/** PGlite is one process's private database: that process is always the leader. */
export class SoloLeadership implements Leadership {
  readonly isLeader = true;
  async acquire() {
    return true;
  }
  async check() {
    return true;
  }
  async release() {}
}

/**
 * A process that cannot lead: PostgreSQL without a URL for the lock connection (e.g. a database
 * handed in by tests). It never fires; the reason shows in logs and in POST /scheduler/check.
 */
export class NoLeadership implements Leadership {
  readonly isLeader = false;
  private warned = false;
  constructor(
    readonly reason: string,
    private readonly logger: Logger,
  ) {}
  async acquire() {
    if (!this.warned) this.logger.error(`scheduler: ${this.reason}`);
    this.warned = true;
    return false;
  }
  async check() {
    return false;
  }
  async release() {}
}

/** The advisory lock key: "troupe" in ASCII. Advisory locks are per database, so Troupe databases on one server do not contend. */
export const SCHEDULER_LOCK_KEY = '128034845061221';

/**
 * Leadership through a PostgreSQL session advisory lock, held on one dedicated connection (not a
 * pool's: a session lock lives exactly as long as its session). When that connection dies (the
 * process crashed, the network dropped, an operator ran pg_terminate_backend), the server
 * releases the lock and the next process to try takes over.
 */
export class PgLeadership implements Leadership {
  private client: pg.Client | null = null;
  private leading = false;
  private lostAt = 0;

  /**
   * @param url PostgreSQL connection URL (the login role; the lock needs no table access).
   * @param timeoutMs How long a lock query or connect may take before the connection counts as dead (default 5 s).
   * @param yieldMs After losing the lock, how long this process waits before trying again, so a
   *   follower that retries on its own tick takes over rather than the process whose connection
   *   just failed (default 1 s; a lone process resumes after it, and fires due meanwhile are caught up).
   */
  constructor(
    private readonly url: string,
    private readonly holder: string,
    private readonly logger: Logger,
    private readonly timeoutMs = 5_000,
    private readonly yieldMs = 1_000,
  ) {}

  get isLeader() {
    return this.leading;
  }

  /** The backend pid of the lock connection (tests kill it), or null. */
  get backendPid(): number | null {
    return (this.client as unknown as { processID?: number } | null)?.processID ?? null;
  }

  async acquire(): Promise<boolean> {
    if (this.leading) return true;
    if (Date.now() - this.lostAt < this.yieldMs) return false;
    try {
      const client = this.client ?? (await this.connect());
      const { rows } = await client.query<{ ok: boolean }>('select pg_try_advisory_lock($1::bigint) as ok', [SCHEDULER_LOCK_KEY]);
      // pg_try_advisory_lock stacks in one session; it is only called while not leading, so once.
      this.leading = rows[0]?.ok === true;
      if (this.leading) this.logger.info({ holder: this.holder }, 'scheduler: leading (advisory lock taken)');
      return this.leading;
    } catch (err) {
      this.logger.warn({ err }, 'scheduler: could not try the leader lock; will try again');
      this.drop();
      return false;
    }
  }

  async check(): Promise<boolean> {
    if (!this.leading || !this.client) return false;
    try {
      await this.client.query('select 1');
      return this.leading;
    } catch (err) {
      this.lost(err);
      return false;
    }
  }

  async release(): Promise<void> {
    const client = this.client;
    this.client = null;
    this.leading = false;
    // Ending the session releases the lock; no unlock call needed (or possible, if it is dead).
    if (client) await client.end().catch(() => {});
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.url,
      application_name: `troupe-scheduler ${this.holder}`.slice(0, 63),
      query_timeout: this.timeoutMs,
      connectionTimeoutMillis: this.timeoutMs,
      keepAlive: true,
    });
    // A dead connection means a released lock: stop leading at once, before another process fires.
    client.on('error', (err) => {
      if (this.client === client) this.lost(err);
    });
    client.on('end', () => {
      if (this.client === client) this.lost(new Error('connection ended'));
    });
    this.client = client;
    try {
      await client.connect();
    } catch (err) {
      this.drop();
      throw err;
    }
    return client;
  }

  private lost(err: unknown) {
    if (this.leading) {
      this.logger.warn({ err, holder: this.holder }, 'scheduler: lost the leader lock connection; no longer leading');
      this.lostAt = Date.now();
    }
    this.drop();
  }

  private drop() {
    const client = this.client;
    this.client = null;
    this.leading = false;
    client?.end().catch(() => {});
  }
}
