import { isIPv4, isIPv6 } from 'node:net';

/**
 * The key a client address is counted under for sign-in lockout: IPv4 as is (IPv4-mapped IPv6
 * too), IPv6 by its /64 network, since one host usually holds a whole /64 and could otherwise
 * try from a fresh address every time.
 */
export function lockoutAddress(ip: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (isIPv4(ip)) return ip;
  if (!isIPv6(ip)) return ip.slice(0, 100);
  const [head = '', tail] = ip.toLowerCase().split('%')[0]!.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}
