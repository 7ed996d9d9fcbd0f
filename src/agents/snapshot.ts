import {
  DEFAULT_LIMITS,
  DEFAULT_MEMORY,
  type Agent,
  type AgentSnapshot,
  type CreateAgentInput,
  type FieldChange,
  type UpdateAgentInput,
} from './dto.js';
import type { agents } from './schema.js';

export type AgentRow = typeof agents.$inferSelect;

/** The configuration fields, in the order versions and comparisons list them. */
export const SNAPSHOT_FIELDS = [
  'name',
  'description',
  'role',
  'model',
  'fallbackModels',
  'temperature',
  'maxOutputTokens',
  'topP',
  'instructions',
  'personality',
  'tools',
  'approvalTools',
  'memory',
  'limits',
  'tags',
  'status',
] as const satisfies readonly (keyof AgentSnapshot)[];

/** The configuration part of a row or of a validated create body (counters and times left out). */
export function snapshotOf(source: AgentRow | CreateAgentInput): AgentSnapshot {
  return {
    name: source.name,
    description: source.description,
    role: source.role,
    model: source.model,
    fallbackModels: [...source.fallbackModels],
    temperature: source.temperature,
    maxOutputTokens: source.maxOutputTokens,
    topP: source.topP,
    instructions: source.instructions,
    personality: { ...source.personality, traits: [...source.personality.traits] },
    tools: [...source.tools],
    approvalTools: [...source.approvalTools],
    memory: { ...source.memory },
    limits: { ...source.limits },
    tags: [...source.tags],
    status: source.status,
  };
}

/**
 * Reads a stored snapshot. Fields added to agents after a version was written take their
 * defaults, so old versions still render, compare and restore.
 */
export function readSnapshot(raw: Record<string, unknown>): AgentSnapshot {
  const s = raw as Partial<AgentSnapshot>;
  return {
    name: s.name ?? '',
    description: s.description ?? '',
    role: s.role ?? '',
    model: s.model ?? '',
    fallbackModels: s.fallbackModels ?? [],
    temperature: s.temperature ?? null,
    maxOutputTokens: s.maxOutputTokens ?? null,
    topP: s.topP ?? null,
    instructions: s.instructions ?? '',
    personality: { ...s.personality, traits: s.personality?.traits ?? [] },
    tools: s.tools ?? [],
    approvalTools: s.approvalTools ?? [],
    memory: { ...DEFAULT_MEMORY, ...s.memory },
    limits: { ...DEFAULT_LIMITS, ...s.limits },
    tags: s.tags ?? [],
    status: s.status ?? 'active',
  };
}

/** The API view of a row. */
export function toAgent(row: AgentRow): Agent {
  return {
    id: row.id,
    orgId: row.orgId,
    ...snapshotOf(row),
    version: row.version,
    executionCount: row.executionCount,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    deletedAt: row.deletedAt?.toISOString() ?? null,
  };
}

/**
 * Applies a PATCH body: top-level fields replace, personality/memory/limits merge key by key, and
 * a null or empty personality text removes that key. Returns a new snapshot.
 */
export function applyUpdate(current: AgentSnapshot, patch: UpdateAgentInput): AgentSnapshot {
  const { personality, memory, limits, changeNote: _note, expectedVersion: _expected, ...plain } = patch;
  const next: AgentSnapshot = { ...current };
  for (const [key, value] of Object.entries(plain)) {
    if (value !== undefined) (next as Record<string, unknown>)[key] = value;
  }
  if (personality) {
    const merged: Record<string, unknown> = { ...current.personality };
    for (const [key, value] of Object.entries(personality)) {
      if (value === undefined) continue;
      if (value === null || value === '') delete merged[key];
      else merged[key] = value;
    }
    next.personality = merged as AgentSnapshot['personality'];
  }
  if (memory) next.memory = { ...current.memory, ...defined(memory) };
  if (limits) next.limits = { ...current.limits, ...defined(limits) };
  return next;
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * What differs between two snapshots, as dotted paths (`limits.maxSteps`, `personality.tone`).
 * Nested objects are compared key by key; arrays and scalars as whole values. A key missing on
 * one side reads as null.
 */
export function diffSnapshots(from: AgentSnapshot, to: AgentSnapshot): FieldChange[] {
  const changes: FieldChange[] = [];
  for (const field of SNAPSHOT_FIELDS) diffValue(field, from[field], to[field], changes);
  return changes;
}

function diffValue(path: string, a: unknown, b: unknown, out: FieldChange[]) {
  if (isPlainObject(a) && isPlainObject(b)) {
    for (const key of orderedKeys(path, a, b)) diffValue(`${path}.${key}`, a[key], b[key], out);
    return;
  }
  if (!sameValue(a, b)) out.push({ field: path, from: a ?? null, to: b ?? null });
}

// jsonb stores keys shortest first, so nested keys are put back in their documented order.
const NESTED_ORDER: Record<string, string[]> = {
  personality: ['traits', 'tone', 'behavior', 'languageStyle'],
  memory: ['historyLength', 'contextBudget'],
  limits: ['maxSteps', 'timeoutSeconds', 'actionsPerMinute', 'actionsPerHour', 'monthlyBudgetMicros'],
};

function orderedKeys(path: string, a: Record<string, unknown>, b: Record<string, unknown>): string[] {
  const known = NESTED_ORDER[path] ?? [];
  const rest = [...new Set([...Object.keys(a), ...Object.keys(b)])].filter((k) => !known.includes(k)).sort();
  return [...known, ...rest];
}

function sameValue(a: unknown, b: unknown): boolean {
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => sameValue(v, b[i]));
  if (isPlainObject(a) && isPlainObject(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) => sameValue(a[k], b[k]));
  }
  return (a ?? null) === (b ?? null);
}
