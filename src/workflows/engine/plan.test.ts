import { describe, expect, it } from 'vitest';
import { referencesOf, workflowDefinitionSchema, type WorkflowDefinition } from '../definition.js';
import { validateWorkflow } from '../validate.js';
import { compile, mapChildren, nodeOfKey, parseKey, plan, type ExecutionState, type Plan } from './plan.js';

// ---- fixtures: definitions (checked by validateWorkflow, so every graph here is one a user can save) ----

const AGENT = '3f2b8c1e-8d4a-4c6e-9f1a-2b3c4d5e6f70';
const SUB = '5b2c3d4e-2f3a-4b6c-9d7e-8f9a0b1c2d3e';
type Json = Record<string, unknown>;

const n = (id: string, type: string, config: Json = {}, extra: Json = {}) => ({ id, type, config, ...extra });
const trigger = (id = 't') => n(id, 'trigger', { kind: 'manual' });
const transform = (id: string, extra: Json = {}) => n(id, 'transform', { value: { from: id } }, extra);
const cond = (id: string, extra: Json = {}) => n(id, 'condition', { expression: 'true' }, extra);
const sw = (id: string, cases: string[]) => n(id, 'switch', { cases: cases.map((c) => ({ id: c, when: 'true' })) });
const join = (id: string, mode: 'all' | 'any' | 'first', count?: number) => n(id, 'join', count === undefined ? { mode } : { mode, count });
const map = (id: string, body: { nodes: Json[]; edges: Json[] }, config: Json = {}, extra: Json = {}) => n(id, 'map', { items: 'input.list', graph: body, ...config }, extra);
const e = (source: string, target: string, sourceHandle = 'out') => ({ source, target, sourceHandle });

const retry = (attempts = 3, backoffMs = 1000) => ({ onError: { policy: 'retry', attempts, backoffMs } });
const cont = { onError: { policy: 'continue' } };

/** A parsed, valid definition (validation problems fail the test that builds it). */
function wf(nodes: Json[], edges: Json[], settings: Json = {}): WorkflowDefinition {
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

const T0 = Date.parse('2025-01-01T00:00:00Z');
const NOW = T0 + 60_000;
type S = Record<string, ExecutionState>;
const ok = (output: unknown = null, extra: Partial<Extract<ExecutionState, { status: 'succeeded' }>> = {}): ExecutionState => ({ status: 'succeeded', output, ...extra });
const skipped: ExecutionState = { status: 'skipped' };
const running = (extra: { attempt?: number; items?: unknown[] } = {}): ExecutionState => ({ status: 'running', ...extra });
const onRun: ExecutionState = { status: 'waiting', on: { kind: 'run', runId: 'child-1' } };
const error = (message = 'boom') => ({ message, code: 'tool_failed' });
const failed = (attempts = 1, finishedAt = T0, message = 'boom'): ExecutionState => ({ status: 'failed', error: error(message), attempts, finishedAt });

// ---- the plan, in a shape written out by hand ----

const idle = { ready: [] as string[], skip: [] as string[], retry: [] as string[], evaluate: [] as string[], settle: [] as unknown[], abandon: [] as string[], done: null as unknown, waiting: false, wakeAt: null as number | null };

/** The plan with keys for the executions (every ready and retry entry carries the node its key names). */
function brief(p: Plan): typeof idle {
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
const at = (d: WorkflowDefinition, state: S, now = NOW) => brief(plan(d, state, now));
const outputs = (o: Json) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, { output: v }]));

describe('plan: starting and chains', () => {
  const d = wf([trigger(), transform('a'), transform('b')], [e('t', 'a'), e('a', 'b')]);

  it('starts with the trigger alone, its scope empty', () => {
    const p = plan(d, {}, NOW);
    expect(brief(p)).toEqual({ ...idle, ready: ['t'] });
    expect(p.ready[0]).toEqual({ key: 't', node: d.graph.nodes[0], attempt: 1, resumed: false, scope: { nodes: {} } });
  });

  it('runs a node when its upstream succeeded, with the ancestors that ran in its scope', () => {
    const p = plan(d, { t: ok({ name: 'Ada' }), a: ok(7) }, NOW);
    expect(brief(p)).toEqual({ ...idle, ready: ['b'] });
    expect(p.ready[0]!.scope).toEqual({ nodes: outputs({ t: { name: 'Ada' }, a: 7 }) });
  });

  it('does not plan a node whose upstream is still running or waiting', () => {
    expect(at(d, { t: ok(), a: onRun })).toEqual({ ...idle, waiting: true });
  });

  it('ends with the sink output when every node is resolved', () => {
    expect(at(d, { t: ok(1), a: ok(2), b: ok({ final: true }) })).toEqual({ ...idle, done: { status: 'succeeded', output: { final: true } } });
  });

  it('takes the state as a Map or as an object, and plans the same state the same way', () => {
    const state: S = { t: ok(1), a: running() };
    const first = plan(d, state, NOW);
    expect(plan(d, new Map(Object.entries(state)), NOW)).toEqual(first);
    expect(plan(compile(d), state, NOW)).toEqual(first);
    expect(plan(d, state, NOW)).toEqual(first);
    expect(state).toEqual({ t: ok(1), a: running() });
  });
});

