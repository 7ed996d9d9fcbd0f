import type pg from 'pg';
import type { Logger } from '../shared/logger.js';
import { eventTableName, parseTableName, type QualifiedTable } from './identifiers.js';
import type { DbSourceStatus } from './enums.js';
import type { DbSourceRow, DbSourceService } from './service.js';
import { errorText } from './service.js';
import { CHANGE_CHANNEL, deleteChanges, installTrigger, pollRows, readChanges, triggerInstalled } from './source-sql.js';

/** Where a source's changes go: the event log (the app hands in EventService.emit). */
export interface ChangeSink {
  emit(orgId: string, e: { type: string; source: 'database'; payload: unknown; dedupeKey: string; occurredAt: Date }): Promise<{ created: boolean }>;
}

/** What a follower writes back to Troupe's database, fenced by the lease (false: the lease is gone, stop). */
export interface FollowerState {
  status(status: DbSourceStatus, lastError: string | null): Promise<boolean>;
  logCursor(lastLogId: number): Promise<boolean>;
  pollCursor(cursor: string, key: string): Promise<boolean>;
}

export interface FollowerOptions {
  /** Trigger mode: read the log this often even without a notice (default 5 s; a safety net). */
  safetyMs: number;
  /** The first pause after a failure; it doubles up to `maxBackoffMs` (defaults 250 ms and 30 s). */
  minBackoffMs: number;
  maxBackoffMs: number;
}

/** Rows read per batch (the log in trigger mode, the table in poll mode). */
const BATCH = 500;
/** Events handed to the event log at once. */
const EMIT_CHUNK = 500;

/**
 * Follows one source while this process holds its lease (runner.ts): connects (through the egress
 * guard), and in trigger mode makes sure the trigger is there, LISTENs on its own client and, on
 * each notice and every `safetyMs`, reads the source's log rows in order, emits each as an event
 * (dedupe `dbsrc:<source>:<log id>`), then moves the cursor, then deletes the rows it emitted.
 * Emit first, then the cursor: a crash in between emits again, which the dedupe key absorbs;
 * nothing is lost. In poll mode it reads rows after its (cursor, key) every poll_seconds.
 *
 * A dropped connection (pg_terminate_backend, a restart) sets the status `error` with the reason
 * and connects again after a pause that doubles from `minBackoffMs` to `maxBackoffMs`; the change
 * log keeps what happened meanwhile.
 */
export class Follower {
  private running = true;
  private client: pg.Client | null = null;
  private wake: (() => void) | null = null;
  private pending = false;
  private lastStatus: DbSourceStatus | null = null;
  readonly done: Promise<void>;

  constructor(
    readonly row: DbSourceRow,
    private readonly service: DbSourceService,
    private readonly sink: ChangeSink,
    private readonly state: FollowerState,
    private readonly logger: Logger,
    private readonly options: FollowerOptions,
  ) {
    this.lastStatus = row.status;
    this.done = this.run();
  }

  /** Stops following: the loop ends, the client closes. */
  async stop(): Promise<void> {
    this.running = false;
    this.poke();
    await this.client?.end().catch(() => {});
    await this.done;
  }

  private poke() {
    this.pending = true;
    this.wake?.();
  }

  private async run() {
    let backoff = this.options.minBackoffMs;
    const table = parseTableName(this.row.tableName ?? '');
    while (this.running) {
      let lost: Error | null = null;
      try {
        if (!table) throw new Error('the source has no table');
        const client = await this.service.connect(this.row, `troupe-db-source:${this.row.id}`, (err) => {
          lost = err;
          this.poke();
        });
        this.client = client;
        client.on('end', () => {
          lost ??= new Error('the connection to the database ended');
          this.poke();
        });
        if (!this.running) break;
        if (this.row.mode === 'trigger') await this.followTrigger(client, table, () => lost, () => (backoff = this.options.minBackoffMs));
        else await this.followPoll(client, table, () => lost, () => (backoff = this.options.minBackoffMs));
      } catch (err) {
        lost ??= err as Error;
      } finally {
        const c = this.client;
        this.client = null;
        await c?.end().catch(() => {});
      }
      if (!this.running) break;
      if (lost) {
        this.logger.warn({ sourceId: this.row.id, err: errorText(lost) }, 'database source: connection lost or failed; connecting again');
        if (!(await this.setStatus('error', errorText(lost)))) return;
      }
      await this.sleep(backoff);
      backoff = Math.min(backoff * 2, this.options.maxBackoffMs);
    }
  }

