import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';
import { PassLoop } from './pass-loop.js';

describe('PassLoop', () => {
  it('sleeps between idle passes, goes again at once for more work or a kick (also one made during a pass), and stops', async () => {
    let passes = 0;
    let release: () => void = () => {};
    let more = true;
    const loop = new PassLoop({
      what: 'test pass',
      logger: createLogger('silent'),
      idleMs: 60_000,
      pass: async () => {
        passes++;
        if (passes === 3) await new Promise<void>((r) => (release = r));
        const m = more;
        more = false;
        return m;
      },
    });
    loop.start();
    // Pass 1 had more: pass 2 at once; then it sleeps (a minute).
    await expect.poll(() => passes).toBe(2);
    await new Promise((r) => setTimeout(r, 50));
    expect(passes).toBe(2);
    // A kick ends the sleep: pass 3, held open; a kick while it runs is not lost.
    loop.kick();
    await expect.poll(() => passes).toBe(3);
    loop.kick();
    release();
    await expect.poll(() => passes).toBe(4);
    await loop.stop();
    expect(loop.started).toBe(false);
  });

  it('a failed pass is logged and the loop goes on', async () => {
    let passes = 0;
    const loop = new PassLoop({
      what: 'test pass',
      logger: createLogger('silent'),
      idleMs: 10,
      pass: async () => {
        passes++;
        if (passes === 1) throw new Error('boom');
        return false;
      },
    });
    loop.start();
    await expect.poll(() => passes).toBeGreaterThanOrEqual(2);
    await loop.stop();
  });
});
