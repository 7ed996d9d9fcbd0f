import { sql } from 'drizzle-orm';
import { bigint, boolean, index, integer, jsonb, pgTable, text, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, orgId, ts, updatedAt } from '../db/columns.js';
import type { DbOperation, DbSourceMode, DbSourceStatus } from './enums.js';

/**
 * A PostgreSQL database an organization connected (issue 16; docs/db-sources.md): changes to one
 * of its tables become events `db.<table>.<op>`. In `trigger` mode Troupe installs a trigger there
 * that logs each change and notifies; in `poll` mode it reads an updated_at cursor. One process
 * at a time follows a source: the holder of its lease (lease_owner until lease_until).
 */
export const dbSources = pgTable(
  'db_sources',
  {
    id: id(),
    orgId: orgId(),
    name: text('name').notNull(),
    /** The connection string, encrypted (SecretBox, bound to the source id): write-only through the API. */
    connectionEnc: text('connection_enc').notNull(),
    /** What the API shows of it: host, port, database, user, sslmode (never the password). */
    connectionView: jsonb('connection_view').$type<{ host: string; port: number; database: string; user: string; sslmode: string; hasPassword: boolean }>().notNull(),
    mode: text('mode').$type<DbSourceMode>().notNull().default('trigger'),
    /** Schema-qualified (`public.orders`); null until chosen (a source can be created first, its table picked from its list). */
    tableName: text('table_name'),
    operations: jsonb('operations').$type<DbOperation[]>().notNull().default(sql`'["insert","update","delete"]'::jsonb`),
    /** Poll mode: the column that grows with every change, and the unique column that orders ties. */
    cursorColumn: text('cursor_column').notNull().default('updated_at'),
    keyColumn: text('key_column').notNull().default('id'),
    pollSeconds: integer('poll_seconds').notNull().default(30),
    /** Trigger mode: the last change-log id emitted. */
    lastLogId: bigint('last_log_id', { mode: 'number' }),
    /** Poll mode: the (cursor, key) of the last row emitted, as text. */
    pollCursor: text('poll_cursor'),
    pollKey: text('poll_key'),
    enabled: boolean('enabled').notNull().default(false),
    status: text('status').$type<DbSourceStatus>().notNull().default('disabled'),
    lastError: text('last_error'),
    lastEventAt: ts('last_event_at'),
    leaseUntil: ts('lease_until'),
    leaseOwner: text('lease_owner'),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('db_sources_org_idx').on(t.orgId, t.createdAt), index('db_sources_enabled_idx').on(t.leaseUntil).where(sql`enabled`)],
);
