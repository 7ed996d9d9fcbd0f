/**
 * The database sources' fixed vocabularies and formats, with no dependency: the server's schemas
 * and the dashboard's forms share them (docs/db-sources.md).
 */

/** `trigger`: Troupe installs a trigger and listens; `poll`: Troupe reads an updated_at cursor. */
export const DB_SOURCE_MODES = ['trigger', 'poll'] as const;
export type DbSourceMode = (typeof DB_SOURCE_MODES)[number];

export const DB_OPERATIONS = ['insert', 'update', 'delete'] as const;
export type DbOperation = (typeof DB_OPERATIONS)[number];

/** installing (the trigger is being put in), active, error (last_error says why; retried), disabled. */
export const DB_SOURCE_STATUSES = ['installing', 'active', 'error', 'disabled'] as const;
export type DbSourceStatus = (typeof DB_SOURCE_STATUSES)[number];

/**
 * One identifier (a schema, table or column name), used quoted exactly as written: a letter or `_`,
 * then letters, digits, `_`, `$` or `-`, at most 63 characters (PostgreSQL's limit).
 */
export const IDENTIFIER_RE = /^[A-Za-z_][A-Za-z0-9_$-]{0,62}$/;
/** A table, optionally schema-qualified (`orders`, `sales.orders`); without a schema, `public`. */
export const TABLE_NAME_RE = /^([A-Za-z_][A-Za-z0-9_$-]{0,62}\.)?[A-Za-z_][A-Za-z0-9_$-]{0,62}$/;
export const IDENTIFIER_HINT = 'a name of letters, digits, _, $ and - starting with a letter or _ (at most 63)';
export const TABLE_NAME_HINT = 'a table name, optionally with its schema (orders, sales.orders)';

/** The connection strings Troupe takes: postgres:// or postgresql:// URLs. */
export const CONNECTION_STRING_RE = /^postgres(ql)?:\/\//i;
