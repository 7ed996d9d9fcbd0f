import { isIP } from 'node:net';
import { z } from 'zod';

/** Named ranges proxy-addr (Fastify's trustProxy) understands besides addresses and CIDRs. */
const NAMED = new Set(['loopback', 'linklocal', 'uniquelocal']);

function isAddressOrCidr(entry: string): boolean {
  if (NAMED.has(entry)) return true;
  const [address = '', prefix, ...rest] = entry.split('/');
  const version = isIP(address);
  if (!version || rest.length) return false;
  if (prefix === undefined) return true;
  return /^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

/**
 * `TROUPE_TRUST_PROXY`: which reverse proxies' X-Forwarded-For to believe, in the forms Fastify's
 * `trustProxy` takes. Off (false) by default; `true` trusts every hop (only when nothing can reach
 * the server except through the proxy); a number trusts that many hops; a comma-separated list
 * of addresses, CIDRs or `loopback`/`linklocal`/`uniquelocal` trusts those proxies.
 */
export const trustProxySetting = z
  .union([z.boolean(), z.number(), z.string()])
  .default(false)
  .transform((v, ctx): boolean | number | string[] => {
    const text = String(v).trim().toLowerCase();
    if (text === '' || text === 'false' || text === 'no' || text === 'off') return false;
    if (text === 'true' || text === 'yes' || text === 'on') return true;
    if (/^\d+$/.test(text)) {
      const hops = Number(text);
      if (hops <= 100) return hops === 0 ? false : hops;
    }
    const entries = text.split(',').map((e) => e.trim()).filter(Boolean);
    const bad = entries.filter((e) => !isAddressOrCidr(e));
    if (bad.length || !entries.length) {
      ctx.addIssue({
        code: 'custom',
        message: `must be true, a hop count (0-100), or comma-separated IP addresses/CIDRs (or loopback, linklocal, uniquelocal); not ${bad.map((b) => `"${b}"`).join(', ') || 'understood'}`,
      });
      return z.NEVER;
    }
    return entries;
  });

/**
 * The setting in the form Fastify takes. Fastify 5.12 answers a bare hop count by trusting no
 * one (it cannot check the immediate peer), so a count becomes proxy-addr's hop function here:
 * the peer and the hops-1 proxies before it are believed, the address before them is the client.
 */
export function fastifyTrustProxy(setting: boolean | number | string[]): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof setting !== 'number') return setting;
  return (_address, hop) => hop < setting;
}