describe('plan: routing of every node type', () => {
  it('condition: true only for the value true; anything else takes false, and the skip runs down the branch', () => {
    const d = wf([trigger(), cond('c'), transform('yes'), transform('no'), transform('no2'), transform('no3')], [e('t', 'c'), e('c', 'yes', 'true'), e('c', 'no', 'false'), e('no', 'no2'), e('no2', 'no3')]);
    expect(at(d, { t: ok(), c: ok(true) })).toEqual({ ...idle, ready: ['yes'], skip: ['no', 'no2', 'no3'] });
    for (const output of ['true', 1, { value: true }, null, false]) {
      expect(at(d, { t: ok(), c: ok(output) })).toEqual({ ...idle, ready: ['no'], skip: ['yes'] });
    }
    // The handle the engine recorded wins.
    expect(at(d, { t: ok(), c: ok('anything', { handle: 'true' }) })).toEqual({ ...idle, ready: ['yes'], skip: ['no', 'no2', 'no3'] });
  });

  it('switch: the case it took, else default', () => {
    const d = wf([trigger(), sw('s', ['small', 'big']), transform('a'), transform('b'), transform('other')], [e('t', 's'), e('s', 'a', 'small'), e('s', 'b', 'big'), e('s', 'other', 'default')]);
    expect(at(d, { t: ok(), s: ok('big', { handle: 'big' }) })).toEqual({ ...idle, ready: ['b'], skip: ['a', 'other'] });
    expect(at(d, { t: ok(), s: ok(null, { handle: 'default' }) })).toEqual({ ...idle, ready: ['other'], skip: ['a', 'b'] });
    expect(at(d, { t: ok(), s: ok(null) })).toEqual({ ...idle, ready: ['other'], skip: ['a', 'b'] });
  });

  it('approval: approved or rejected, from the handle or the output', () => {
    const d = wf([trigger(), n('ap', 'approval', { title: 'Send it?' }), transform('send'), transform('drop')], [e('t', 'ap'), e('ap', 'send', 'approved'), e('ap', 'drop', 'rejected')]);
    expect(at(d, { t: ok(), ap: onRun })).toEqual({ ...idle, waiting: true });
    expect(at(d, { t: ok(), ap: ok({ approved: true, values: {}, decidedBy: 'u1' }) })).toEqual({ ...idle, ready: ['send'], skip: ['drop'] });
    expect(at(d, { t: ok(), ap: ok({ approved: false, values: {}, decidedBy: 'u1' }) })).toEqual({ ...idle, ready: ['drop'], skip: ['send'] });
    expect(at(d, { t: ok(), ap: ok({ approved: true }, { handle: 'rejected' }) })).toEqual({ ...idle, ready: ['drop'], skip: ['send'] });
  });

  it('parallel: every outgoing edge, ready in topological order (the first defined first)', () => {
    const d = wf([trigger(), n('p', 'parallel'), transform('z'), transform('a'), transform('m')], [e('t', 'p'), e('p', 'a'), e('p', 'm'), e('p', 'z')]);
    expect(at(d, { t: ok(), p: ok(null) })).toEqual({ ...idle, ready: ['z', 'a', 'm'] });
  });

  it('agent, tool, sub-workflow, transform, delay, wait_until and map leave by `out`', () => {
    const nodes = [
      trigger(),
      n('agent', 'agent', { agentId: AGENT, task: 'Score {{ input.name }}' }),
      n('tool', 'tool', { tool: 'send_email', args: { to: 'a@b.c' } }),
      n('sub', 'sub_workflow', { workflowId: SUB }),
      transform('shape'),
      n('pause', 'delay', { seconds: 5 }),
      n('until', 'wait_until', { until: 'input.at' }),
      map('each', { nodes: [transform('x')], edges: [] }),
      transform('end'),
    ];
    const ids = nodes.map((x) => x.id);
    const d = wf(nodes, ids.slice(1).map((id, i) => e(ids[i]!, id)));
    const state: S = {};
    for (const [i, id] of ids.entries()) {
      expect(at(d, state)).toEqual({ ...idle, ready: [id] });
      state[id] = ok(i);
    }
    expect(at(d, state)).toEqual({ ...idle, done: { status: 'succeeded', output: ids.length - 1 } });
  });

  it('waiting nodes: a child run or an approval parks the run; a timer parks it until its time, then settles', () => {
    const d = wf([trigger(), n('pause', 'delay', { seconds: 30 }), transform('after')], [e('t', 'pause'), e('pause', 'after')]);
    const timer: ExecutionState = { status: 'waiting', on: { kind: 'timer', until: NOW + 30_000 } };
    expect(at(d, { t: ok(), pause: timer })).toEqual({ ...idle, waiting: true, wakeAt: NOW + 30_000 });
    const p = plan(d, { t: ok(), pause: timer }, NOW + 30_000);
    expect(brief(p)).toEqual({ ...idle, ready: ['after'], settle: [{ key: 'pause', status: 'succeeded', output: null }] });
    expect(p.ready[0]!.scope).toEqual({ nodes: outputs({ t: null, pause: null }) });
    expect(at(d, { t: ok(), pause: onRun })).toEqual({ ...idle, waiting: true });
  });

  it('does not park while something else can run', () => {
    const d = wf([trigger(), n('ap', 'approval', { title: 'ok?' }), transform('b')], [e('t', 'ap'), e('t', 'b')]);
    expect(at(d, { t: ok(), ap: { status: 'waiting', on: { kind: 'approval', approvalId: 'a1' } } })).toEqual({ ...idle, ready: ['b'] });
    expect(at(d, { t: ok(), ap: { status: 'waiting', on: { kind: 'approval', approvalId: 'a1' } }, b: ok() })).toEqual({ ...idle, waiting: true });
  });
});

