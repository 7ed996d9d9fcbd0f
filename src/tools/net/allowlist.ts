import { z } from 'zod';
import { cidrContains, formatCidr, parseCidr, parseIp, type Cidr, type IpAddress } from './ip.js';

/** At most this many entries per organization: an allowlist is a short list of exceptions. */
export const MAX_ALLOWLIST_ENTRIES = 100;

const LABEL = '[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?';
const HOSTNAME_RE = new RegExp(`^(?:\\*\\.)?${LABEL}(?:\\.${LABEL})*$`);

/**
 * One allowlist entry in its stored form: a hostname (lowercase, no trailing dot; `*.corp.example`
 * covers every subdomain, not corp.example itself), or a CIDR range with its host bits cleared
 * (a bare address becomes /32 or /128). Returns a message a person can act on when it is neither.
 */
export function normalizeAllowlistEntry(text: string): { ok: true; value: string } | { ok: false; message: string } {
  const s = text.trim().toLowerCase().replace(/\.$/, '');
  if (/[/:]/.test(s) || parseIp(s)) {
    const cidr = parseCidr(s);
    if (!cidr) return { ok: false, message: 'must be a hostname, an IP address or a CIDR range (no scheme, port or path)' };
    if (cidr.prefix === 0) return { ok: false, message: 'a /0 range would switch the protection off entirely; list the ranges you need' };
    return { ok: true, value: formatCidr(cidr) };
  }
  if (s.length > 253 || !HOSTNAME_RE.test(s)) return { ok: false, message: 'must be a hostname, an IP address or a CIDR range (no scheme, port or path)' };
  return { ok: true, value: s };
}

/** Body field of `PUT /tool-settings`: entries normalized and de-duplicated, each error at its index. */
export const allowlistSchema = z
  .array(z.string().max(300))
  .max(MAX_ALLOWLIST_ENTRIES)
  .superRefine((entries, ctx) => {
    entries.forEach((entry, i) => {
      const result = normalizeAllowlistEntry(entry);
      if (!result.ok) ctx.addIssue({ code: 'custom', path: [i], message: result.message });
    });
  })
  .transform((entries) => [...new Set(entries.map((e) => (normalizeAllowlistEntry(e) as { value: string }).value))])
  .describe('Hostnames (`*.corp.example` for subdomains), IP addresses or CIDR ranges that http tools may reach although they are private');

/** An organization's allowlist, ready for matching. */
export interface Allowlist {
  hosts: Set<string>;
  /** Suffixes from `*.` entries, with their leading dot. */
  suffixes: string[];
  cidrs: Cidr[];
}

export const EMPTY_ALLOWLIST: Allowlist = { hosts: new Set(), suffixes: [], cidrs: [] };

/** Stored entries to a matcher; entries that no longer parse are skipped (they were validated on the way in). */
export function compileAllowlist(entries: readonly string[]): Allowlist {
  const list: Allowlist = { hosts: new Set(), suffixes: [], cidrs: [] };
  for (const entry of entries) {
    const cidr = /[/:]/.test(entry) || parseIp(entry) ? parseCidr(entry) : null;
    if (cidr) list.cidrs.push(cidr);
    else if (entry.startsWith('*.')) list.suffixes.push(entry.slice(1));
    else list.hosts.add(entry);
  }
  return list;
}

/** The hostname itself is listed (exactly, or under a `*.` entry). */
export function hostAllowed(list: Allowlist, hostname: string): boolean {
  const host = hostname.toLowerCase().replace(/\.$/, '');
  return list.hosts.has(host) || list.suffixes.some((suffix) => host.endsWith(suffix));
}

/** The address lies in a listed range. */
export const addressAllowed = (list: Allowlist, ip: IpAddress): boolean => list.cidrs.some((c) => cidrContains(c, ip));
