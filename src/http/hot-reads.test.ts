import { describe, expect, it } from 'vitest';
import { HotReads, type ChangeSource } from './hot-reads.js';

function source(live = true) {
  const listeners: ((topic: string, orgId: string | null) => void)[] = [];
  const s = {
    live,
    onChange: (l: (topic: string, orgId: string | null) => void) => void listeners.push(l),
    change: (topic: string, orgId: string | null) => listeners.forEach((l) => l(topic, orgId)),
  };
  return s satisfies ChangeSource;
}

const ORG_A = 'a';
const ORG_B = 'b';

describe('HotReads', () => {
  it('serves a kept body until a change of its topic in its organization', async () => {
    const changes = source();
    const cache = new HotReads(changes);
    let loads = 0;
    const read = (org: string, key = 'q') => cache.get('agents', org, key, async () => ({ n: ++loads }), (v) => JSON.stringify(v));
    expect(await read(ORG_A)).toBe('{"n":1}');
    expect(await read(ORG_A)).toBe('{"n":1}');
    expect(await read(ORG_A, 'other query')).toBe('{"n":2}');
    expect(await read(ORG_B)).toBe('{"n":3}');
    // Another topic, or another organization, leaves it.
    changes.change('tasks', ORG_A);
    changes.change('agents', ORG_B);
    expect(await read(ORG_A)).toBe('{"n":1}');
    expect(await read(ORG_B)).toBe('{"n":4}');
    changes.change('agents', ORG_A);
    expect(await read(ORG_A)).toBe('{"n":5}');
    expect(await read(ORG_A, 'other query')).toBe('{"n":6}');
    expect(cache.hits).toBe(2);
  });

  it('does not keep what a load read before a change it heard meanwhile', async () => {
    const changes = source();
    const cache = new HotReads(changes);
    let value = 'old';
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const first = cache.get('agents', ORG_A, 'q', async () => {
      const v = value;
      await gate;
      return v;
    }, String);
    value = 'new';
    changes.change('agents', ORG_A);
    release();
    expect(await first).toBe('old');
    expect(await cache.get('agents', ORG_A, 'q', async () => value, String)).toBe('new');
  });

  it('keeps and serves nothing while the change source is not live, and forgets all when it says anything changed', async () => {
    const changes = source(false);
    const cache = new HotReads(changes);
    let loads = 0;
    const read = () => cache.get('agents', ORG_A, 'q', async () => ++loads, String);
    expect(await read()).toBe('1');
    expect(await read()).toBe('2');
    expect(cache.size).toBe(0);
    changes.live = true;
    expect(await read()).toBe('3');
    expect(await read()).toBe('3');
    changes.change('*', null);
    expect(await read()).toBe('4');
    changes.live = false;
    expect(await read()).toBe('5');
  });

  it('identical reads arriving together share one load; a failed load is not kept', async () => {
    const cache = new HotReads(source());
    let loads = 0;
    const bodies = await Promise.all(Array.from({ length: 5 }, () => cache.get('agents', ORG_A, 'q', async () => ++loads, String)));
    expect(bodies).toEqual(['1', '1', '1', '1', '1']);
    await expect(cache.get('agents', ORG_B, 'q', async () => Promise.reject(new Error('db down')), String)).rejects.toThrow('db down');
    expect(await cache.get('agents', ORG_B, 'q', async () => 'up', String)).toBe('up');
  });

  it('keeps at most maxEntries (least recently used go first) and no body over maxBodyLength', async () => {
    const changes = source();
    const cache = new HotReads(changes, { maxEntries: 2, maxBodyLength: 5 });
    let loads = 0;
    const read = (key: string) => cache.get('agents', ORG_A, key, async () => `${key}${++loads}`, String);
    await read('a');
    await read('b');
    await read('a'); // a is now the most recent
    await read('c'); // b goes
    expect(cache.size).toBe(2);
    expect(await read('a')).toBe('a1');
    expect(await read('b')).toBe('b4');
    expect(await read('long body')).toBe('long body5');
    expect(await read('long body')).toBe('long body6');
    // A change still reaches entries kept after evictions.
    changes.change('agents', ORG_A);
    expect(await read('b')).toBe('b7');
  });
});
