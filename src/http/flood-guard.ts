/**
 * A flood guard counted in this process: at most `max` requests per key in each fixed window.
 * For public intakes that must take bursts (inbound webhooks): a limit this high protects the
 * process taking the flood, so each process counts its own, without a round trip to Redis per
 * request (decision 75). Limits that must hold across processes (sign-in attempts) use the shared
 * counters of @fastify/rate-limit instead.
 */
export class FloodGuard {
  private window = -1;
  private readonly counts = new Map<string, number>();

  constructor(
    private readonly max: number,
    private readonly windowMs: number,
    /** Keys held per window at most; past it the window starts over (a guard, never a memory leak). */
    private readonly maxKeys = 100_000,
  ) {}

  /** Counts one request for `key`: 0 when it may go on, else the milliseconds until the window ends. */
  take(key: string, now = Date.now()): number {
    const window = Math.floor(now / this.windowMs);
    if (window !== this.window || this.counts.size >= this.maxKeys) {
      this.window = window;
      this.counts.clear();
    }
    const n = (this.counts.get(key) ?? 0) + 1;
    this.counts.set(key, n);
    return n > this.max ? (window + 1) * this.windowMs - now : 0;
  }
}
