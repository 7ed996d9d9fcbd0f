import { and, eq, inArray, isNull, lt, notInArray, or, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { PassLoop } from '../shared/pass-loop.js';
import type { Logger } from '../shared/logger.js';
import { Follower, type ChangeSink, type FollowerOptions, type FollowerState } from './follower.js';
import { dbSources } from './schema.js';
import type { DbSourceRow, DbSourceService } from './service.js';

export interface RunnerOptions extends Partial<FollowerOptions> {
  /** Who this process is, in lease_owner. */
  owner: string;
  /** How often the runner renews its leases and looks for sources nobody follows (default 2 s). */
  tickMs?: number;
  /** How long a lease lasts without a renewal (default 30 s): another process takes a source over this long after its holder stopped renewing. */
  leaseMs?: number;
  /** At most this many sources per process (default 100). */
  maxSources?: number;
}

/**
 * Runs in every worker (`troupe worker`, `troupe serve`): follows the enabled database sources this
 * process holds the lease of, one Follower each (docs/db-sources.md). Every tick it renews its
 * leases (the rows `where lease_owner = me`, so a source another process took over, switched off,
 * deleted or changed stops here) and takes sources whose lease has lapsed or that nobody holds
 * (`FOR UPDATE SKIP LOCKED`: two processes never take the same one in one pass). The followers'
 * writes (status, cursor) are fenced the same way: a follower that lost its lease writes nothing
 * and stops.
 */
export class DbSourceRunner {
  private readonly followers = new Map<string, Follower>();
  /** Set by stop(): a tick in progress starts no follower. */
  private stopping = false;
  private readonly loop: PassLoop;
  private readonly tickMs: number;
  private readonly leaseMs: number;
  private readonly maxSources: number;
  private readonly followerOptions: FollowerOptions;

  constructor(
    private readonly database: Database,
    private readonly service: DbSourceService,
    private readonly sink: ChangeSink,
    private readonly logger: Logger,
    private readonly options: RunnerOptions,
  ) {
    this.tickMs = options.tickMs ?? 2000;
    this.leaseMs = options.leaseMs ?? 30_000;
    this.maxSources = options.maxSources ?? 100;
    this.followerOptions = { safetyMs: options.safetyMs ?? 5000, minBackoffMs: options.minBackoffMs ?? 250, maxBackoffMs: options.maxBackoffMs ?? 30_000 };
    this.loop = new PassLoop({ what: 'database sources: a pass', logger, idleMs: this.tickMs, pass: async () => (await this.tick(), false) });
  }

  /** The sources this process follows now (tests, metrics). */
  get following(): string[] {
    return [...this.followers.keys()];
  }

  start() {
    this.stopping = false;
    this.loop.start();
  }

  /** Stops every follower and gives the leases up (another process takes them at its next tick). */
  async stop() {
    this.stopping = true;
    await this.loop.stop();
    await this.passes;
    const held = [...this.followers.keys()];
    await Promise.all([...this.followers.values()].map((f) => f.stop()));
    this.followers.clear();
    if (held.length) {
      await this.database
        .system((tx) => tx.update(dbSources).set({ leaseOwner: null, leaseUntil: null }).where(and(eq(dbSources.leaseOwner, this.options.owner), inArray(dbSources.id, held))))
        .catch((err: unknown) => this.logger.warn({ err }, 'database sources: could not give the leases up; they lapse on their own'));
    }
  }

  /** A source changed in this process: look now. */
  kick() {
    this.loop.kick();
  }

  private passes: Promise<void> = Promise.resolve();

  /** One pass (after any pass in progress: two at once could start a source twice). */
  tick(): Promise<void> {
    const next = this.passes.then(() => this.pass());
    this.passes = next.catch(() => {});
    return next;
  }

  /** Renews what is held (stopping what is not any more, or changed), takes what is free. */
  private async pass() {
    const lease = sql`now() + make_interval(secs => ${this.leaseMs / 1000})`;
    const held = [...this.followers.keys()];
    const renewed = held.length
      ? await this.database.system((tx) =>
          tx
            .update(dbSources)
            .set({ leaseUntil: lease })
            .where(and(eq(dbSources.leaseOwner, this.options.owner), eq(dbSources.enabled, true), inArray(dbSources.id, held)))
            .returning({ id: dbSources.id, updatedAt: dbSources.updatedAt }),
        )
      : [];
    const still = new Map(renewed.map((r) => [r.id, r.updatedAt.getTime()]));
    for (const [id, f] of this.followers) {
      if (still.get(id) === f.row.updatedAt.getTime()) continue;
      // Lost (taken over, switched off, deleted) or changed (its settings): stop; a changed one is taken again below.
      this.followers.delete(id);
      await f.stop();
      if (still.has(id)) await this.database.system((tx) => tx.update(dbSources).set({ leaseOwner: null, leaseUntil: null }).where(and(eq(dbSources.id, id), eq(dbSources.leaseOwner, this.options.owner))));
    }
    if (this.stopping) return;
    const room = this.maxSources - this.followers.size;
    if (room <= 0) return;
    const mine = [...this.followers.keys()];
    const taken = await this.database.system(async (tx) => {
      const free = await tx
        .select({ id: dbSources.id })
        .from(dbSources)
        .where(and(eq(dbSources.enabled, true), or(isNull(dbSources.leaseUntil), lt(dbSources.leaseUntil, sql`now()`), eq(dbSources.leaseOwner, this.options.owner)), mine.length ? notInArray(dbSources.id, mine) : undefined))
        .orderBy(dbSources.createdAt)
        .limit(room)
        .for('update', { skipLocked: true });
      if (!free.length) return [];
      return tx
        .update(dbSources)
        .set({ leaseOwner: this.options.owner, leaseUntil: lease })
        .where(inArray(dbSources.id, free.map((f) => f.id)))
        .returning();
    });
    for (const row of taken) {
      if (this.stopping) break;
      this.followers.set(row.id, new Follower(row, this.service, this.sink, this.stateOf(row), this.logger, this.followerOptions));
    }
  }

  /**
   * The follower's writes, each fenced by this process's lease on the source and by the settings
   * it follows (`updated_at` as it read them): after a change (another table, a reset cursor) the
   * old follower's last write matches nothing, so it cannot put an old cursor on the new settings.
   */
  private stateOf(row: DbSourceRow): FollowerState {
    const fenced = async (set: Partial<typeof dbSources.$inferInsert>) => {
      const rows = await this.database.withOrg(row.orgId, (tx) =>
        tx
          .update(dbSources)
          .set(set)
          .where(
            and(
              eq(dbSources.orgId, row.orgId),
              eq(dbSources.id, row.id),
              eq(dbSources.leaseOwner, this.options.owner),
              eq(dbSources.enabled, true),
              // Milliseconds: what the follower's copy (a JS Date) holds of it.
              sql`date_trunc('milliseconds', ${dbSources.updatedAt}) = ${row.updatedAt.toISOString()}::timestamptz`,
            ),
          )
          .returning({ id: dbSources.id }),
      );
      return rows.length > 0;
    };
    return {
      status: (status, lastError) => fenced({ status, lastError }),
      logCursor: (lastLogId) => fenced({ lastLogId, lastEventAt: new Date() }),
      pollCursor: (pollCursor, pollKey) => fenced({ pollCursor, pollKey, lastEventAt: new Date() }),
    };
  }
}