describe('plan: skips through chains and diamonds', () => {
  // t → c; c true → x; x → a, x → b; a, b → d (a diamond); c false → y.
  const d = wf(
    [trigger(), cond('c'), transform('x'), transform('a'), transform('b'), transform('d'), transform('y')],
    [e('t', 'c'), e('c', 'x', 'true'), e('x', 'a'), e('x', 'b'), e('a', 'd'), e('b', 'd'), e('c', 'y', 'false')],
  );

  it('skips a whole diamond in one plan', () => {
    expect(at(d, { t: ok(), c: ok(false) })).toEqual({ ...idle, ready: ['y'], skip: ['x', 'a', 'b', 'd'] });
  });

  it('waits for both sides of a diamond, then runs its bottom with both outputs', () => {
    expect(at(d, { t: ok(), c: ok(true), y: skipped, x: ok('x'), a: ok('a') })).toEqual({ ...idle, ready: ['b'] });
    const p = plan(d, { t: ok('t'), c: ok(true), y: skipped, x: ok('x'), a: ok('a'), b: ok('b') }, NOW);
    expect(brief(p)).toEqual({ ...idle, ready: ['d'] });
    expect(p.ready[0]!.scope).toEqual({ nodes: outputs({ t: 't', c: true, x: 'x', a: 'a', b: 'b' }) });
  });

  it('runs a merge node when one branch fired and the other was skipped, without the skipped branch in its scope', () => {
    // c true → a, c false → b, a → m, b → m: m has two incoming edges and no join.
    const m = wf([trigger(), cond('c'), transform('a'), transform('b'), transform('m')], [e('t', 'c'), e('c', 'a', 'true'), e('c', 'b', 'false'), e('a', 'm'), e('b', 'm')]);
    expect(at(m, { t: ok(), c: ok(true), a: running() })).toEqual({ ...idle, ready: ['a'], skip: ['b'] });
    const p = plan(m, { t: ok(), c: ok(true), a: ok('A'), b: skipped }, NOW);
    expect(brief(p)).toEqual({ ...idle, ready: ['m'] });
    expect(p.ready[0]!.scope.nodes).toEqual(outputs({ t: null, c: true, a: 'A' }));
  });

  it('nested conditions route and skip at each level', () => {
    // c1 true → c2, c1 false → x; c2 true → y, c2 false → z; x, y, z → j (any) → end.
    const nd = wf(
      [trigger(), cond('c1'), cond('c2'), transform('x'), transform('y'), transform('z'), join('j', 'any'), transform('end')],
      [e('t', 'c1'), e('c1', 'c2', 'true'), e('c1', 'x', 'false'), e('c2', 'y', 'true'), e('c2', 'z', 'false'), e('x', 'j'), e('y', 'j'), e('z', 'j'), e('j', 'end')],
    );
    expect(at(nd, { t: ok(), c1: ok(false) })).toEqual({ ...idle, ready: ['x'], skip: ['c2', 'y', 'z'] });
    expect(at(nd, { t: ok(), c1: ok(true), c2: ok(false) })).toEqual({ ...idle, ready: ['z'], skip: ['x', 'y'] });
    const p = plan(nd, { t: ok(), c1: ok(true), c2: ok(false), x: skipped, y: skipped, z: ok('Z') }, NOW);
    expect(brief(p)).toEqual({ ...idle, ready: ['j'] });
    expect(p.ready[0]!.arrivals).toEqual({ z: 'Z' });
    expect(at(nd, { t: ok(), c1: ok(true), c2: ok(false), x: skipped, y: skipped, z: ok('Z'), j: ok({ z: 'Z' }), end: ok('E') })).toEqual({ ...idle, done: { status: 'succeeded', output: 'E' } });
  });
});

