import { DEFAULT_DISPATCH, type DispatchOptions } from '../runs/dispatch-port.js';

/**
 * DEFAULT_DISPATCH overlaid with `opts`; an explicit `undefined` keeps the default. Throws on
 * values neither adapter can honour (a concurrency of 0 would never run anything).
 */
export function resolveDispatchOptions(opts: Partial<DispatchOptions>): DispatchOptions {
  const o: DispatchOptions = {
    concurrency: opts.concurrency ?? DEFAULT_DISPATCH.concurrency,
    attempts: opts.attempts ?? DEFAULT_DISPATCH.attempts,
    backoffMs: opts.backoffMs ?? DEFAULT_DISPATCH.backoffMs,
    ratePerMinute: opts.ratePerMinute === undefined ? DEFAULT_DISPATCH.ratePerMinute : opts.ratePerMinute,
  };
  const whole = (n: number, min: number) => Number.isInteger(n) && n >= min;
  if (!whole(o.concurrency, 1)) throw new RangeError(`concurrency must be an integer >= 1, got ${o.concurrency}`);
  if (!whole(o.attempts, 1)) throw new RangeError(`attempts must be an integer >= 1, got ${o.attempts}`);
  if (!(o.backoffMs >= 0)) throw new RangeError(`backoffMs must be >= 0, got ${o.backoffMs}`);
  if (o.ratePerMinute !== null && !whole(o.ratePerMinute, 1)) throw new RangeError(`ratePerMinute must be an integer >= 1 or null, got ${o.ratePerMinute}`);
  return o;
}