  private async followTrigger(client: pg.Client, table: QualifiedTable, lost: () => Error | null, connected: () => void) {
    if (!(await triggerInstalled(client, this.row.id, table))) {
      if (!(await this.setStatus('installing', null))) return;
      await installTrigger(client, this.row.id, table, this.row.operations);
    }
    client.on('notification', (n) => {
      if (n.channel === CHANGE_CHANNEL && n.payload === this.row.id) this.poke();
    });
    await client.query(`listen ${CHANGE_CHANNEL}`);
    if (!(await this.setStatus('active', null))) return;
    connected();
    while (this.running && !lost()) {
      this.pending = false;
      if (!(await this.drainLog(client, table))) return;
      if (!this.pending) await this.sleep(this.options.safetyMs);
    }
    if (lost()) throw lost();
  }

  /** Emits the logged changes in order; false when the lease is gone. */
  private async drainLog(client: pg.Client, table: QualifiedTable): Promise<boolean> {
    for (;;) {
      const changes = await readChanges(client, this.row.id, BATCH);
      if (!changes.length) return true;
      // A chunk's events go out together: the event log's call batcher stores them in a few
      // statements instead of a round trip each (bench/db-sources, a burst of 1,000 rows on the
      // shared 2-core machine: 8.2 s one by one, 2.7 s in chunks of 100, 1.5 s of 500). Their
      // order stays in their dedupe keys (the log id) and occurredAt.
      for (let i = 0; i < changes.length; i += EMIT_CHUNK) {
        await Promise.all(
          changes
            .slice(i, i + EMIT_CHUNK)
            .filter((c) => this.row.operations.includes(c.op))
            .map((c) =>
              this.sink.emit(this.row.orgId, {
                type: `db.${eventTableName(table)}.${c.op}`,
                source: 'database',
                payload: { sourceId: this.row.id, table: c.table_name, op: c.op, old: c.old ?? null, new: c.new ?? null, changedAt: c.changed_at },
                dedupeKey: `dbsrc:${this.row.id}:${c.id}`,
                occurredAt: new Date(c.changed_at),
              }),
            ),
        );
      }
      if (!(await this.fenced(this.state.logCursor(Number(changes[changes.length - 1]!.id))))) return false;
      await deleteChanges(client, this.row.id, changes.map((c) => c.id));
      if (changes.length < BATCH || !this.running) return true;
    }
  }

  private async followPoll(client: pg.Client, table: QualifiedTable, lost: () => Error | null, connected: () => void) {
    let after = this.row.pollCursor !== null && this.row.pollKey !== null ? { cursor: this.row.pollCursor, key: this.row.pollKey } : null;
    let first = true;
    while (this.running && !lost()) {
      const rows = await pollRows(client, table, this.row.cursorColumn, this.row.keyColumn, after, BATCH);
      if (first) {
        // The first read worked: the table and columns are there.
        if (!(await this.setStatus('active', null))) return;
        connected();
        first = false;
      }
      for (let i = 0; i < rows.length; i += EMIT_CHUNK) {
        await Promise.all(
          rows.slice(i, i + EMIT_CHUNK).map((r) => {
            const value = r.row[this.row.cursorColumn];
            const at = typeof value === 'string' && !Number.isNaN(Date.parse(value)) ? new Date(value) : new Date();
            return this.sink.emit(this.row.orgId, {
              type: `db.${eventTableName(table)}.change`,
              source: 'database',
              payload: { sourceId: this.row.id, table: `${table.schema}.${table.table}`, op: 'change', old: null, new: r.row, changedAt: at.toISOString() },
              dedupeKey: `dbsrc:${this.row.id}:${r.key}:${r.cursor}`,
              occurredAt: at,
            });
          }),
        );
      }
      const last = rows[rows.length - 1];
      if (last) {
        after = { cursor: last.cursor, key: last.key };
        if (!(await this.fenced(this.state.pollCursor(last.cursor, last.key)))) return;
      }
      if (rows.length < BATCH) await this.sleep(this.row.pollSeconds * 1000);
    }
    if (lost()) throw lost();
  }

  private async setStatus(status: DbSourceStatus, lastError: string | null): Promise<boolean> {
    if (status === this.lastStatus && status !== 'error') return true;
    const held = await this.fenced(this.state.status(status, lastError));
    if (held) this.lastStatus = status;
    return held;
  }

  /** A write under the lease: when it finds the lease gone, this follower stops (the runner sees it too at its next tick). */
  private async fenced(write: Promise<boolean>): Promise<boolean> {
    const held = await write;
    if (!held) this.running = false;
    return held;
  }

  /** Waits `ms`, or less when poked (a notice, a lost connection, stop). */
  private sleep(ms: number): Promise<void> {
    if (!this.running) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }
}
