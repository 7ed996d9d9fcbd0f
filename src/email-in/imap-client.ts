import { ImapFlow } from 'imapflow';
import { AppError } from '../shared/errors.js';
import type { Allowlist } from '../tools/net/allowlist.js';
import { ToolError } from '../tools/errors.js';
import { resolveTarget, type PinnedTarget } from '../tools/net/guard.js';

/** Where and as whom an IMAP inbox connects. */
export interface ImapTarget {
  host: string;
  port: number;
  secure: boolean;
  username: string;
  password: string;
}

/** A host an organization may not reach (private, loopback, …, and not in TROUPE_PRIVATE_MAIL_HOSTS). */
export class MailHostRefused extends AppError {
  constructor(message: string) {
    super(400, 'host_not_allowed', message, [{ path: 'body.host', message }]);
  }
}

// Short enough that a dead server fails a poll well within its lease.
const TIMEOUTS = { connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 60_000 };

/**
 * Resolves the host through the egress guard (tools/net/guard.ts): refused when any of its
 * addresses is private, loopback, link-local or reserved, unless TROUPE_PRIVATE_MAIL_HOSTS covers
 * it. The connection then goes to the address that was checked (DNS rebinding cannot redirect it).
 */
export async function pinMailHost(host: string, allowlist: Allowlist): Promise<PinnedTarget> {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  try {
    return await resolveTarget(new URL(`imap://${bare.includes(':') ? `[${bare}]` : bare}`), allowlist);
  } catch (err) {
    if (err instanceof ToolError) {
      const reason = err.code === 'not_allowed' ? err.message.replace(/ An administrator can allow it.*$/, ' The server operator can allow it with TROUPE_PRIVATE_MAIL_HOSTS.') : err.message;
      throw new MailHostRefused(reason);
    }
    throw err;
  }
}

/**
 * A logged-in IMAP client for an organization's mailbox, connected to the pinned address (TLS
 * still checks the certificate against the host name). Throws MailHostRefused, or the
 * connection's error (see `imapErrorText`).
 */
export async function connectImap(target: ImapTarget, allowlist: Allowlist): Promise<ImapFlow> {
  const pinned = await pinMailHost(target.host, allowlist);
  const name = target.host.replace(/^\[(.*)\]$/, '$1');
  const client = new ImapFlow({
    host: pinned.address,
    port: target.port,
    secure: target.secure,
    // SNI and the certificate check use the name, not the address connected to.
    ...(name !== pinned.address ? { servername: name } : {}),
    auth: { user: target.username, pass: target.password },
    logger: false,
    disableAutoIdle: true,
    ...TIMEOUTS,
  });
  // A socket error after connect is also thrown from the command in flight; without a listener
  // the emitter would crash the process.
  client.on('error', () => {});
  await client.connect();
  return client;
}

/**
 * A failure as a person can act on it, without the password (imapflow's errors never carry it;
 * only their message and the server's answer are used).
 */
export function imapErrorText(err: unknown): string {
  if (err instanceof AppError) return err.message;
  const e = err as { message?: string; responseText?: string; authenticationFailed?: boolean; code?: string };
  if (e?.authenticationFailed) return `Sign-in refused by the server${e.responseText ? `: ${e.responseText}` : ''}`;
  const parts = [e?.message ?? String(err), e?.responseText && e.responseText !== e.message ? e.responseText : null, e?.code && !String(e.message).includes(e.code) ? `(${e.code})` : null];
  return parts.filter(Boolean).join(': ').slice(0, 500);
}
