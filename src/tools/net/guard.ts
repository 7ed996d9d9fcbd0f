import { lookup } from 'node:dns/promises';
import { ToolError } from '../errors.js';
import { addressAllowed, hostAllowed, type Allowlist } from './allowlist.js';
import { classifyAddress, formatIp, parseIp, type IpAddress } from './ip.js';

/** The one address a request connects to, decided before connecting (no second DNS lookup). */
export interface PinnedTarget {
  address: string;
  family: 4 | 6;
}

/**
 * Parses an outbound URL: http or https only, and no user:password part (credentials belong in
 * a header, where they are not echoed into logs and step records with the URL).
 */
export function checkUrl(text: string | URL, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(text, base);
  } catch {
    throw new ToolError(`Not a valid URL: ${String(text).slice(0, 200)}`, 'invalid_arguments');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ToolError(`Only http and https URLs are allowed, not ${url.protocol}`, 'not_allowed');
  if (url.username || url.password) throw new ToolError('URLs with a user name or password are not allowed; send credentials in a header', 'invalid_arguments');
  if (!url.hostname) throw new ToolError('The URL has no host', 'invalid_arguments');
  return url;
}

export const hostOf = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

async function resolveAll(host: string): Promise<IpAddress[]> {
  try {
    const found = await lookup(host, { all: true, verbatim: true });
    return found.map((a) => parseIp(a.address)).filter((ip): ip is IpAddress => ip !== null);
  } catch {
    throw new ToolError(`Could not resolve the host ${host}`);
  }
}

/**
 * Resolves the URL's host and refuses it when ANY of its addresses is loopback, private,
 * link-local, unspecified, multicast or reserved (IPv4-mapped IPv6 judged as IPv4), unless the
 * hostname or a range covering that address is in the organization's allowlist. Checking every
 * address, not only the one used, means a name cannot mix a public and a private answer to slip
 * through. The caller connects to the returned address, so a DNS answer that changes between
 * check and connect (rebinding) has no effect.
 */
export async function resolveTarget(url: URL, allowlist: Allowlist): Promise<PinnedTarget> {
  const host = hostOf(url);
  const literal = parseIp(host);
  const addresses = literal ? [literal] : await resolveAll(host);
  const first = addresses[0];
  if (!first) throw new ToolError(`Could not resolve the host ${host}`);
  const hostListed = !literal && hostAllowed(allowlist, host);
  for (const ip of addresses) {
    const kind = classifyAddress(ip);
    if (!kind || hostListed || addressAllowed(allowlist, ip)) continue;
    // The resolved address is not shown for names: it would tell a prompt-injected model about the internal network.
    const what = literal ? `${formatIp(ip)} is a ${kind} address` : `${host} resolves to a ${kind} address`;
    throw new ToolError(`Refused: ${what}. An administrator can allow it in the tool settings (httpAllowlist).`, 'not_allowed');
  }
  return { address: formatIp(first), family: first.version };
}
