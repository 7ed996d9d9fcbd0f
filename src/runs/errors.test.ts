import { DrizzleQueryError } from 'drizzle-orm/errors';
import { describe, expect, it } from 'vitest';
import { openPglite } from '../db/client.js';
import { toRunError } from './errors.js';

describe('toRunError', () => {
  it("keeps a failed query's SQL and values out of the run's error, which the organization reads", async () => {
    const db = await openPglite('memory://');
    try {
      const err = await db.system((tx) => tx.execute(`select 'secret prompt text'::uuid`)).catch((e: unknown) => e);
      const stored = toRunError(err);
      expect(stored).toEqual({ code: 'internal_error', category: 'system', message: 'An internal database error stopped the run' });
      expect(JSON.stringify(stored)).not.toContain('secret prompt text');
    } finally {
      await db.close();
    }
    const wrapped = new DrizzleQueryError('insert into messages values ($1)', ['my private words'], Object.assign(new Error('x'), { code: '23505', severity: 'ERROR' }));
    expect(JSON.stringify(toRunError(wrapped))).not.toContain('my private words');
  });

  it('keeps the code, category and message of errors that carry them', () => {
    expect(toRunError(Object.assign(new Error('Too many requests'), { code: 'provider_rate_limited', category: 'third_party' }))).toEqual({
      code: 'provider_rate_limited',
      category: 'third_party',
      message: 'Too many requests',
    });
  });
});