describe('plan: joins', () => {
  // t → ca, cb, cc (conditions); each true → a, b, c; a, b, c → j.
  const fan = (mode: 'all' | 'any' | 'first', count?: number) =>
    wf(
      [trigger(), cond('ca'), cond('cb'), cond('cc'), transform('a'), transform('b'), transform('c'), join('j', mode, count), transform('after')],
      [e('t', 'ca'), e('t', 'cb'), e('t', 'cc'), e('ca', 'a', 'true'), e('cb', 'b', 'true'), e('cc', 'c', 'true'), e('a', 'j'), e('b', 'j'), e('c', 'j'), e('j', 'after')],
    );
  const conds = (a: boolean, b: boolean, c: boolean): S => ({ t: ok(), ca: ok(a), cb: ok(b), cc: ok(c) });

  it('all: waits for every branch, then gets the fired ones by source id', () => {
    const d = fan('all');
    expect(at(d, { ...conds(true, true, true), a: ok('A'), b: ok('B') })).toEqual({ ...idle, ready: ['c'] });
    const p = plan(d, { ...conds(true, true, true), a: ok('A'), b: ok('B'), c: ok('C') }, NOW);
    expect(brief(p)).toEqual({ ...idle, ready: ['j'] });
    expect(p.ready[0]!.arrivals).toEqual({ a: 'A', b: 'B', c: 'C' });
  });

  it('all: a skipped branch is left out; every branch skipped skips the join and what follows', () => {
    const d = fan('all');
    const p = plan(d, { ...conds(true, false, true), a: ok('A'), c: ok('C') }, NOW);
    expect(brief(p)).toEqual({ ...idle, ready: ['j'], skip: ['b'] });
    expect(p.ready[0]!.arrivals).toEqual({ a: 'A', c: 'C' });
    expect(at(d, conds(false, false, false))).toEqual({ ...idle, skip: ['a', 'b', 'c', 'j', 'after'], done: { status: 'succeeded', output: null } });
  });

  it('any: runs on the first branch that fired, and later arrivals change nothing', () => {
    const d = fan('any');
    const p = plan(d, { ...conds(true, true, true), b: ok('B') }, NOW);
    expect(brief(p)).toEqual({ ...idle, ready: ['a', 'c', 'j'] });
    expect(p.ready[2]!.arrivals).toEqual({ b: 'B' });
    // The join ran; a and c finishing afterwards start nothing new.
    expect(at(d, { ...conds(true, true, true), b: ok('B'), j: ok({ b: 'B' }), after: ok('x'), a: ok('A'), c: ok('C') })).toEqual({ ...idle, done: { status: 'succeeded', output: 'x' } });
  });

  it('any: of branches that fired before the plan, the one that finished first (then edge order)', () => {
    const d = fan('any');
    const p = plan(d, { ...conds(true, true, true), a: ok('A', { finishedAt: T0 + 5 }), b: ok('B', { finishedAt: T0 + 1 }) }, NOW);
    expect(p.ready.find((r) => r.key === 'j')!.arrivals).toEqual({ b: 'B' });
    const tie = plan(d, { ...conds(true, true, true), a: ok('A'), b: ok('B') }, NOW);
    expect(tie.ready.find((r) => r.key === 'j')!.arrivals).toEqual({ a: 'A' });
  });

  it('any: skipped when no branch fires', () => {
    expect(at(fan('any'), conds(false, false, false))).toEqual({ ...idle, skip: ['a', 'b', 'c', 'j', 'after'], done: { status: 'succeeded', output: null } });
  });

  it('first 2: waits for two, takes the two that finished first, keyed in edge order', () => {
    const d = fan('first', 2);
    expect(at(d, { ...conds(true, true, true), c: ok('C') })).toEqual({ ...idle, ready: ['a', 'b'] });
    const p = plan(d, { ...conds(true, true, true), c: ok('C', { finishedAt: T0 + 1 }), a: ok('A', { finishedAt: T0 + 3 }), b: ok('B', { finishedAt: T0 + 2 }) }, NOW);
    expect(brief(p)).toEqual({ ...idle, ready: ['j'] });
    expect(p.ready[0]!.arrivals).toEqual({ b: 'B', c: 'C' });
    expect(Object.keys(p.ready[0]!.arrivals!)).toEqual(['b', 'c']);
  });

  it('first 2: with one branch left after skips, runs with it; with none, skips', () => {
    const d = fan('first', 2);
    const p = plan(d, { ...conds(false, true, false), b: ok('B') }, NOW);
    expect(brief(p)).toEqual({ ...idle, ready: ['j'], skip: ['a', 'c'] });
    expect(p.ready[0]!.arrivals).toEqual({ b: 'B' });
    // One fired, one still pending: wait, it may still arrive.
    expect(at(d, { ...conds(false, true, true), b: ok('B') })).toEqual({ ...idle, ready: ['c'], skip: ['a'] });
    expect(at(d, conds(false, false, false))).toEqual({ ...idle, skip: ['a', 'b', 'c', 'j', 'after'], done: { status: 'succeeded', output: null } });
  });

  it('a resumed join gets its arrivals again', () => {
    const p = plan(fan('all'), { ...conds(true, true, false), a: ok('A'), b: ok('B'), c: skipped, j: running() }, NOW);
    expect(p.ready).toEqual([expect.objectContaining({ key: 'j', resumed: true, attempt: 1, arrivals: { a: 'A', b: 'B' } })]);
  });
});

