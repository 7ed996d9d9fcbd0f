import { describe, expect, it } from 'vitest';
import { mapChildren, nodeOfKey, parseKey, plan } from './plan.js';
import { type Json, trigger, transform, cond, map, e, retry, cont, wf, T0, NOW, type S, ok, running, onRun, error, failed, idle, brief, at, outputs } from './plan.test-helpers.js';

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
