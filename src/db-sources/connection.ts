import type pg from 'pg';
import { badRequest } from '../shared/errors.js';
import { ToolError } from '../tools/errors.js';
import type { Allowlist } from '../tools/net/allowlist.js';
import { resolveTarget } from '../tools/net/guard.js';
import { CONNECTION_STRING_RE } from './enums.js';

/** What a connection string says, parsed; the password never leaves this object but to connect. */
export interface ConnectionSpec {
  host: string;
  port: number;
  database: string;
  user: string;
  password: string | null;
  sslmode: SslMode;
}
/** The connection as the API shows it: no password, ever. */
export type ConnectionView = Omit<ConnectionSpec, 'password'>;

const SSL_MODES = ['disable', 'require', 'verify-ca', 'verify-full'] as const;
type SslMode = (typeof SSL_MODES)[number];
/** Query parameters taken as harmless and not used (providers' strings carry them). */
const IGNORED = new Set(['channel_binding', 'application_name', 'connect_timeout', 'gssencmode', 'target_session_attrs']);

const field = 'body.connectionString';
const refuse = (message: string) => badRequest(`${field}: ${message}`, [{ path: field, message }], 'invalid_connection_string');

/**
 * Parses `postgres://user:password@host:port/database?sslmode=…` (libpq's URL form). Only the
 * parts Troupe uses are taken: parameters that would read files on this server (`sslrootcert`,
 * `sslkey`, `passfile`, `service`) or point elsewhere (`host`, `hostaddr`, a Unix socket, several
 * hosts) are refused with a 400 naming the field. `sslmode` is disable (default), require
 * (encrypted, certificate not checked) or verify-ca / verify-full (checked against the system's
 * CAs, for the host name given); `allow` and `prefer` are refused rather than silently downgraded.
 */
export function parseConnectionString(text: string): ConnectionSpec {
  if (!CONNECTION_STRING_RE.test(text)) throw refuse('must be a postgres:// or postgresql:// URL');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw refuse('is not a valid URL');
  }
  const host = decodeURIComponent(url.hostname).replace(/^\[(.*)\]$/, '$1');
  if (!host) throw refuse('has no host');
  if (host.startsWith('/') || host.includes(',')) throw refuse('must name one network host (no Unix socket, no list of hosts)');
  const port = url.port ? Number(url.port) : 5432;
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!database) throw refuse('has no database name (…/dbname)');
  if (database.includes('/')) throw refuse('has a path that is not a database name');
  const user = decodeURIComponent(url.username);
  if (!user) throw refuse('has no user name (postgres://user:password@host/db)');
  let sslmode: SslMode = 'disable';
  for (const [name, value] of url.searchParams) {
    if (name === 'sslmode') {
      if (!(SSL_MODES as readonly string[]).includes(value)) throw refuse(`sslmode=${value.slice(0, 40)} is not supported: use disable, require, verify-ca or verify-full`);
      sslmode = value as SslMode;
    } else if (!IGNORED.has(name)) {
      throw refuse(`the parameter ${name.slice(0, 40)} is not supported (only sslmode is used)`);
    }
  }
  return { host, port, database, user, password: url.password ? decodeURIComponent(url.password) : null, sslmode };
}

export const viewOf = (spec: ConnectionSpec): ConnectionView => ({ host: spec.host, port: spec.port, database: spec.database, user: spec.user, sslmode: spec.sslmode });

/** `postgres://user:••••@host:5432/db?sslmode=require`: what a person can recognise, without the password. */
export function maskedUrl(v: Omit<ConnectionView, 'sslmode'> & { sslmode: string; hasPassword?: boolean }): string {
  const host = v.host.includes(':') ? `[${v.host}]` : v.host;
  return `postgres://${encodeURIComponent(v.user)}${v.hasPassword === false ? '' : ':••••'}@${host}:${v.port}/${encodeURIComponent(v.database)}${v.sslmode === 'disable' ? '' : `?sslmode=${v.sslmode}`}`;
}

/** A connection refused by the egress guard, or a host that does not resolve: said in words a person can act on. */
export class EgressRefused extends Error {
  override name = 'EgressRefused';
  constructor(
    message: string,
    /** `not_allowed`: a private address the operator did not allow; `unresolved`: the name does not resolve. */
    readonly reason: 'not_allowed' | 'unresolved',
  ) {
    super(message);
  }
}

/**
 * The node-postgres settings for a source, pinned: the host is resolved and checked by the tools'
 * egress guard (tools/net/guard.ts resolveTarget: any private, loopback, link-local or reserved
 * address is refused unless TROUPE_PRIVATE_DATABASE_HOSTS covers it), and pg connects to the
 * address that was checked, so a DNS answer that changes after the check cannot redirect it. With
 * TLS the server name stays the host's name (SNI, and the certificate check of verify-*).
 * Called at every connect: DNS may change.
 */
export async function pinnedConfig(spec: ConnectionSpec, allowlist: Allowlist, extra: { applicationName: string; connectTimeoutMs?: number }): Promise<pg.ClientConfig> {
  let address: string;
  try {
    const url = new URL(`postgres://${spec.host.includes(':') ? `[${spec.host}]` : spec.host}:${spec.port}/`);
    address = (await resolveTarget(url, allowlist)).address;
  } catch (err) {
    if (err instanceof ToolError) {
      const allowed = err.code === 'not_allowed';
      throw new EgressRefused(allowed ? err.message.replace(/An administrator can allow it .*$/, "The server's operator can allow it with TROUPE_PRIVATE_DATABASE_HOSTS.") : err.message, allowed ? 'not_allowed' : 'unresolved');
    }
    throw err;
  }
  const ssl =
    spec.sslmode === 'disable'
      ? false
      : {
          rejectUnauthorized: spec.sslmode !== 'require',
          servername: spec.host,
          // verify-ca checks the chain but not the name.
          ...(spec.sslmode === 'verify-ca' ? { checkServerIdentity: () => undefined } : {}),
        };
  return {
    host: address,
    port: spec.port,
    database: spec.database,
    user: spec.user,
    password: spec.password ?? undefined,
    ssl,
    application_name: extra.applicationName,
    connectionTimeoutMillis: extra.connectTimeoutMs ?? 10_000,
    // A source's statements are small; a stuck one must not hold a listener forever, and a
    // connection whose peer vanished without a word (no RST) must be noticed: the client gives up
    // on a query after 30 s, and TCP keepalive probes the idle listening socket.
    statement_timeout: 30_000,
    query_timeout: 30_000,
    keepAlive: true,
    keepAliveInitialDelayMillis: 10_000,
  };
}
