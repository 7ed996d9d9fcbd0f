import { describe, expect, it } from 'vitest';
import { labelEvery, linePath, niceCeiling, slotX, ticks, valueY, type Plot } from './scale';

describe('niceCeiling and ticks', () => {
  it('rounds the top of the axis up to 1, 2, 2.5 or 5 × a power of ten', () => {
    expect([0, -5, Number.NaN].map(niceCeiling)).toEqual([1, 1, 1]);
    expect([1, 1.5, 2, 2.2, 3, 7, 10, 11, 1234, 25_000_001].map(niceCeiling)).toEqual([1, 2, 2, 2.5, 5, 10, 10, 20, 2000, 50_000_000]);
    expect(niceCeiling(0.034)).toBe(0.05);
    expect(niceCeiling(0.3)).toBe(0.5);
    expect(niceCeiling(0.25)).toBe(0.25);
  });

  it('spaces the ticks evenly from 0, without float noise', () => {
    expect(ticks(87)).toEqual([0, 25, 50, 75, 100]);
    expect(ticks(0.07)).toEqual([0, 0.025, 0.05, 0.075, 0.1]);
    expect(ticks(0.3, 5)).toEqual([0, 0.1, 0.2, 0.3, 0.4, 0.5]);
    expect(ticks(0)).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });
});

describe('positions', () => {
  const plot: Plot = { width: 120, height: 60, left: 10, right: 10, top: 5, bottom: 5 };

  it('spreads slots over the width, a lone point in the middle', () => {
    expect([0, 1, 2].map((i) => slotX(plot, i, 3))).toEqual([10, 60, 110]);
    expect(slotX(plot, 0, 1)).toBe(60);
  });

  it('puts 0 at the bottom and the top at the top, clamping outside values', () => {
    expect(valueY(plot, 0, 100)).toBe(55);
    expect(valueY(plot, 100, 100)).toBe(5);
    expect(valueY(plot, 50, 100)).toBe(30);
    expect(valueY(plot, 150, 100)).toBe(5);
    expect(valueY(plot, -3, 100)).toBe(55);
  });

  it('draws a line through the points left to right', () => {
    expect(linePath(plot, [0, 50, 100], 100)).toBe('M10 55 L60 30 L110 5');
    expect(linePath(plot, [], 100)).toBe('');
  });
});

describe('labelEvery', () => {
  it('keeps at most about `max` labels, always the last, never one crowding it', () => {
    const shown = (n: number, max: number) => Array.from({ length: n }, (_, i) => i).filter(labelEvery(n, max));
    expect(shown(5, 10)).toEqual([0, 1, 2, 3, 4]);
    expect(shown(13, 6)).toEqual([0, 3, 6, 9, 12]);
    expect(shown(12, 6)).toEqual([0, 2, 4, 6, 8, 11]);
    expect(shown(1, 6)).toEqual([0]);
  });
});
