/*
 * Scales of the Gym charts (pure: no DOM), so the arithmetic is tested apart from the SVG.
 */

/** The top of an axis: the smallest 1, 2, 2.5 or 5 × a power of ten at or above `max` (1 when there is nothing to show). */
export function niceCeiling(max: number): number {
  if (!Number.isFinite(max) || max <= 0) return 1;
  const power = 10 ** Math.floor(Math.log10(max));
  for (const step of [1, 2, 2.5, 5, 10]) {
    // A little tolerance: 0.3 / 0.1 is 2.9999999999999996, not above 3.
    if (step * power >= max * (1 - 1e-12)) return step * power;
  }
  return 10 * power;
}

/** `count` + 1 evenly spaced ticks from 0 to the nice ceiling of `max`, rounded against float noise. */
export function ticks(max: number, count = 4): number[] {
  const top = niceCeiling(max);
  return Array.from({ length: count + 1 }, (_, i) => Number(((top * i) / count).toPrecision(12)));
}

export interface Plot {
  width: number;
  height: number;
  /** Padding inside the SVG, for the axis labels. */
  left: number;
  right: number;
  top: number;
  bottom: number;
}

/** The centre x of slot `i` of `n` across the plot's width (a single point sits in the middle). */
export function slotX(plot: Plot, i: number, n: number): number {
  const inner = plot.width - plot.left - plot.right;
  if (n <= 1) return plot.left + inner / 2;
  return plot.left + (inner * i) / (n - 1);
}

/** The y of `value` on an axis from 0 (the bottom) to `top`, clamped to the plot. */
export function valueY(plot: Plot, value: number, top: number): number {
  const inner = plot.height - plot.top - plot.bottom;
  const share = top > 0 ? Math.min(1, Math.max(0, value / top)) : 0;
  return plot.top + inner * (1 - share);
}

/** An SVG path through the points, left to right ("M x y L x y …"), coordinates to 0.1. */
export function linePath(plot: Plot, values: number[], top: number): string {
  return values.map((v, i) => `${i === 0 ? 'M' : 'L'}${round(slotX(plot, i, values.length))} ${round(valueY(plot, v, top))}`).join(' ');
}

/** Which labels of `n` to print so that at most `max` show, evenly: every k-th, and always the last. */
export function labelEvery(n: number, max: number): (i: number) => boolean {
  const step = Math.max(1, Math.ceil(n / Math.max(1, max)));
  return (i) => i === n - 1 || (i % step === 0 && n - 1 - i > step / 2);
}

const round = (n: number) => Math.round(n * 10) / 10;
