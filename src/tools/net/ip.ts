import { isIP } from 'node:net';

/**
 * IP addresses as bytes, so ranges, IPv4-mapped IPv6 and every textual form (compressed IPv6,
 * embedded dotted quads) compare the same. Parsing accepts only what `net.isIP` accepts; the
 * WHATWG URL parser has already turned decimal, hex and octal IPv4 forms into dotted quads.
 */
export interface IpAddress {
  version: 4 | 6;
  bytes: Uint8Array;
}

export interface Cidr {
  ip: IpAddress;
  prefix: number;
}

/** Parses an IPv4 or IPv6 literal (brackets allowed); null when it is not one. Zone ids are refused. */
export function parseIp(text: string): IpAddress | null {
  const s = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (s.includes('%')) return null;
  const version = isIP(s);
  if (version === 4) return { version: 4, bytes: Uint8Array.from(s.split('.').map(Number)) };
  if (version === 6) return { version: 6, bytes: parseV6(s) };
  return null;
}

function parseV6(text: string): Uint8Array {
  let s = text.toLowerCase();
  // A trailing dotted quad (::ffff:1.2.3.4) becomes two hex groups.
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (dotted) {
    const [a, b, c, d] = dotted.slice(1).map(Number) as [number, number, number, number];
    s = s.slice(0, dotted.index) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = s.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const zeros = tail === undefined ? [] : Array<string>(8 - headGroups.length - tailGroups.length).fill('0');
  const groups = [...headGroups, ...zeros, ...tailGroups];
  const bytes = new Uint8Array(16);
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    bytes[2 * i] = n >> 8;
    bytes[2 * i + 1] = n & 0xff;
  });
  return bytes;
}

const isMapped = (b: Uint8Array) => b.length === 16 && b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff;

/** IPv4-mapped IPv6 (::ffff:a.b.c.d) as the IPv4 address it stands for; anything else unchanged. */
export const unmap = (ip: IpAddress): IpAddress => (ip.version === 6 && isMapped(ip.bytes) ? { version: 4, bytes: ip.bytes.slice(12) } : ip);

/** Canonical text: dotted quad, or RFC 5952 IPv6 (lowercase, longest zero run as ::). */
export function formatIp(ip: IpAddress): string {
  const b = ip.bytes;
  if (ip.version === 4) return Array.from(b).join('.');
  if (isMapped(b)) return `::ffff:${Array.from(b.subarray(12)).join('.')}`;
  const groups = Array.from({ length: 8 }, (_, i) => (b[2 * i]! << 8) | b[2 * i + 1]!);
  let best = { start: -1, len: 0 };
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > best.len && j - i >= 2) best = { start: i, len: j - i };
    i = j === i ? i + 1 : j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (best.start < 0) return hex.join(':');
  return `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.len).join(':')}`;
}

/** Parses `addr/prefix` (a bare address is a /32 or /128); host bits are cleared. Null when invalid. */
export function parseCidr(text: string): Cidr | null {
  const [addr = '', prefixText, extra] = text.trim().split('/');
  if (extra !== undefined) return null;
  const parsed = parseIp(addr);
  if (!parsed) return null;
  let ip = parsed;
  const max = ip.version === 4 ? 32 : 128;
  if (prefixText !== undefined && !/^\d{1,3}$/.test(prefixText)) return null;
  let prefix = prefixText === undefined ? max : Number(prefixText);
  if (prefix > max) return null;
  // ::ffff:10.0.0.0/104 is 10.0.0.0/8: keep one form so matching needs one rule.
  if (ip.version === 6 && isMapped(ip.bytes) && prefix >= 96) {
    ip = unmap(ip);
    prefix -= 96;
  }
  const bytes = ip.bytes.slice();
  for (let bit = prefix; bit < bytes.length * 8; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return { ip: { version: ip.version, bytes }, prefix };
}

export const formatCidr = (c: Cidr) => `${formatIp(c.ip)}/${c.prefix}`;

/** Whether `ip` (IPv4-mapped counts as IPv4) lies in the range. */
export function cidrContains(cidr: Cidr, address: IpAddress): boolean {
  const ip = unmap(address);
  if (ip.version !== cidr.ip.version) return false;
  for (let bit = 0; bit < cidr.prefix; bit++) {
    const mask = 0x80 >> (bit & 7);
    if ((ip.bytes[bit >> 3]! & mask) !== (cidr.ip.bytes[bit >> 3]! & mask)) return false;
  }
  return true;
}

export type AddressClass = 'unspecified' | 'loopback' | 'private' | 'link-local' | 'multicast' | 'reserved';

const range = (text: string, kind: AddressClass) => ({ cidr: parseCidr(text)!, kind });

// Special-purpose registries (IANA, RFC 6890 and successors): nothing an agent should reach unasked.
const V4_RANGES = [
  range('0.0.0.0/8', 'unspecified'),
  range('10.0.0.0/8', 'private'),
  range('100.64.0.0/10', 'private'), // carrier-grade NAT (shared address space)
  range('127.0.0.0/8', 'loopback'),
  range('169.254.0.0/16', 'link-local'), // includes cloud metadata, 169.254.169.254
  range('172.16.0.0/12', 'private'),
  range('192.0.0.0/24', 'reserved'),
  range('192.0.2.0/24', 'reserved'),
  range('192.88.99.0/24', 'reserved'),
  range('192.168.0.0/16', 'private'),
  range('198.18.0.0/15', 'reserved'),
  range('198.51.100.0/24', 'reserved'),
  range('203.0.113.0/24', 'reserved'),
  range('224.0.0.0/4', 'multicast'),
  range('240.0.0.0/4', 'reserved'), // includes the broadcast address
];

const V6_RANGES = [
  range('::/128', 'unspecified'),
  range('::1/128', 'loopback'),
  range('::/96', 'reserved'), // IPv4-compatible (deprecated)
  range('64:ff9b:1::/48', 'private'), // local-use NAT64
  range('100::/64', 'reserved'),
  range('2001::/32', 'reserved'), // Teredo: the IPv4 inside is obfuscated, so it cannot be checked
  range('2001:db8::/32', 'reserved'),
  range('fc00::/7', 'private'), // unique local
  range('fe80::/10', 'link-local'),
  range('fec0::/10', 'private'), // site-local (deprecated)
  range('ff00::/8', 'multicast'),
];

const NAT64 = parseCidr('64:ff9b::/96')!;
const SIX_TO_FOUR = parseCidr('2002::/16')!;

/**
 * Why an address must not be reached without an allowlist entry, or null for a public address.
 * IPv6 forms that carry an IPv4 address (mapped, NAT64, 6to4) are judged by that address.
 */
export function classifyAddress(address: IpAddress): AddressClass | null {
  const ip = unmap(address);
  if (ip.version === 4) return V4_RANGES.find((r) => cidrContains(r.cidr, ip))?.kind ?? null;
  const special = V6_RANGES.find((r) => cidrContains(r.cidr, ip))?.kind;
  if (special) return special;
  if (cidrContains(NAT64, ip)) return classifyAddress({ version: 4, bytes: ip.bytes.slice(12) });
  if (cidrContains(SIX_TO_FOUR, ip)) return classifyAddress({ version: 4, bytes: ip.bytes.slice(2, 6) });
  return null;
}