describe('plan: error policies', () => {
  it('fail: the run fails with the node, its key and attempts, and abandons what is under way', () => {
    const d = wf([trigger(), transform('a'), transform('b'), transform('c'), transform('after')], [e('t', 'a'), e('t', 'b'), e('t', 'c'), e('a', 'after')]);
    expect(at(d, { t: ok(), a: failed(), b: onRun, c: running() })).toEqual({
      ...idle,
      abandon: ['b', 'c'],
      done: { status: 'failed', error: { message: 'boom', code: 'tool_failed', nodeId: 'a', key: 'a', attempts: 1 } },
    });
  });

  it('fail is the workflow default; a node policy overrides it, and the workflow setting applies to nodes without one', () => {
    const nodes = [trigger(), transform('a'), transform('b')];
    const edges = [e('t', 'a'), e('a', 'b')];
    expect(at(wf(nodes, edges), { t: ok(), a: failed() }).done).toMatchObject({ status: 'failed', error: { nodeId: 'a' } });
    expect(at(wf(nodes, edges, { errorPolicy: { policy: 'continue' } }), { t: ok(), a: failed() })).toEqual({ ...idle, ready: ['b'] });
    expect(at(wf([trigger(), transform('a', { onError: { policy: 'fail' } }), transform('b')], edges, { errorPolicy: { policy: 'continue' } }), { t: ok(), a: failed() }).done).toMatchObject({ status: 'failed' });
  });

  it('continue without an error edge: the error is the output and the normal edges fire', () => {
    const d = wf([trigger(), transform('a', cont), transform('b')], [e('t', 'a'), e('a', 'b')]);
    const p = plan(d, { t: ok(), a: failed() }, NOW);
    expect(brief(p)).toEqual({ ...idle, ready: ['b'] });
    expect(p.ready[0]!.scope.nodes).toEqual(outputs({ t: null, a: error() }));
    expect(at(d, { t: ok(), a: failed(), b: ok('B') })).toEqual({ ...idle, done: { status: 'succeeded', output: 'B' } });
  });

  it('continue without an error edge on a condition takes false', () => {
    const d = wf([trigger(), cond('c', cont), transform('yes'), transform('no')], [e('t', 'c'), e('c', 'yes', 'true'), e('c', 'no', 'false')]);
    expect(at(d, { t: ok(), c: failed() })).toEqual({ ...idle, ready: ['no'], skip: ['yes'] });
  });

  it('continue with an error edge: only the error edge fires', () => {
    const d = wf([trigger(), transform('a', cont), transform('b'), transform('handle')], [e('t', 'a'), e('a', 'b'), e('a', 'handle', 'error')]);
    expect(at(d, { t: ok(), a: failed() })).toEqual({ ...idle, ready: ['handle'], skip: ['b'] });
    expect(at(d, { t: ok(), a: ok('fine') })).toEqual({ ...idle, ready: ['b'], skip: ['handle'] });
  });

  it('retry: backoff doubling per attempt, then the run fails', () => {
    const d = wf([trigger(), transform('a', retry(3, 1000)), transform('b')], [e('t', 'a'), e('a', 'b')]);
    const first = plan(d, { t: ok('T'), a: failed(1, T0) }, T0 + 10);
    expect(brief(first)).toEqual({ ...idle, retry: ['a'], waiting: true, wakeAt: T0 + 1000 });
    expect(first.retry[0]).toEqual({ key: 'a', node: d.graph.nodes[1], attempt: 2, notBefore: T0 + 1000, error: error(), scope: { nodes: outputs({ t: 'T' }) } });
    // Due: not parked.
    expect(at(d, { t: ok('T'), a: failed(1, T0) }, T0 + 1000)).toEqual({ ...idle, retry: ['a'] });
    // The second try is under way, then fails: 2 s after it.
    expect(plan(d, { t: ok(), a: running({ attempt: 2 }) }, T0).ready).toEqual([expect.objectContaining({ key: 'a', attempt: 2, resumed: true })]);
    const second = plan(d, { t: ok(), a: failed(2, T0 + 5000) }, T0 + 5000);
    expect(second.retry).toEqual([expect.objectContaining({ attempt: 3, notBefore: T0 + 7000 })]);
    expect(second.wakeAt).toBe(T0 + 7000);
    expect(at(d, { t: ok(), a: failed(3, T0 + 9000) })).toEqual({ ...idle, done: { status: 'failed', error: { ...error(), nodeId: 'a', key: 'a', attempts: 3 } } });
  });

  it('retry with the workflow default policy', () => {
    const d = wf([trigger(), transform('a')], [e('t', 'a')], { errorPolicy: { policy: 'retry', attempts: 2, backoffMs: 500 } });
    expect(plan(d, { t: ok(), a: failed(1, T0) }, T0).retry).toEqual([expect.objectContaining({ key: 'a', attempt: 2, notBefore: T0 + 500 })]);
    expect(at(d, { t: ok(), a: failed(2, T0) }).done).toMatchObject({ status: 'failed', error: { attempts: 2 } });
  });

  it('a retry waiting its turn does not park the run while another node can run', () => {
    const d = wf([trigger(), transform('a', retry()), transform('b')], [e('t', 'a'), e('t', 'b')]);
    expect(at(d, { t: ok(), a: failed(1, NOW) })).toEqual({ ...idle, ready: ['b'], retry: ['a'], wakeAt: NOW + 1000 });
  });
});

