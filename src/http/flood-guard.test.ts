import { describe, expect, it } from 'vitest';
import { FloodGuard } from './flood-guard.js';

describe('FloodGuard', () => {
  it('lets max requests per key through in a window, refuses the next with the time left, and starts over in the next window', () => {
    const guard = new FloodGuard(3, 60_000);
    const t = 120_000 + 10_000;
    expect([guard.take('a', t), guard.take('a', t), guard.take('a', t)]).toEqual([0, 0, 0]);
    expect(guard.take('a', t + 5_000)).toBe(45_000);
    // Another key has its own count.
    expect(guard.take('b', t)).toBe(0);
    // The next window.
    expect(guard.take('a', 180_000)).toBe(0);
  });

  it('holds at most maxKeys keys: past them the window starts over', () => {
    const guard = new FloodGuard(1, 60_000, 2);
    guard.take('a', 0);
    expect(guard.take('a', 0)).toBeGreaterThan(0);
    guard.take('b', 0);
    // A third key clears the counts (fails open rather than growing).
    expect(guard.take('c', 0)).toBe(0);
    expect(guard.take('a', 0)).toBe(0);
  });
});
