import { describe, expect, it } from 'vitest';
import { isConnectionLost } from './errors.js';

describe('isConnectionLost', () => {
  it('knows a lost connection from a wrong query, through wrapping errors', () => {
    const terminated = Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    expect(isConnectionLost(terminated)).toBe(true);
    expect(isConnectionLost(new Error('Failed query: select 1', { cause: terminated }))).toBe(true);
    expect(isConnectionLost(Object.assign(new Error('x'), { code: '08006' }))).toBe(true);
    expect(isConnectionLost(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isConnectionLost(new Error('Connection terminated unexpectedly'))).toBe(true);
    expect(isConnectionLost(Object.assign(new Error('duplicate key'), { code: '23505' }))).toBe(false);
    expect(isConnectionLost(Object.assign(new Error('syntax'), { code: '42601' }))).toBe(false);
    expect(isConnectionLost(new Error('The model refused'))).toBe(false);
    expect(isConnectionLost(null)).toBe(false);
  });
});
