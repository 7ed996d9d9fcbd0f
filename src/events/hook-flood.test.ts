import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { createTestApp, type TestApp } from '../../test/helpers/app.js';
import { FloodGuard } from '../http/flood-guard.js';

/**
 * `/hooks/{id}` past its flood guard (600,000 a minute per address and endpoint, counted in the
 * process): 429 as a problem with Retry-After, before the body is read or the endpoint looked up.
 * The guard's counting is FloodGuard's unit test; here it is told to refuse.
 */
let t: TestApp;
beforeAll(async () => {
  t = await createTestApp('pglite');
});
afterAll(() => t.close());

it('answers a delivery past the flood guard with 429, Retry-After and a problem naming it', async () => {
  const take = vi.spyOn(FloodGuard.prototype, 'take').mockReturnValue(4_200);
  try {
    const res = await t.app.inject({ method: 'POST', url: '/hooks/00000000-0000-0000-0000-000000000000', headers: { 'content-type': 'application/json' }, payload: '{}' });
    expect(res.statusCode).toBe(429);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.headers['content-type']).toContain('application/problem+json');
    expect(res.json()).toMatchObject({ code: 'rate_limited', detail: expect.stringContaining('try again in 5 s') });
    // Counted by address and endpoint.
    expect(take).toHaveBeenCalledWith(expect.stringMatching(/\|00000000-0000-0000-0000-000000000000$/));
  } finally {
    take.mockRestore();
  }
  // Under the limit, the same request goes through to the endpoint's own check (no such endpoint: 404).
  const res = await t.app.inject({ method: 'POST', url: '/hooks/00000000-0000-0000-0000-000000000000', headers: { 'content-type': 'application/json' }, payload: '{}' });
  expect(res.statusCode).toBe(404);
});
