import type { MapConfig, WorkflowDefinition } from '../definition.js';
import { compiled, type CompiledGraph, type CompiledNode, type CompiledWorkflow, type PlannableDefinition } from './compile.js';
import { bodyKey, itemKey } from './keys.js';
import { MAP_ITEM_FAILED, SKIPPED, arrivals, continuedHandle, decide, handleTaken, isRan, onFailure, type Resolution } from './routing.js';
import type { ExecutionState, ItemResultRequest, NodeError, Plan, PlanScope, ReadyExecution, RetryExecution, RunError, RunState, Settlement } from './types.js';

export { compile, type CompiledWorkflow } from './compile.js';
export { bodyKey, itemKey, mapChildren, nodeOfKey, parseKey, type MapChild } from './keys.js';
export { MAP_ITEM_FAILED } from './routing.js';
export type * from './types.js';

/**
 * The workflow run's state machine, pure: `plan(definition, state, now)` says what to do next
 * from the finished (and started) node executions alone: no database, timers or I/O. The engine
 * calls it on every claim of a workflow run, carries the plan out, stores the results as steps,
 * and calls it again. The same state and time give the same plan.
 *
 * Routing (routing.ts):
 * - A node that ran takes one handle and fires every outgoing edge with it: `out` for most
 *   nodes (a parallel node fires all its edges, which are all `out`); a condition `true` when its
 *   output is exactly `true`, else `false`; a switch the case id it took, else `default`; an
 *   approval `approved` or `rejected`. Edges with another handle are resolved-not-fired.
 * - A node runs when every incoming edge is resolved and one fired; when none fired it is
 *   skipped, which resolves its own edges as not fired: skips propagate. Joins decide by their
 *   mode (`decide` in routing.ts; `first` with fewer than `count` branches left runs with those).
 * - Error policy (the node's `onError`, else the workflow's `settings.errorPolicy`): `fail` fails
 *   the run; `retry` tries again `backoffMs · 2^(n−1)` after the n-th failure while attempts are
 *   left, then fails the run; `continue` makes the error object the node's output, and the node
 *   takes its `error` edges when it has any, else the handle its error would take as an output
 *   (`out`; a condition `false`, a switch `default`, an approval `rejected`).
 *
 * Map nodes: the map is ready like any node; the engine evaluates `items` and stores the map as
 * `running` with the `items` array. From then on the plan runs the items: item i's body nodes are
 * `<mapKey>[i].<id>`, with `item` and `index` in their scope; items start in input order, at most
 * `concurrency` in flight (an item is in flight from its first body execution until every body
 * node is resolved). An item's result is the output of its body's sink (the node without
 * outgoing edges that ran; several ran: an object by id; none: null), or, with a `result`
 * expression, what the engine evaluates for it (`evaluate` in the plan, stored as the item key's
 * state). When every item has a result, the plan settles the map as succeeded with the results
 * in input order (an empty list at once). An item failing under `fail` (or out of retries) fails
 * the map at once (settled as failed with code `map_item_failed`, the item's error as `cause`):
 * the map's own policy then applies (`continue` goes on; `retry` does not re-run items: a map is
 * retried only when evaluating its `items` failed), and the other items' started executions are
 * abandoned.
 *
 * The run ends `succeeded` when every top-level node is resolved, with the output of its sinks
 * that ran (one: its output; several: an object by node id; none: null); `failed` as soon as a
 * node fails for good (the first in execution order), every started execution then abandoned.
 *
 * Timers: a `waiting` execution on a timer that is up is settled as succeeded (output null).
 * A `running` execution (its end unknown, a crash came between) is planned as ready again with
 * `resumed`: the engine decides whether to run it again (a non-idempotent tool recorded before
 * it ran is not).
 */
export function plan(definition: CompiledWorkflow | PlannableDefinition | WorkflowDefinition, state: RunState, now: number): Plan {
  const workflow = compiled(definition);
  const ctx: Context = { state: state instanceof Map ? state : new Map(Object.entries(state)), now };
  const out = new Collector();
  const top = walk({ graph: workflow.graph, prefix: '', outer: [] }, ctx, out);
  if (top.fatal) {
    return { ready: [], skip: [], retry: [], evaluate: [], settle: out.settle, abandon: [...out.live, ...out.abandon], done: { status: 'failed', error: top.fatal }, waiting: false, wakeAt: null };
  }
  const done = top.resolved ? { status: 'succeeded' as const, output: sinkOutput(workflow.graph, top.res) } : null;
  const due = out.retry.some((r) => r.notBefore <= now);
  const busy = out.ready.length > 0 || out.evaluate.length > 0 || due;
  return {
    ready: out.ready,
    skip: out.skip,
    retry: out.retry,
    evaluate: out.evaluate,
    settle: out.settle,
    abandon: out.abandon,
    done,
    waiting: done === null && !busy && (out.waits || out.retry.length > 0),
    wakeAt: done === null && out.wakeAt !== Infinity ? out.wakeAt : null,
  };
}

