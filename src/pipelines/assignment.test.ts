import { describe, expect, it } from 'vitest';
import { chooseAssignee, type Candidate } from './assignment.js';

/** The assignment rules on their own (docs/pipelines.md "Assignment"). */
const at = (minute: number | null) => (minute === null ? null : new Date(Date.UTC(2026, 0, 1, 9, minute)));
const c = (id: string, openItems: number, lastMinute: number | null, capacity: number | null = null): Candidate => ({
  staff: { id, name: id, email: null, userId: null, roles: [], capacity, active: true, createdAt: new Date(0) },
  openItems,
  lastAssignedAt: at(lastMinute),
});
const pick = (...args: Parameters<typeof chooseAssignee>) => chooseAssignee(...args)?.staff.id ?? null;

describe('chooseAssignee', () => {
  it('least_load: fewest open items, then least recently assigned (never first), then the directory order', () => {
    expect(pick('least_load', [c('a', 2, 1), c('b', 1, 5), c('c', 3, null)], null)).toBe('b');
    expect(pick('least_load', [c('a', 1, 5), c('b', 1, 2), c('c', 1, null)], null)).toBe('c');
    expect(pick('least_load', [c('a', 1, 5), c('b', 1, 2)], null)).toBe('b');
    expect(pick('least_load', [c('a', 0, null), c('b', 0, null)], null)).toBe('a');
  });

  it('least_load: staff at their capacity are passed over; nobody when all are full', () => {
    expect(pick('least_load', [c('a', 1, 1, 1), c('b', 4, 2)], null)).toBe('b');
    expect(pick('least_load', [c('a', 0, null, 0), c('b', 2, 2, 2)], null)).toBeNull();
    expect(pick('least_load', [], null)).toBeNull();
  });

  it('round_robin: the next after the last one, wrapping around, skipping who is full; the first when the last is gone', () => {
    const list = [c('a', 0, null), c('b', 0, null, 0), c('c', 0, null)];
    expect(pick('round_robin', list, null)).toBe('a');
    expect(pick('round_robin', list, 'a')).toBe('c');
    expect(pick('round_robin', list, 'c')).toBe('a');
    expect(pick('round_robin', list, 'gone')).toBe('a');
    expect(pick('round_robin', [c('a', 1, null, 1)], 'a')).toBeNull();
  });

  it('none: nobody', () => {
    expect(pick('none', [c('a', 0, null)], null)).toBeNull();
  });
});
