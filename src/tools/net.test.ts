import { describe, expect, it } from 'vitest';
import { addressAllowed, allowlistSchema, compileAllowlist, hostAllowed, normalizeAllowlistEntry } from './net/allowlist.js';
import { cidrContains, classifyAddress, formatIp, parseCidr, parseIp } from './net/ip.js';

const classify = (text: string) => classifyAddress(parseIp(text)!);

describe('IP classification', () => {
  it.each([
    ['127.0.0.1', 'loopback'],
    ['127.255.0.9', 'loopback'],
    ['::1', 'loopback'],
    ['[::1]', 'loopback'],
    ['0.0.0.0', 'unspecified'],
    ['::', 'unspecified'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['172.31.255.255', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['fc00::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['169.254.169.254', 'link-local'],
    ['fe80::1', 'link-local'],
    ['224.0.0.1', 'multicast'],
    ['ff02::1', 'multicast'],
    ['255.255.255.255', 'reserved'],
    ['::ffff:127.0.0.1', 'loopback'],
    ['::ffff:7f00:1', 'loopback'],
    ['::ffff:169.254.169.254', 'link-local'],
    ['::ffff:10.0.0.1', 'private'],
    ['64:ff9b::a00:1', 'private'], // NAT64 of 10.0.0.1
    ['2002:7f00:1::', 'loopback'], // 6to4 of 127.0.0.1
  ])('%s is %s', (ip, kind) => {
    expect(classify(ip)).toBe(kind);
  });

  it.each(['8.8.8.8', '1.1.1.1', '172.32.0.1', '100.128.0.1', '2606:4700:4700::1111', '::ffff:8.8.8.8', '64:ff9b::808:808'])('%s is public', (ip) => {
    expect(classify(ip)).toBeNull();
  });

  it('parses only real literals and prints them canonically', () => {
    expect(parseIp('2130706433')).toBeNull();
    expect(parseIp('0x7f.1')).toBeNull();
    expect(parseIp('fe80::1%eth0')).toBeNull();
    expect(formatIp(parseIp('2001:DB8:0:0:0:0:0:1')!)).toBe('2001:db8::1');
    expect(formatIp(parseIp('::ffff:7f00:1')!)).toBe('::ffff:127.0.0.1');
  });

  it('matches ranges, IPv4-mapped addresses as IPv4', () => {
    const range = parseCidr('10.1.2.3/8')!;
    expect(formatIp(range.ip)).toBe('10.0.0.0');
    expect(cidrContains(range, parseIp('10.200.0.1')!)).toBe(true);
    expect(cidrContains(range, parseIp('::ffff:10.200.0.1')!)).toBe(true);
    expect(cidrContains(range, parseIp('11.0.0.1')!)).toBe(false);
    expect(parseCidr('10.0.0.0/33')).toBeNull();
    expect(parseCidr('10.0.0.0/8/8')).toBeNull();
  });
});

describe('allowlist', () => {
  it.each([
    ['127.0.0.1', '127.0.0.1/32'],
    ['10.1.0.0/16', '10.1.0.0/16'],
    ['10.1.2.3/16', '10.1.0.0/16'],
    ['::1', '::1/128'],
    ['[fd00::]/8', 'fd00::/8'],
    ['Intranet.Example.', 'intranet.example'],
    ['*.corp.example', '*.corp.example'],
    ['localhost', 'localhost'],
  ])('stores %s as %s', (entry, stored) => {
    expect(normalizeAllowlistEntry(entry)).toEqual({ ok: true, value: stored });
  });

  it.each(['http://intranet', 'intranet:8080', 'intranet/path', '0.0.0.0/0', 'bad host', '*.', '10.0.0.0/99', ''])('refuses %j', (entry) => {
    expect(normalizeAllowlistEntry(entry).ok).toBe(false);
  });

  it('validates a list with the index of each bad entry, and de-duplicates', () => {
    const bad = allowlistSchema.safeParse(['ok.example', 'http://x', '10.0.0.0/8', '::/0']);
    expect(bad.success).toBe(false);
    expect(bad.error!.issues.map((i) => i.path)).toEqual([[1], [3]]);
    expect(allowlistSchema.parse(['A.example', 'a.example', '10.0.0.1'])).toEqual(['a.example', '10.0.0.1/32']);
  });

  it('matches hosts exactly or under a wildcard, and addresses by range', () => {
    const list = compileAllowlist(['intranet.example', '*.corp.example', '10.0.0.0/8']);
    expect(hostAllowed(list, 'INTRANET.example.')).toBe(true);
    expect(hostAllowed(list, 'a.b.corp.example')).toBe(true);
    expect(hostAllowed(list, 'corp.example')).toBe(false);
    expect(hostAllowed(list, 'evilintranet.example')).toBe(false);
    expect(addressAllowed(list, parseIp('10.9.9.9')!)).toBe(true);
    expect(addressAllowed(list, parseIp('192.168.0.1')!)).toBe(false);
  });
});
