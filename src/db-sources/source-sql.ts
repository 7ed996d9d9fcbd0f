import pg from 'pg';
import type { DbOperation } from './enums.js';
import { quoteIdent, quoteLiteral, quoteTable, triggerName, type QualifiedTable } from './identifiers.js';

/**
 * What Troupe runs in an organization's own database (not Troupe's): the change log, its trigger
 * function and a source's trigger (trigger mode), the reads of the log, and the cursor query of
 * poll mode. Identifiers are checked (enums.ts) and quoted; values go as parameters, except the
 * source id a trigger passes to its function, which DDL takes only as a literal (a UUID).
 */

/** The channel the trigger function notifies, with the source id as the payload. */
export const CHANGE_CHANNEL = 'troupe_change_log';

/** Opens a client on a pinned config; errors after connecting go to `onError` (never an unhandled 'error'). */
export async function openSourceClient(config: pg.ClientConfig, onError: (err: Error) => void = () => {}): Promise<pg.Client> {
  const client = new pg.Client(config);
  client.on('error', onError);
  try {
    await client.connect();
    // Timestamps as text in one zone, whatever the database's default.
    await client.query(`set timezone = 'UTC'`);
  } catch (err) {
    await client.end().catch(() => {});
    throw err;
  }
  return client;
}

export interface SourceTable {
  schema: string;
  name: string;
  columns: { name: string; type: string }[];
}

/** The tables (and partitioned tables) a source may watch, with their columns; not the system's, nor Troupe's change log. */
export async function listTables(client: pg.Client): Promise<SourceTable[]> {
  const { rows } = await client.query<{ schema: string; name: string; columns: { name: string; type: string }[] }>(`
    select n.nspname as schema, c.relname as name,
           coalesce((select json_agg(json_build_object('name', a.attname, 'type', format_type(a.atttypid, a.atttypmod)) order by a.attnum)
                     from pg_attribute a where a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped), '[]') as columns
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where c.relkind in ('r', 'p') and n.nspname not in ('pg_catalog', 'information_schema') and n.nspname not like 'pg\\_%'
      and not (n.nspname = 'public' and c.relname = 'troupe_change_log')
      and has_table_privilege(c.oid, 'select')
    order by n.nspname, c.relname
    limit 1000`);
  return rows;
}

const TRIGGER_OPS: Record<DbOperation, string> = { insert: 'insert', update: 'update', delete: 'delete' };

/**
 * Installs, in one transaction and idempotently: the change log (`public.troupe_change_log`), the
 * trigger function that writes a row and notifies (SECURITY DEFINER with a fixed search_path, so
 * every role that writes the table can log its changes without rights on the log), and the
 * source's trigger on its table for its operations (dropped and made again: the operations may
 * have changed).
 */
export async function installTrigger(client: pg.Client, sourceId: string, table: QualifiedTable, operations: readonly DbOperation[]): Promise<void> {
  if (!operations.length) throw new Error('no operations to listen for');
  const events = operations.map((o) => TRIGGER_OPS[o]).join(' or ');
  await client.query('begin');
  try {
    await client.query(`
      create table if not exists public.troupe_change_log (
        id bigserial primary key,
        source_id text not null,
        table_name text not null,
        op text not null,
        old jsonb,
        new jsonb,
        changed_at timestamptz not null default now())`);
    await client.query(`create index if not exists troupe_change_log_source_idx on public.troupe_change_log (source_id, id)`);
    await client.query(`
      create or replace function public.troupe_capture_change() returns trigger
      language plpgsql security definer set search_path = pg_catalog, public as $fn$
      begin
        insert into public.troupe_change_log (source_id, table_name, op, old, new)
        values (tg_argv[0], tg_table_schema || '.' || tg_table_name, lower(tg_op),
                case when tg_op in ('UPDATE', 'DELETE') then to_jsonb(old) end,
                case when tg_op in ('INSERT', 'UPDATE') then to_jsonb(new) end);
        perform pg_notify('${CHANGE_CHANNEL}', tg_argv[0]);
        return null;
      end
      $fn$`);
    const name = quoteIdent(triggerName(sourceId));
    await client.query(`drop trigger if exists ${name} on ${quoteTable(table)}`);
    await client.query(`create trigger ${name} after ${events} on ${quoteTable(table)} for each row execute function public.troupe_capture_change(${quoteLiteral(sourceId)})`);
    await client.query('commit');
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw err;
  }
}