interface Context {
  state: ReadonlyMap<string, ExecutionState>;
  now: number;
}

type ScopeEntries = [string, { output: unknown }][];

/** One graph being walked: the top graph, or a map body for one item. */
interface Instance {
  graph: CompiledGraph;
  /** '' at the top, `<itemKey>.` in a body. */
  prefix: string;
  /** Outputs readable from outside the graph (a body: its map's upstream). */
  outer: ScopeEntries;
  item?: { value: unknown; index: number };
}

/** What a walk (of the whole run, or of one map's items) asks for. */
class Collector {
  ready: ReadyExecution[] = [];
  skip: string[] = [];
  retry: RetryExecution[] = [];
  evaluate: ItemResultRequest[] = [];
  settle: Settlement[] = [];
  /** Started executions not finished (running, waiting). */
  live: string[] = [];
  abandon: string[] = [];
  /** A live execution waits (not on a timer that is up). */
  waits = false;
  wakeAt = Infinity;

  absorb(c: Collector) {
    this.ready.push(...c.ready);
    this.skip.push(...c.skip);
    this.retry.push(...c.retry);
    this.evaluate.push(...c.evaluate);
    this.settle.push(...c.settle);
    this.live.push(...c.live);
    this.abandon.push(...c.abandon);
    this.waits ||= c.waits;
    this.wakeAt = Math.min(this.wakeAt, c.wakeAt);
  }

  /** A map failed: nothing of its items is wanted any more, but what they finished is stored. */
  drop(c: Collector) {
    this.settle.push(...c.settle);
    this.abandon.push(...c.live, ...c.abandon);
  }
}

interface Walked {
  res: Resolution[];
  resolved: boolean;
  /** The first execution that failed for good. */
  fatal?: RunError;
}

function walk(inst: Instance, ctx: Context, out: Collector): Walked {
  const { graph, prefix } = inst;
  const res: Resolution[] = new Array<Resolution>(graph.nodes.length);
  let resolved = true;
  let fatal: RunError | undefined;
  for (const cn of graph.nodes) {
    const key = prefix + cn.id;
    const st = ctx.state.get(key);
    let r: Resolution;
    if (st === undefined) {
      const d = decide(cn, res);
      if (d.kind === 'skip') {
        out.skip.push(key);
        r = SKIPPED;
      } else if (d.kind === 'ready') {
        out.ready.push(ready(cn, key, inst, res, { attempt: 1, resumed: false, arrivals: d.arrivals }));
      }
    } else if (st.status === 'succeeded') {
      r = { output: st.output, handle: handleTaken(cn.node, st.output, st.handle), at: st.finishedAt ?? Infinity };
    } else if (st.status === 'skipped') {
      r = SKIPPED;
    } else if (st.status === 'failed') {
      const f = failed(cn, key, st, inst, res, ctx, out);
      r = f.res;
      fatal ??= f.fatal;
    } else if (st.status === 'waiting') {
      if (st.on.kind === 'timer' && st.on.until <= ctx.now) {
        out.settle.push({ key, status: 'succeeded', output: null });
        r = { output: null, handle: handleTaken(cn.node, null), at: st.on.until };
      } else {
        out.live.push(key);
        out.waits = true;
        if (st.on.kind === 'timer') out.wakeAt = Math.min(out.wakeAt, st.on.until);
      }
    } else if (cn.body && Array.isArray(st.items)) {
      const f = runMap(cn, key, st.items, inst, res, ctx, out);
      r = f.res;
      fatal ??= f.fatal;
    } else {
      out.live.push(key);
      const join = cn.node.type === 'join' ? arrivals(cn, res) : undefined;
      out.ready.push(ready(cn, key, inst, res, { attempt: st.attempt ?? 1, resumed: true, arrivals: join }));
    }
    res[cn.index] = r;
    if (r === undefined) resolved = false;
  }
  return { res, resolved, fatal };
}

/** The outputs a node may read: its graph's outer outputs, then its ancestors' that ran (in topological order). */
function scopeEntries(inst: Instance, cn: CompiledNode, res: readonly Resolution[]): ScopeEntries {
  const entries = inst.outer.slice();
  for (const a of cn.ancestors) {
    const r = res[a];
    if (isRan(r)) entries.push([inst.graph.nodes[a]!.id, { output: r.output }]);
  }
  return entries;
}

function scopeOf(inst: Instance, entries: ScopeEntries): PlanScope {
  // fromEntries defines properties, so a node named `__proto__` is an ordinary key.
  const scope: PlanScope = { nodes: Object.fromEntries(entries) };
  if (inst.item) {
    scope.item = inst.item.value;
    scope.index = inst.item.index;
  }
  return scope;
}

