import { sql } from 'drizzle-orm';
import type { Logger } from '../shared/logger.js';
import type { Database } from './client.js';

/** Default period of the check; 0 in `TROUPE_MAINTENANCE_SECONDS` turns it off. */
export const MAINTAIN_EVERY_MS = 10_000;

/** Arbitrary advisory lock key: "troupe maintain". One process analyzes at a time. */
const MAINTENANCE_LOCK = 7_267_261_002;

interface TableStats {
  table: string;
  reltuples: number;
  modified: number;
  dead: number;
}

/** PostgreSQL's autovacuum rules, with its default scale factors: a table is due after 50 rows plus a share of its size changed. */
export const analyzeDue = (t: TableStats) => t.modified > 50 + 0.1 * Math.max(t.reltuples, 0);
export const vacuumDue = (t: TableStats) => t.dead > 50 + 0.2 * Math.max(t.reltuples, 0);

/**
 * Keeps the planner's statistics current and, where nothing else does, vacuums dead rows.
 *
 * Why: the engine's SQL functions keep their plans for the life of a connection, planned with the
 * statistics of the moment. Planned on a young table, the fenced `UPDATE runs ... WHERE id = $1`
 * may pick an index on `org_id` and then scan every run of the organization on each write, so
 * the database's cost per run grew with the backlog (bench/queue: 1.3 ms of PostgreSQL CPU per
 * task with fresh statistics, 5 to 7 ms without). An ANALYZE invalidates those plans.
 * PostgreSQL's autovacuum does this too, but only every minute, and not at all when it is turned
 * off; PGlite has no autovacuum. So every `everyMs` one process (an advisory lock) applies
 * autovacuum's own thresholds: ANALYZE a table when 50 rows + 10% of it changed since the last
 * one, and, on PGlite or a server with autovacuum off, VACUUM it when 50 rows + 20% are dead.
 */
export class TableMaintenance {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | null = null;
  private autovacuum: boolean | null = null;

  constructor(
    private readonly database: Database,
    private readonly logger: Logger,
    private readonly everyMs = MAINTAIN_EVERY_MS,
  ) {}

  start() {
    if (this.everyMs <= 0 || this.timer) return;
    this.timer = setInterval(() => void this.tick(), this.everyMs);
    this.timer.unref();
  }

  async stop() {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }

  private tick() {
    if (this.running) return;
    this.running = this.pass()
      .catch((err) => this.logger.warn({ err }, 'table maintenance failed; will try again'))
      .finally(() => (this.running = null));
  }

  /** One pass now: answers the tables analyzed and vacuumed (nothing if another process holds the turn). */
  async pass(): Promise<{ analyzed: string[]; vacuumed: string[] }> {
    const t0 = performance.now();
    const vacuumHere = await this.weVacuum();
    const due = await this.database.system(async (tx) => {
      const [lock] = (await tx.execute(sql`select pg_try_advisory_xact_lock(${MAINTENANCE_LOCK}) as ok`)).rows as { ok: boolean }[];
      if (!lock?.ok) return null;
      const stats = (
        await tx.execute(sql`
          select format('%I', s.relname) as "table", c.reltuples::float8 as reltuples,
                 s.n_mod_since_analyze::float8 as modified, s.n_dead_tup::float8 as dead
          from pg_stat_user_tables s join pg_class c on c.oid = s.relid
          where s.schemaname = 'public'`)
      ).rows as unknown as TableStats[];
      const analyze = stats.filter(analyzeDue).map((t) => t.table);
      // ANALYZE may run in a transaction (VACUUM may not); as the login role it owns the tables.
      for (const table of analyze) await tx.execute(sql.raw(`analyze ${table}`));
      return { analyze, vacuum: vacuumHere ? stats.filter(vacuumDue).map((t) => t.table) : [] };
    });
    if (!due) return { analyzed: [], vacuumed: [] };
    if (due.vacuum.length) await this.database.vacuum(due.vacuum);
    if (due.analyze.length || due.vacuum.length) this.logger.debug({ analyzed: due.analyze, vacuumed: due.vacuum, ms: Math.round(performance.now() - t0) }, 'table maintenance');
    return { analyzed: due.analyze, vacuumed: due.vacuum };
  }

  /** Vacuum only where nothing else does: PGlite, or a server whose autovacuum is off. */
  private async weVacuum(): Promise<boolean> {
    if (this.database.kind === 'pglite') return true;
    if (this.autovacuum === null) {
      const [row] = (await this.database.db.execute(sql`select current_setting('autovacuum') as v`)).rows as { v: string }[];
      this.autovacuum = row?.v === 'on';
    }
    return !this.autovacuum;
  }
}