/** Whether the source's trigger is on its table (a restored or hand-edited database may have lost it). */
export async function triggerInstalled(client: pg.Client, sourceId: string, table: QualifiedTable): Promise<boolean> {
  const { rows } = await client.query(
    `select 1 from pg_trigger t join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
     where t.tgname = $1 and n.nspname = $2 and c.relname = $3`,
    [triggerName(sourceId), table.schema, table.table],
  );
  return rows.length > 0;
}

/** Drops the source's trigger and its rows of the log (the function and the log stay: other sources may use them). */
export async function dropTrigger(client: pg.Client, sourceId: string, table: QualifiedTable): Promise<void> {
  await client.query(`drop trigger if exists ${quoteIdent(triggerName(sourceId))} on ${quoteTable(table)}`);
  await client.query(`do $$ begin if to_regclass('public.troupe_change_log') is not null then delete from public.troupe_change_log where source_id = ${quoteLiteral(sourceId)}; end if; end $$`);
}

export interface LoggedChange {
  id: string;
  table_name: string;
  op: 'insert' | 'update' | 'delete';
  old: unknown;
  new: unknown;
  changed_at: string;
}

/** The source's logged changes, oldest first (ids as text: bigint). */
export async function readChanges(client: pg.Client, sourceId: string, limit: number): Promise<LoggedChange[]> {
  const { rows } = await client.query<LoggedChange>(
    `select id::text as id, table_name, op, old, new, to_char(changed_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') as changed_at
     from public.troupe_change_log where source_id = $1 order by id limit $2`,
    [sourceId, limit],
  );
  return rows;
}

/** Deletes log rows that were emitted (by id: a lower id committed later is still read next time). */
export async function deleteChanges(client: pg.Client, sourceId: string, ids: string[]): Promise<void> {
  if (ids.length) await client.query(`delete from public.troupe_change_log where source_id = $1 and id = any($2::bigint[])`, [sourceId, ids]);
}

export interface PolledRow {
  row: Record<string, unknown>;
  cursor: string;
  key: string;
}

/**
 * Poll mode's read: rows after (cursor, key) in (cursor column, key column) order, at most
 * `limit`. The cursor and key come back as text (a timestamp's microseconds survive) and go in as
 * parameters the database types from the columns.
 */
export async function pollRows(client: pg.Client, table: QualifiedTable, cursorColumn: string, keyColumn: string, after: { cursor: string; key: string } | null, limit: number): Promise<PolledRow[]> {
  const c = quoteIdent(cursorColumn);
  const k = quoteIdent(keyColumn);
  const where = after ? `where (t.${c}, t.${k}) > ($1, $2)` : `where t.${c} is not null`;
  const { rows } = await client.query<PolledRow>(
    `select to_jsonb(t) as row, t.${c}::text as cursor, t.${k}::text as key from ${quoteTable(table)} t ${where} order by t.${c}, t.${k} limit ${Number(limit)}`,
    after ? [after.cursor, after.key] : [],
  );
  return rows;
}

/** Where poll mode starts: after the newest row now (changes from here on), or null for an empty table. */
export async function pollStart(client: pg.Client, table: QualifiedTable, cursorColumn: string, keyColumn: string): Promise<{ cursor: string; key: string } | null> {
  const c = quoteIdent(cursorColumn);
  const k = quoteIdent(keyColumn);
  const { rows } = await client.query<{ cursor: string; key: string }>(`select t.${c}::text as cursor, t.${k}::text as key from ${quoteTable(table)} t where t.${c} is not null order by t.${c} desc, t.${k} desc limit 1`);
  return rows[0] ?? null;
}
