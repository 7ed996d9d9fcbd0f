import type { Config } from '../config/load.js';
import { compileAllowlist, type Allowlist } from '../tools/net/allowlist.js';

/** The email sources' settings, read once from the configuration (docs/email.md). */
export interface EmailSettings {
  /** TROUPE_SMTP_INBOUND_PORT: null, the listener is off. */
  smtpPort: number | null;
  /** TROUPE_SMTP_INBOUND_HOST: the address the listener binds (default 0.0.0.0). */
  smtpHost: string;
  /** TROUPE_SMTP_INBOUND_DOMAIN: the domain of every SMTP inbox's address. */
  domain: string;
  /** TROUPE_SMTP_INBOUND_MAX_BYTES: the largest mail (SMTP, IMAP, inbound parse) taken whole (default 10 MiB). */
  maxBytes: number;
  /** TROUPE_PRIVATE_MAIL_HOSTS: private hosts an IMAP inbox may name. */
  privateHosts: Allowlist;
}

/**
 * The domain default is the host name of TROUPE_PUBLIC_URL (the name people already reach the
 * install by, which is where its MX record would point), else `localhost`.
 */
export function emailSettings(config: Config): EmailSettings {
  const fromPublicUrl = config.TROUPE_PUBLIC_URL ? new URL(config.TROUPE_PUBLIC_URL).hostname : null;
  return {
    smtpPort: config.TROUPE_SMTP_INBOUND_PORT ?? null,
    smtpHost: config.TROUPE_SMTP_INBOUND_HOST,
    domain: (config.TROUPE_SMTP_INBOUND_DOMAIN ?? fromPublicUrl ?? 'localhost').toLowerCase(),
    maxBytes: config.TROUPE_SMTP_INBOUND_MAX_BYTES,
    privateHosts: compileAllowlist(config.TROUPE_PRIVATE_MAIL_HOSTS),
  };
}
