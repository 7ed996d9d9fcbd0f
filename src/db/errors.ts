/**
 * PostgreSQL SQLSTATEs that say the connection (or the server) went away, not that the query
 * was wrong: class 08 (connection exception), 57P01-57P03 (terminated by an administrator, a
 * crash, or a server still starting) and 53300 (too many connections).
 */
const CONNECTION_STATES = /^(08...|57P0[123]|53300)$/;

/** Socket errors of the driver itself (node-postgres), before or instead of a SQLSTATE. */
const SOCKET_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTCONN']);
const SOCKET_MESSAGES = /Connection terminated|not queryable|Client was closed|connection error/i;

/**
 * Whether a database call failed because its connection was lost (a restart, a failover,
 * `pg_terminate_backend`), so the same work may succeed on another connection. Follows the
 * `cause` chain, since Drizzle wraps the driver's error in its own.
 */
export function isConnectionLost(err: unknown): boolean {
  for (let e = err, depth = 0; e && typeof e === 'object' && depth < 5; e = (e as { cause?: unknown }).cause, depth++) {
    const { code, message } = e as { code?: unknown; message?: unknown };
    if (typeof code === 'string' && (CONNECTION_STATES.test(code) || SOCKET_CODES.has(code))) return true;
    if (typeof message === 'string' && SOCKET_MESSAGES.test(message)) return true;
  }
  return false;
}
