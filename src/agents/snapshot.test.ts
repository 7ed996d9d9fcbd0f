import { describe, expect, it } from 'vitest';
import { createAgentSchema, updateAgentSchema, type AgentSnapshot } from './dto.js';
import { applyUpdate, diffSnapshots, readSnapshot, snapshotOf } from './snapshot.js';

const current: AgentSnapshot = snapshotOf(
  createAgentSchema.parse({
    name: 'Ava',
    model: 'openai:gpt-4o-mini',
    personality: { traits: ['kind'], tone: 'warm' },
    limits: { maxSteps: 8, actionsPerHour: 100 },
  }),
);

describe('applyUpdate', () => {
  it('replaces top-level fields and merges nested objects key by key', () => {
    const next = applyUpdate(current, updateAgentSchema.parse({ temperature: 0.3, limits: { maxSteps: 5 }, personality: { behavior: 'brief' } }));
    expect(next.temperature).toBe(0.3);
    expect(next.limits).toEqual({ maxSteps: 5, timeoutSeconds: 300, actionsPerMinute: null, actionsPerHour: 100, monthlyBudgetMicros: null });
    expect(next.personality).toEqual({ traits: ['kind'], tone: 'warm', behavior: 'brief' });
    expect(next.memory).toEqual(current.memory);
    expect(current.limits.maxSteps).toBe(8);
  });

  it('removes a personality text given null or empty, and clears nullable fields with null', () => {
    const withTemp = { ...current, temperature: 1 };
    const next = applyUpdate(withTemp, updateAgentSchema.parse({ temperature: null, personality: { tone: null } }));
    expect(next.temperature).toBeNull();
    expect(next.personality).toEqual({ traits: ['kind'] });
    expect(applyUpdate(current, updateAgentSchema.parse({ personality: { tone: '  ' } })).personality).toEqual({ traits: ['kind'] });
  });

  it('ignores changeNote and expectedVersion', () => {
    const next = applyUpdate(current, updateAgentSchema.parse({ changeNote: 'x', expectedVersion: 3 }));
    expect(diffSnapshots(current, next)).toEqual([]);
  });
});

describe('diffSnapshots', () => {
  it('lists dotted paths of changed leaves, arrays as whole values', () => {
    const next: AgentSnapshot = {
      ...current,
      name: 'Bea',
      tags: ['x'],
      personality: { traits: ['kind'] },
      limits: { ...current.limits, monthlyBudgetMicros: 5_000_000 },
    };
    expect(diffSnapshots(current, next)).toEqual([
      { field: 'name', from: 'Ava', to: 'Bea' },
      { field: 'personality.tone', from: 'warm', to: null },
      { field: 'limits.monthlyBudgetMicros', from: null, to: 5_000_000 },
      { field: 'tags', from: [], to: ['x'] },
    ]);
  });

  it('ignores key order (jsonb reorders keys)', () => {
    const { maxSteps, ...restOfLimits } = current.limits;
    const reordered: AgentSnapshot = { ...current, limits: { ...restOfLimits, maxSteps } };
    expect(Object.keys(reordered.limits)[0]).not.toBe('maxSteps');
    expect(diffSnapshots(current, reordered)).toEqual([]);
  });
});

describe('readSnapshot', () => {
  it('fills fields an old snapshot lacks with their defaults', () => {
    const old = readSnapshot({ name: 'Old', model: 'openai:gpt-4o', limits: { maxSteps: 3 } });
    expect(old.limits).toEqual({ maxSteps: 3, timeoutSeconds: 300, actionsPerMinute: null, actionsPerHour: null, monthlyBudgetMicros: null });
    expect(old.memory).toEqual({ historyLength: 20, contextBudget: null });
    expect(old.status).toBe('active');
    expect(old.personality).toEqual({ traits: [] });
  });
});