describe('plan: maps', () => {
  // t → pre → m (body: x → y) → post.
  const body = { nodes: [transform('x'), transform('y')], edges: [e('x', 'y')] };
  const mapWf = (config: Json = {}, extra: Json = {}) => wf([trigger(), transform('pre'), map('m', body, config, extra), transform('post')], [e('t', 'pre'), e('pre', 'm'), e('m', 'post')]);
  const before: S = { t: ok('T'), pre: ok('P') };
  /** Item i done: its body's outputs. */
  const itemDone = (i: number): S => ({ [`m[${i}].x`]: ok(`x${i}`), [`m[${i}].y`]: ok(`y${i}`) });

  it('is ready like any node; the engine evaluates items with its scope', () => {
    const p = plan(mapWf(), before, NOW);
    expect(brief(p)).toEqual({ ...idle, ready: ['m'] });
    expect(p.ready[0]!.scope).toEqual({ nodes: outputs({ t: 'T', pre: 'P' }) });
    // Started but items not stored (a crash came between): planned again.
    expect(plan(mapWf(), { ...before, m: running() }, NOW).ready).toEqual([expect.objectContaining({ key: 'm', resumed: true })]);
  });

  it('concurrency 1: one item at a time, in input order, with item and index in scope', () => {
    const d = mapWf({ concurrency: 1 });
    const items = ['a', 'b', 'c'];
    const p = plan(d, { ...before, m: running({ items }) }, NOW);
    expect(brief(p)).toEqual({ ...idle, ready: ['m[0].x'] });
    expect(p.ready[0]!.scope).toEqual({ nodes: outputs({ t: 'T', pre: 'P' }), item: 'a', index: 0 });
    const q = plan(d, { ...before, m: running({ items }), 'm[0].x': ok('x0') }, NOW);
    expect(brief(q)).toEqual({ ...idle, ready: ['m[0].y'] });
    expect(q.ready[0]!.scope).toEqual({ nodes: outputs({ t: 'T', pre: 'P', x: 'x0' }), item: 'a', index: 0 });
    expect(at(d, { ...before, m: running({ items }), ...itemDone(0) })).toEqual({ ...idle, ready: ['m[1].x'] });
    expect(at(d, { ...before, m: running({ items }), ...itemDone(0), ...itemDone(1), 'm[2].x': onRun })).toEqual({ ...idle, waiting: true });
  });

  it('settles with the results in input order and runs what follows in the same plan', () => {
    const d = mapWf({ concurrency: 1 });
    const state = { ...before, m: running({ items: ['a', 'b', 'c'] }), ...itemDone(2), ...itemDone(0), ...itemDone(1) };
    const p = plan(d, state, NOW);
    expect(brief(p)).toEqual({ ...idle, ready: ['post'], settle: [{ key: 'm', status: 'succeeded', output: ['y0', 'y1', 'y2'] }] });
    expect(p.ready[0]!.scope).toEqual({ nodes: outputs({ t: 'T', pre: 'P', m: ['y0', 'y1', 'y2'] }) });
    // Once stored, the items are not looked at again.
    expect(at(d, { ...before, m: ok(['y0', 'y1', 'y2']), post: ok('end') })).toEqual({ ...idle, done: { status: 'succeeded', output: 'end' } });
  });

  it('concurrency 3: three in flight; a freed slot goes to the next item in order', () => {
    const d = mapWf({ concurrency: 3 });
    const items = [10, 20, 30, 40, 50];
    expect(at(d, { ...before, m: running({ items }) })).toEqual({ ...idle, ready: ['m[0].x', 'm[1].x', 'm[2].x'] });
    expect(at(d, { ...before, m: running({ items }), 'm[0].x': running(), 'm[1].x': ok(1), 'm[2].x': onRun })).toEqual({ ...idle, ready: ['m[0].x', 'm[1].y'] });
    // Item 1 finished: item 3 starts; item 4 waits for another slot.
    const p = plan(d, { ...before, m: running({ items }), 'm[0].x': onRun, ...itemDone(1), 'm[2].x': onRun }, NOW);
    expect(brief(p)).toEqual({ ...idle, ready: ['m[3].x'] });
    expect(p.ready[0]!.scope).toMatchObject({ item: 40, index: 3 });
    expect(at(d, { ...before, m: running({ items }), ...itemDone(0), ...itemDone(1), ...itemDone(2), 'm[3].x': ok(3) })).toEqual({ ...idle, ready: ['m[3].y', 'm[4].x'] });
  });

  it('an empty list succeeds at once with []', () => {
    expect(at(mapWf(), { ...before, m: running({ items: [] }) })).toEqual({ ...idle, ready: ['post'], settle: [{ key: 'm', status: 'succeeded', output: [] }] });
  });

  it('with a result expression: asks for each finished item result, then uses the stored ones', () => {
    const d = mapWf({ result: 'nodes.x.output & "!"' });
    const p = plan(d, { ...before, m: running({ items: ['a', 'b'] }), ...itemDone(0), 'm[1].x': ok('x1') }, NOW);
    expect(brief(p)).toEqual({ ...idle, ready: ['m[1].y'], evaluate: ['m[0]'] });
    expect(p.evaluate[0]).toEqual({ key: 'm[0]', mapKey: 'm', index: 0, expression: 'nodes.x.output & "!"', scope: { nodes: outputs({ t: 'T', pre: 'P', x: 'x0', y: 'y0' }), item: 'a', index: 0 } });
    expect(at(d, { ...before, m: running({ items: ['a', 'b'] }), ...itemDone(0), ...itemDone(1), 'm[0]': ok('x0!'), 'm[1]': ok('x1!') })).toEqual({
      ...idle,
      ready: ['post'],
      settle: [{ key: 'm', status: 'succeeded', output: ['x0!', 'x1!'] }],
    });
  });

  it('a failing item under fail fails the map and the run; the other items are abandoned', () => {
    const d = mapWf({ concurrency: 3 });
    const state = { ...before, m: running({ items: [1, 2, 3, 4] }), 'm[0].x': onRun, 'm[1].x': failed(), 'm[2].x': ok(), 'm[2].y': running() };
    const itemError = { code: 'map_item_failed', message: 'item 1: node `x` failed: boom', item: 1, cause: { ...error(), nodeId: 'x', key: 'm[1].x', attempts: 1 } };
    expect(at(d, state)).toEqual({
      ...idle,
      settle: [{ key: 'm', status: 'failed', error: itemError, attempts: 1 }],
      abandon: ['m[0].x', 'm[2].y'],
      done: { status: 'failed', error: { ...itemError, nodeId: 'm', key: 'm', attempts: 1 } },
    });
    // Stored as failed, it stays final even under retry: items are not run twice.
    const retried = mapWf({}, retry());
    expect(at(retried, { ...before, m: { status: 'failed', error: itemError, attempts: 1, finishedAt: T0 } }).done).toMatchObject({ status: 'failed', error: { nodeId: 'm' } });
    // A map failed evaluating its items is retried.
    expect(at(retried, { ...before, m: failed(1, NOW) })).toEqual({ ...idle, retry: ['m'], waiting: true, wakeAt: NOW + 1000 });
  });

  it('a failing item with the map under continue: the map goes on with the error, the rest is abandoned', () => {
    const d = mapWf({ concurrency: 2 }, cont);
    const p = plan(d, { ...before, m: running({ items: [1, 2, 3] }), 'm[0].x': failed(), 'm[1].x': onRun }, NOW);
    expect(brief(p)).toMatchObject({ ready: ['post'], abandon: ['m[1].x'], done: null });
    expect(p.settle).toEqual([expect.objectContaining({ key: 'm', status: 'failed' })]);
    expect(p.ready[0]!.scope.nodes.m!.output).toMatchObject({ code: 'map_item_failed', item: 0 });
  });

  it('a body node under continue or retry keeps its item going', () => {
    const contBody = { nodes: [transform('x', cont), transform('y')], edges: [e('x', 'y')] };
    const d = wf([trigger(), map('m', contBody, { concurrency: 1 })], [e('t', 'm')]);
    const p = plan(d, { t: ok(), m: running({ items: ['a'] }), 'm[0].x': failed() }, NOW);
    expect(brief(p)).toEqual({ ...idle, ready: ['m[0].y'] });
    expect(p.ready[0]!.scope).toEqual({ nodes: outputs({ t: null, x: error() }), item: 'a', index: 0 });

    const retryBody = { nodes: [transform('x', retry(2, 100)), transform('y')], edges: [e('x', 'y')] };
    const r = plan(wf([trigger(), map('m', retryBody, { concurrency: 1 })], [e('t', 'm')]), { t: ok(), m: running({ items: ['a', 'b'] }), 'm[0].x': failed(1, T0) }, T0);
    expect(brief(r)).toEqual({ ...idle, retry: ['m[0].x'], waiting: true, wakeAt: T0 + 100 });
    expect(r.retry[0]).toMatchObject({ attempt: 2, scope: { item: 'a', index: 0 } });
  });

  it('body sinks: several give an object by id, none that ran gives null', () => {
    const forked = { nodes: [cond('c'), transform('p'), transform('q')], edges: [e('c', 'p', 'true'), e('c', 'q', 'true')] };
    const d = wf([trigger(), map('m', forked)], [e('t', 'm')]);
    expect(at(d, { t: ok(), m: running({ items: [1] }), 'm[0].c': ok(true), 'm[0].p': ok('P'), 'm[0].q': ok('Q') })).toEqual({
      ...idle,
      settle: [{ key: 'm', status: 'succeeded', output: [{ p: 'P', q: 'Q' }] }],
      done: { status: 'succeeded', output: [{ p: 'P', q: 'Q' }] },
    });
    expect(at(d, { t: ok(), m: running({ items: [1] }), 'm[0].c': ok(false) })).toEqual({
      ...idle,
      skip: ['m[0].p', 'm[0].q'],
      settle: [{ key: 'm', status: 'succeeded', output: [null] }],
      done: { status: 'succeeded', output: [null] },
    });
  });

  it('nested maps: composed keys, the innermost item, and the outer upstream in scope', () => {
    const inner = map('inner', { nodes: [transform('leaf')], edges: [] }, { items: 'item', concurrency: 2 });
    const outerBody = { nodes: [transform('prep'), inner], edges: [e('prep', 'inner')] };
    const d = wf([trigger(), map('outer', outerBody, { concurrency: 1 }), transform('end')], [e('t', 'outer'), e('outer', 'end')]);
    const base: S = { t: ok('T'), outer: running({ items: [['a', 'b', 'c'], ['d']] }), 'outer[0].prep': ok('P0') };
    const p = plan(d, base, NOW);
    expect(brief(p)).toEqual({ ...idle, ready: ['outer[0].inner'] });
    expect(p.ready[0]!.scope).toEqual({ nodes: outputs({ t: 'T', prep: 'P0' }), item: ['a', 'b', 'c'], index: 0 });

    const q = plan(d, { ...base, 'outer[0].inner': running({ items: ['a', 'b', 'c'] }) }, NOW);
    expect(brief(q)).toEqual({ ...idle, ready: ['outer[0].inner[0].leaf', 'outer[0].inner[1].leaf'] });
    expect(q.ready[1]!.scope).toEqual({ nodes: outputs({ t: 'T', prep: 'P0' }), item: 'b', index: 1 });

    const leaves: S = { 'outer[0].inner[0].leaf': ok('A'), 'outer[0].inner[1].leaf': ok('B'), 'outer[0].inner[2].leaf': ok('C') };
    const r = plan(d, { ...base, 'outer[0].inner': running({ items: ['a', 'b', 'c'] }), ...leaves }, NOW);
    expect(brief(r)).toEqual({ ...idle, ready: ['outer[1].prep'], settle: [{ key: 'outer[0].inner', status: 'succeeded', output: ['A', 'B', 'C'] }] });
    expect(r.ready[0]!.scope).toEqual({ nodes: outputs({ t: 'T' }), item: ['d'], index: 1 });

    const all: S = { ...base, 'outer[0].inner': ok(['A', 'B', 'C']), 'outer[1].prep': ok('P1'), 'outer[1].inner': running({ items: ['d'] }), 'outer[1].inner[0].leaf': ok('D') };
    expect(at(d, all)).toEqual({
      ...idle,
      ready: ['end'],
      settle: [
        { key: 'outer[1].inner', status: 'succeeded', output: ['D'] },
        { key: 'outer', status: 'succeeded', output: [['A', 'B', 'C'], ['D']] },
      ],
    });
  });

  it('a nested item failure fails both maps, with the chain of causes', () => {
    const inner = map('inner', { nodes: [transform('leaf')], edges: [] }, { items: 'item' });
    const d = wf([trigger(), map('outer', { nodes: [inner], edges: [] })], [e('t', 'outer')]);
    const p = plan(d, { t: ok(), outer: running({ items: [[1]] }), 'outer[0].inner': running({ items: [1] }), 'outer[0].inner[0].leaf': failed() }, NOW);
    expect(p.done).toEqual({
      status: 'failed',
      error: {
        code: 'map_item_failed',
        message: 'item 0: node `inner` failed: item 0: node `leaf` failed: boom',
        item: 0,
        cause: {
          code: 'map_item_failed',
          message: 'item 0: node `leaf` failed: boom',
          item: 0,
          cause: { ...error(), nodeId: 'leaf', key: 'outer[0].inner[0].leaf', attempts: 1 },
          nodeId: 'inner',
          key: 'outer[0].inner',
          attempts: 1,
        },
        nodeId: 'outer',
        key: 'outer',
        attempts: 1,
      },
    });
    expect(p.settle.map((s) => [s.key, s.status])).toEqual([
      ['outer[0].inner', 'failed'],
      ['outer', 'failed'],
    ]);
  });

  it('mapChildren lists each item and its body keys; keys parse back', () => {
    const d = mapWf();
    expect(mapChildren(d, 'm', 2)).toEqual([
      { index: 0, key: 'm[0]', nodes: ['m[0].x', 'm[0].y'] },
      { index: 1, key: 'm[1]', nodes: ['m[1].x', 'm[1].y'] },
    ]);
    expect(mapChildren(d, 'm', 0)).toEqual([]);
    expect(() => mapChildren(d, 'pre', 1)).toThrow(/not the key of a map/);
    expect(parseKey('o[2].i[10].leaf')).toEqual({ maps: [{ mapId: 'o', index: 2 }, { mapId: 'i', index: 10 }], nodeId: 'leaf' });
    expect(parseKey('o[2]')).toEqual({ maps: [{ mapId: 'o', index: 2 }], nodeId: null });
    expect(parseKey('a.b')).toBeNull();
    expect(nodeOfKey(d, 'm[3].y')?.node).toMatchObject({ id: 'y', type: 'transform' });
    expect(nodeOfKey(d, 'm[3]')?.id).toBe('m');
  });
});

