import { describe, expect, it } from 'vitest';
import { compile, plan, type ExecutionState } from './plan.js';
import { AGENT, SUB, type Json, n, trigger, transform, cond, sw, join, map, e, retry, cont, wf, T0, NOW, type S, ok, skipped, running, onRun, error, failed, idle, brief, at, outputs } from './plan.test-helpers.js';

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

  // Its speed is measured in bench/workflow (a test never times: decision of the README's rules).
  it('plans a 500-node graph: the next ready node, with every upstream output in its scope', () => {
    const d = wf(nodes, edges);
    expect(d.graph.nodes).toHaveLength(500);
    const state: S = { t: ok(), h1: ok(), h2: ok(), h3: ok(), h4: ok() };
    for (let i = 0; i < 50; i++) Object.assign(state, { [`c${i}`]: ok(i % 2 === 0), [`y${i}`]: i % 2 === 0 ? ok(i) : skipped, [`n${i}`]: i % 2 === 0 ? skipped : ok(i), [`j${i}`]: ok(), [`s${i}`]: ok() });
    const c = compile(d);
    const p = plan(c, state, NOW);
    expect(brief(p)).toEqual({ ...idle, ready: ['c50'] });
    expect(Object.keys(p.ready[0]!.scope.nodes)).toHaveLength(5 + 50 * 4);
  });
});
