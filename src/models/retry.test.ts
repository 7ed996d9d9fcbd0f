import { APICallError } from '@ai-sdk/provider';
import { describe, expect, it, vi } from 'vitest';
import { withRetries } from './retry.js';

const fail = (status: number, headers?: Record<string, string>) =>
  new APICallError({ message: `HTTP ${status}`, url: 'u', requestBodyValues: {}, statusCode: status, responseHeaders: headers });

/** fn that throws the given errors in turn, then returns 'ok'. */
function script(...errors: Error[]) {
  return vi.fn(async () => {
    const e = errors.shift();
    if (e) throw e;
    return 'ok';
  });
}

describe('withRetries', () => {
  it('waits what Retry-After asks, then succeeds', async () => {
    const fn = script(fail(429, { 'retry-after': '1' }));
    const sleep = vi.fn(async (_ms: number) => {});
    const onRetry = vi.fn();
    await expect(withRetries(fn, { maxRetries: 3, sleep, onRetry })).resolves.toBe('ok');
    expect(fn).toHaveBeenCalledTimes(2);
    expect(sleep.mock.calls.map((c) => c[0])).toEqual([1000]);
    expect(onRetry).toHaveBeenCalledWith(expect.objectContaining({ attempt: 1, delayMs: 1000, error: expect.objectContaining({ code: 'provider_rate_limited' }) }));
  });

  it('backs off exponentially with full jitter', async () => {
    const fn = script(fail(500), fail(502), fail(503));
    const sleep = vi.fn(async (_ms: number) => {});
    await withRetries(fn, { maxRetries: 3, baseDelayMs: 100, sleep, random: () => 0.5 });
    expect(sleep.mock.calls.map((c) => c[0])).toEqual([50, 100, 200]);
    // The extremes of the jitter stay inside [0, ceiling), and the ceiling is capped.
    const capped = vi.fn(async (_ms: number) => {});
    await withRetries(script(fail(500), fail(500), fail(500)), { maxRetries: 3, baseDelayMs: 100, maxDelayMs: 150, sleep: capped, random: () => 0.999 });
    expect(capped.mock.calls.map((c) => c[0])).toEqual([99, 149, 149]);
  });

  it('does not retry what is not retryable', async () => {
    const fn = script(fail(401));
    const sleep = vi.fn(async (_ms: number) => {});
    await expect(withRetries(fn, { maxRetries: 3, sleep })).rejects.toMatchObject({ statusCode: 401 });
    expect(fn).toHaveBeenCalledTimes(1);
    expect(sleep).not.toHaveBeenCalled();
  });

  it('gives up after maxRetries and throws the last error', async () => {
    const fn = script(fail(500), fail(500), fail(503));
    await expect(withRetries(fn, { maxRetries: 2, sleep: async () => {} })).rejects.toMatchObject({ statusCode: 503 });
    expect(fn).toHaveBeenCalledTimes(3);
  });

  it('moves on at once when Retry-After is longer than maxDelayMs', async () => {
    const fn = script(fail(429, { 'retry-after': '120' }));
    const sleep = vi.fn(async (_ms: number) => {});
    await expect(withRetries(fn, { maxRetries: 3, maxDelayMs: 30_000, sleep })).rejects.toMatchObject({ statusCode: 429 });
    expect(sleep).not.toHaveBeenCalled();
  });

  it('stops waiting as soon as the signal aborts', async () => {
    const controller = new AbortController();
    const fn = script(fail(429, { 'retry-after': '20' }));
    const started = Date.now();
    setTimeout(() => controller.abort(), 30);
    await expect(withRetries(fn, { maxRetries: 3, signal: controller.signal })).rejects.toMatchObject({ name: 'AbortError' });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(fn).toHaveBeenCalledTimes(1);
  });

  it('does not call at all with an aborted signal', async () => {
    const fn = script();
    await expect(withRetries(fn, { maxRetries: 3, signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    expect(fn).not.toHaveBeenCalled();
  });
});