describe('plan: resume and done', () => {
  const d = wf([trigger(), n('p', 'parallel'), transform('a'), transform('b')], [e('t', 'p'), e('p', 'a'), e('p', 'b')]);

  it('a running node is planned again as ready, resumed, with its attempt', () => {
    const p = plan(d, { t: ok(), p: ok(), a: running(), b: running({ attempt: 2 }) }, NOW);
    expect(p.ready.map((r) => [r.key, r.attempt, r.resumed])).toEqual([
      ['a', 1, true],
      ['b', 2, true],
    ]);
    expect(p.waiting).toBe(false);
  });

  it('several sinks that ran give an object by id; one that ran gives its output', () => {
    expect(at(d, { t: ok(), p: ok(), a: ok(1), b: ok({ two: 2 }) }).done).toEqual({ status: 'succeeded', output: { a: 1, b: { two: 2 } } });
    const c = wf([trigger(), cond('c'), transform('a'), transform('b')], [e('t', 'c'), e('c', 'a', 'true'), e('c', 'b', 'false')]);
    expect(at(c, { t: ok(), c: ok(false), a: skipped, b: ok('B') }).done).toEqual({ status: 'succeeded', output: 'B' });
  });

  it('a node named __proto__ is an ordinary scope key', () => {
    const p = wf([trigger(), transform('__proto__'), transform('b')], [e('t', '__proto__'), e('__proto__', 'b')]);
    const r = plan(p, { t: ok(), ['__proto__']: ok('X') }, NOW);
    expect(Object.keys(r.ready[0]!.scope.nodes)).toEqual(['t', '__proto__']);
    expect(Object.getOwnPropertyDescriptor(r.ready[0]!.scope.nodes, '__proto__')?.value).toEqual({ output: 'X' });
  });
});

