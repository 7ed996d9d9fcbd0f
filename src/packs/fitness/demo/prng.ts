/**
 * The demo gym's randomness: mulberry32, a 32-bit generator small enough to read, seeded from
 * numbers and labels, so the same seed gives the same gym on every machine and Node version.
 * Nothing in the demo calls Math.random or reads the clock.
 */

/** FNV-1a over a string: a label or an organization id as a 32-bit seed. */
export function hash32(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export class Rng {
  private state: number;

  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A generator of its own for one part of the gym, so adding draws to one part leaves the others as they were. */
  fork(label: string): Rng {
    return new Rng(hash32(label, this.state ^ 0x9e3779b9));
  }

  /** The next 32 random bits (mulberry32). */
  next32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform in [0, 1). */
  float(): number {
    return this.next32() / 4294967296;
  }

  /** An integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  /** True with probability p. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.float() * items.length)]!;
  }

  /** An item drawn with the given weights (same order as items). */
  weighted<T>(items: readonly T[], weights: readonly number[]): T {
    const total = weights.reduce((a, b) => a + b, 0);
    let x = this.float() * total;
    for (let i = 0; i < items.length; i++) {
      x -= weights[i]!;
      if (x < 0) return items[i]!;
    }
    return items[items.length - 1]!;
  }

  /** A Poisson count with mean `lambda` (Knuth's method: the means here are small). */
  poisson(lambda: number): number {
    if (lambda <= 0) return 0;
    const limit = Math.exp(-lambda);
    let k = 0;
    let p = this.float();
    while (p > limit) {
      k++;
      p *= this.float();
    }
    return k;
  }

  /** `n` distinct items (or all of them), in draw order. */
  sample<T>(items: readonly T[], n: number): T[] {
    if (n >= items.length) {
      // All of them, shuffled (Fisher-Yates).
      const all = [...items];
      for (let i = all.length - 1; i > 0; i--) {
        const j = Math.floor(this.float() * (i + 1));
        [all[i], all[j]] = [all[j]!, all[i]!];
      }
      return all;
    }
    const picked = new Set<number>();
    const out: T[] = [];
    while (out.length < n) {
      const i = Math.floor(this.float() * items.length);
      if (picked.has(i)) continue;
      picked.add(i);
      out.push(items[i]!);
    }
    return out;
  }

  /** A version-4-shaped UUID from 122 random bits. */
  uuid(): string {
    const a = hex8(this.next32());
    const b = hex8(this.next32());
    const c = this.next32();
    const d = hex8(this.next32());
    // The variant's two bits (10) over c's top bits; the version nibble (4) replaces b's fifth.
    const c8 = hex8(((c & 0x3fffffff) | 0x80000000) >>> 0);
    return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${c8.slice(0, 4)}-${c8.slice(4)}${d}`;
  }
}

const hex8 = (n: number): string => (n + 0x100000000).toString(16).slice(1);
