import { describe, expect, it } from 'vitest';
import { TtlCache } from './ttl-cache.js';

describe('TtlCache', () => {
  it('reuses a value until it expires, shares concurrent loads, forgets failures and deleted keys', async () => {
    const cache = new TtlCache<string, number>(1000);
    let loads = 0;
    const load = async () => ++loads;
    expect(await Promise.all([cache.get('a', load, 0), cache.get('a', load, 10)])).toEqual([1, 1]);
    expect(await cache.get('a', load, 999)).toBe(1);
    expect(await cache.get('a', load, 1000)).toBe(2);
    cache.delete('a');
    expect(await cache.get('a', load, 1001)).toBe(3);
    await expect(cache.get('b', () => Promise.reject(new Error('x')), 0)).rejects.toThrow('x');
    await new Promise((r) => setTimeout(r, 0));
    expect(await cache.get('b', load, 1)).toBe(4);
  });
});