describe('plan: big graphs', () => {
  // 99 blocks of 5 (condition → yes/no → join → step) after a trigger and 4 transforms: 500 nodes.
  const nodes: Json[] = [trigger(), transform('h1'), transform('h2'), transform('h3'), transform('h4')];
  const edges: Json[] = [e('t', 'h1'), e('h1', 'h2'), e('h2', 'h3'), e('h3', 'h4')];
  let last = 'h4';
  for (let i = 0; i < 99; i++) {
    nodes.push(cond(`c${i}`), transform(`y${i}`), transform(`n${i}`), join(`j${i}`, 'all'), transform(`s${i}`));
    edges.push(e(last, `c${i}`), e(`c${i}`, `y${i}`, 'true'), e(`c${i}`, `n${i}`, 'false'), e(`y${i}`, `j${i}`), e(`n${i}`, `j${i}`), e(`j${i}`, `s${i}`));
    last = `s${i}`;
  }

  it('plans a 500-node graph 1000 times in well under 2 s after compiling', () => {
    const d = wf(nodes, edges);
    expect(d.graph.nodes).toHaveLength(500);
    const state: S = { t: ok(), h1: ok(), h2: ok(), h3: ok(), h4: ok() };
    for (let i = 0; i < 50; i++) Object.assign(state, { [`c${i}`]: ok(i % 2 === 0), [`y${i}`]: i % 2 === 0 ? ok(i) : skipped, [`n${i}`]: i % 2 === 0 ? skipped : ok(i), [`j${i}`]: ok(), [`s${i}`]: ok() });
    const c = compile(d);
    const p = plan(c, state, NOW);
    expect(brief(p)).toEqual({ ...idle, ready: ['c50'] });
    expect(Object.keys(p.ready[0]!.scope.nodes)).toHaveLength(5 + 50 * 4);
    const started = performance.now();
    for (let i = 0; i < 1000; i++) plan(c, state, NOW);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
