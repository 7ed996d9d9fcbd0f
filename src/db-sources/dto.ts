import { z } from 'zod';
import { CONNECTION_STRING_RE, DB_OPERATIONS, DB_SOURCE_MODES, DB_SOURCE_STATUSES, IDENTIFIER_HINT, IDENTIFIER_RE, TABLE_NAME_HINT, TABLE_NAME_RE } from './enums.js';

/** The wire shapes of database sources (docs/db-sources.md). */

const iso = z.date().transform((d) => d.toISOString());
const isoOrNull = z
  .date()
  .nullable()
  .transform((d) => d?.toISOString() ?? null);

const identifier = z.string().trim().min(1).max(63).regex(IDENTIFIER_RE, IDENTIFIER_HINT);
const operations = z
  .array(z.enum(DB_OPERATIONS))
  .min(1, 'choose at least one of insert, update, delete')
  .transform((ops) => DB_OPERATIONS.filter((o) => ops.includes(o)));

const sourceFields = {
  name: z.string().trim().min(1).max(200),
  connectionString: z
    .string()
    .trim()
    .max(2000)
    .regex(CONNECTION_STRING_RE, 'a postgres:// URL: postgres://user:password@host:5432/database?sslmode=require')
    .describe('postgres://user:password@host:5432/database[?sslmode=disable|require|verify-ca|verify-full]; write-only'),
  mode: z.enum(DB_SOURCE_MODES).describe('trigger: Troupe installs a trigger that logs and notifies; poll: Troupe reads the cursor column'),
  tableName: z.string().trim().min(1).max(127).regex(TABLE_NAME_RE, TABLE_NAME_HINT).nullable().describe('The table, optionally schema-qualified (default schema public)'),
  operations: operations.describe('Which changes become events (trigger mode; poll mode cannot tell them apart)'),
  cursorColumn: identifier.describe('Poll mode: a column that grows with every change (default updated_at)'),
  keyColumn: identifier.describe('Poll mode: a unique column ordering rows with the same cursor (default id)'),
  pollSeconds: z.number().int().min(1).max(86_400).describe('Poll mode: seconds between reads (default 30)'),
  enabled: z.boolean().describe('On: Troupe installs the trigger (trigger mode) and follows the table'),
};

export const createDbSourceBody = z
  .strictObject({
    name: sourceFields.name,
    connectionString: sourceFields.connectionString,
    mode: sourceFields.mode.default('trigger'),
    tableName: sourceFields.tableName.optional(),
    operations: sourceFields.operations.default([...DB_OPERATIONS]),
    cursorColumn: sourceFields.cursorColumn.default('updated_at'),
    keyColumn: sourceFields.keyColumn.default('id'),
    pollSeconds: sourceFields.pollSeconds.default(30),
    enabled: sourceFields.enabled.default(false),
  })
  .meta({ id: 'CreateDbSource' });
export type CreateDbSourceInput = z.output<typeof createDbSourceBody>;

export const updateDbSourceBody = z
  .strictObject({
    name: sourceFields.name.optional(),
    connectionString: sourceFields.connectionString.optional(),
    mode: sourceFields.mode.optional(),
    tableName: sourceFields.tableName.optional(),
    operations: sourceFields.operations.optional(),
    cursorColumn: sourceFields.cursorColumn.optional(),
    keyColumn: sourceFields.keyColumn.optional(),
    pollSeconds: sourceFields.pollSeconds.optional(),
    enabled: sourceFields.enabled.optional(),
  })
  .meta({ id: 'UpdateDbSource' });
export type UpdateDbSourceInput = z.output<typeof updateDbSourceBody>;

export const dbSourceSchema = z
  .object({
    id: z.uuid(),
    orgId: z.uuid(),
    name: z.string(),
    connection: z
      .object({ host: z.string(), port: z.number().int(), database: z.string(), user: z.string(), sslmode: z.string(), masked: z.string().describe('The connection string with the password masked') })
      .describe('What the connection string says, without its password (it is write-only)'),
    mode: z.enum(DB_SOURCE_MODES),
    tableName: z.string().nullable(),
    eventTypePrefix: z.string().nullable().describe('Its events are <prefix>.insert, .update, .delete (poll mode: .change)'),
    operations: z.array(z.enum(DB_OPERATIONS)),
    cursorColumn: z.string(),
    keyColumn: z.string(),
    pollSeconds: z.number().int(),
    enabled: z.boolean(),
    status: z.enum(DB_SOURCE_STATUSES),
    lastError: z.string().nullable(),
    lastEventAt: isoOrNull,
    createdAt: iso,
    updatedAt: iso,
    warning: z.string().nullable().optional().describe('Something the change could not do (the database was unreachable to drop the trigger)'),
  })
  .meta({ id: 'DbSource' });

export const sourceTableSchema = z
  .object({ schema: z.string(), name: z.string(), columns: z.array(z.object({ name: z.string(), type: z.string() })) })
  .meta({ id: 'DbSourceTable' });

export const testResultSchema = z
  .object({
    ok: z.boolean(),
    error: z.string().nullable().describe('Why the connection failed'),
    tables: z.array(sourceTableSchema),
  })
  .meta({ id: 'DbSourceTest' });

export const deleteResultSchema = z
  .object({ deleted: z.literal(true), triggerDropped: z.boolean(), warning: z.string().nullable() })
  .meta({ id: 'DbSourceDeleted' });
