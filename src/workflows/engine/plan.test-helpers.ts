import { expect } from 'vitest';
import { referencesOf, workflowDefinitionSchema, type WorkflowDefinition } from '../definition.js';
import { validateWorkflow } from '../validate.js';
import { plan, type ExecutionState, type Plan } from './plan.js';

// ---- fixtures: definitions (checked by validateWorkflow, so every graph here is one a user can save) ----

export const AGENT = '3f2b8c1e-8d4a-4c6e-9f1a-2b3c4d5e6f70';
export const SUB = '5b2c3d4e-2f3a-4b6c-9d7e-8f9a0b1c2d3e';
export type Json = Record<string, unknown>;

export const n = (id: string, type: string, config: Json = {}, extra: Json = {}) => ({ id, type, config, ...extra });
export const trigger = (id = 't') => n(id, 'trigger', { kind: 'manual' });
export const transform = (id: string, extra: Json = {}) => n(id, 'transform', { value: { from: id } }, extra);
export const cond = (id: string, extra: Json = {}) => n(id, 'condition', { expression: 'true' }, extra);
export const sw = (id: string, cases: string[]) => n(id, 'switch', { cases: cases.map((c) => ({ id: c, when: 'true' })) });
export const join = (id: string, mode: 'all' | 'any' | 'first', count?: number) => n(id, 'join', count === undefined ? { mode } : { mode, count });
export const map = (id: string, body: { nodes: Json[]; edges: Json[] }, config: Json = {}, extra: Json = {}) => n(id, 'map', { items: 'input.list', graph: body, ...config }, extra);
export const e = (source: string, target: string, sourceHandle = 'out') => ({ source, target, sourceHandle });

export const retry = (attempts = 3, backoffMs = 1000) => ({ onError: { policy: 'retry', attempts, backoffMs } });
export const cont = { onError: { policy: 'continue' } };

/** A parsed, valid definition (validation problems fail the test that builds it). */
export function wf(nodes: Json[], edges: Json[], settings: Json = {}): WorkflowDefinition {
  const raw = { name: 'plan test', settings, graph: { nodes, edges } };
  const refs = referencesOf(workflowDefinitionSchema.parse(raw));
  const { definition, problems } = validateWorkflow(raw, {
    role: 'admin',
    agents: new Map(refs.agentIds.map((id) => [id, { currentVersion: 1 }])),
    tools: new Map(refs.tools.map((t) => [t, { allowed: true }])),
    workflows: new Set(refs.workflowIds),
  });
  expect(problems).toEqual([]);
  return definition!;
}

// ---- state ----

export const T0 = Date.parse('2025-01-01T00:00:00Z');
export const NOW = T0 + 60_000;
export type S = Record<string, ExecutionState>;
export const ok = (output: unknown = null, extra: Partial<Extract<ExecutionState, { status: 'succeeded' }>> = {}): ExecutionState => ({ status: 'succeeded', output, ...extra });
export const skipped: ExecutionState = { status: 'skipped' };
export const running = (extra: { attempt?: number; items?: unknown[] } = {}): ExecutionState => ({ status: 'running', ...extra });
export const onRun: ExecutionState = { status: 'waiting', on: { kind: 'run', runId: 'child-1' } };
export const error = (message = 'boom') => ({ message, code: 'tool_failed' });
export const failed = (attempts = 1, finishedAt = T0, message = 'boom'): ExecutionState => ({ status: 'failed', error: error(message), attempts, finishedAt });

// ---- the plan, in a shape written out by hand ----

export const idle = { ready: [] as string[], skip: [] as string[], retry: [] as string[], evaluate: [] as string[], settle: [] as unknown[], abandon: [] as string[], done: null as unknown, waiting: false, wakeAt: null as number | null };

/** The plan with keys for the executions (every ready and retry entry carries the node its key names). */
export function brief(p: Plan): typeof idle {
  for (const r of [...p.ready, ...p.retry]) expect(r.node.id).toBe(r.key.split('.').at(-1));
  return {
    ready: p.ready.map((r) => r.key),
    skip: p.skip,
    retry: p.retry.map((r) => r.key),
    evaluate: p.evaluate.map((r) => r.key),
    settle: p.settle,
    abandon: p.abandon,
    done: p.done,
    waiting: p.waiting,
    wakeAt: p.wakeAt,
  };
}
export const at = (d: WorkflowDefinition, state: S, now = NOW) => brief(plan(d, state, now));
export const outputs = (o: Json) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, { output: v }]));