function ready(cn: CompiledNode, key: string, inst: Instance, res: readonly Resolution[], how: { attempt: number; resumed: boolean; arrivals?: Record<string, unknown> }): ReadyExecution {
  const r: ReadyExecution = { key, node: cn.node, attempt: how.attempt, resumed: how.resumed, scope: scopeOf(inst, scopeEntries(inst, cn, res)) };
  if (how.arrivals) r.arrivals = how.arrivals;
  return r;
}

function failed(
  cn: CompiledNode,
  key: string,
  st: { error: NodeError; attempts: number; finishedAt: number },
  inst: Instance,
  res: readonly Resolution[],
  ctx: Context,
  out: Collector,
): { res: Resolution; fatal?: RunError } {
  const final = cn.body !== undefined && st.error.code === MAP_ITEM_FAILED;
  const d = onFailure(cn.policy, st, final);
  if (d.kind === 'continue') return { res: { output: st.error, handle: continuedHandle(cn, st.error), at: st.finishedAt } };
  if (d.kind === 'retry') {
    out.retry.push({ key, node: cn.node, attempt: d.attempt, notBefore: d.notBefore, error: st.error, scope: scopeOf(inst, scopeEntries(inst, cn, res)) });
    if (d.notBefore > ctx.now) out.wakeAt = Math.min(out.wakeAt, d.notBefore);
    return { res: undefined };
  }
  return { res: undefined, fatal: { ...st.error, nodeId: cn.id, key, attempts: st.attempts } };
}

/** A map whose items were evaluated: walks the items (see the module comment). */
function runMap(cn: CompiledNode, key: string, items: unknown[], inst: Instance, res: readonly Resolution[], ctx: Context, out: Collector): { res: Resolution; fatal?: RunError } {
  const body = cn.body!;
  const config = cn.node.config as MapConfig;
  const outer = scopeEntries(inst, cn, res);
  const child = new Collector();
  const results = new Array<unknown>(items.length);
  let pending = false;
  let inFlight = 0;
  let failure: NodeError | undefined;
  for (let index = 0; index < items.length; index++) {
    const ik = itemKey(key, index);
    const started = body.entries.some((e) => ctx.state.has(bodyKey(ik, body.nodes[e]!.id)));
    if (!started && (failure !== undefined || inFlight >= config.concurrency)) {
      pending = true;
      continue;
    }
    const item: Instance = { graph: body, prefix: `${ik}.`, outer, item: { value: items[index], index } };
    const w = walk(item, ctx, child);
    if (w.fatal) {
      failure ??= itemFailure(index, w.fatal);
      continue;
    }
    if (!w.resolved) {
      inFlight += 1;
      pending = true;
      continue;
    }
    if (config.result === undefined) {
      results[index] = sinkOutput(body, w.res);
      continue;
    }
    const rs = ctx.state.get(ik);
    if (rs?.status === 'succeeded') results[index] = rs.output;
    else if (rs?.status === 'failed') failure ??= itemFailure(index, { ...rs.error, nodeId: cn.id, key: ik, attempts: rs.attempts });
    else {
      const entries = outer.slice();
      body.nodes.forEach((n, i) => {
        const r = w.res[i];
        if (isRan(r)) entries.push([n.id, { output: r.output }]);
      });
      child.evaluate.push({ key: ik, mapKey: key, index, expression: config.result, scope: scopeOf(item, entries) });
      pending = true;
    }
  }
  if (failure) {
    out.drop(child);
    out.settle.push({ key, status: 'failed', error: failure, attempts: 1 });
    return failed(cn, key, { error: failure, attempts: 1, finishedAt: ctx.now }, inst, res, ctx, out);
  }
  out.absorb(child);
  if (pending) return { res: undefined };
  out.settle.push({ key, status: 'succeeded', output: results });
  return { res: { output: results, handle: 'out', at: ctx.now } };
}

function itemFailure(index: number, cause: RunError): NodeError {
  return { code: MAP_ITEM_FAILED, message: `item ${index}: node \`${cause.nodeId}\` failed: ${cause.message}`, item: index, cause };
}

/** A graph's result: its sinks that ran; one: its output, several: an object by id, none: null. */
function sinkOutput(graph: CompiledGraph, res: readonly Resolution[]): unknown {
  const ran: [string, unknown][] = [];
  for (const s of graph.sinks) {
    const r = res[s];
    if (isRan(r)) ran.push([graph.nodes[s]!.id, r.output]);
  }
  if (ran.length === 0) return null;
  if (ran.length === 1) return ran[0]![1];
  return Object.fromEntries(ran);
}
