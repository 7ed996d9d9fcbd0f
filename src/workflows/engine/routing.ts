import type { WorkflowNode } from '../definition.js';
import type { CompiledNode, ErrorPolicy } from './compile.js';
import type { NodeError } from './types.js';

/**
 * Routing rules of the planner: which handle a finished node takes, when a node with incoming
 * edges runs or is skipped (joins by their mode), and what a failure leads to.
 */

/** A node that ran (or failed under `continue`): its output, the handle it took, and when it finished (Infinity: unknown). */
export interface Ran {
  output: unknown;
  handle: string;
  at: number;
}
/** Skipped. */
export const SKIPPED = 0;
/** Per node of one graph instance: Ran, SKIPPED, or undefined (not resolved yet). */
export type Resolution = Ran | typeof SKIPPED | undefined;

export const isRan = (r: Resolution): r is Ran => typeof r === 'object';

/** A map failed because one of its items did: final, whatever the map's policy (its body nodes had their own). */
export const MAP_ITEM_FAILED = 'map_item_failed';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The handle a node that produced `output` takes (`handle`: the one the engine recorded, for the branching nodes). */
export function handleTaken(node: WorkflowNode, output: unknown, handle?: string): string {
  switch (node.type) {
    case 'condition':
      return handle ?? (output === true ? 'true' : 'false');
    case 'switch':
      return handle ?? 'default';
    case 'approval':
      return handle ?? (isObject(output) && output.approved === true ? 'approved' : 'rejected');
    default:
      return 'out';
  }
}

/**
 * The handle a node failed under `continue` takes: `error` when it has an edge with that handle,
 * else the one its error would take as an output (`out`; a condition `false`, a switch `default`,
 * an approval `rejected`).
 */
export function continuedHandle(cn: CompiledNode, error: NodeError): string {
  return cn.errorEdge ? 'error' : handleTaken(cn.node, error);
}

export type Decision = { kind: 'pending' } | { kind: 'skip' } | { kind: 'ready'; arrivals?: Record<string, unknown> };

/**
 * Whether a node not started yet runs, is skipped or waits, from its incoming edges. An edge
 * is fired when its source ran and took its handle, resolved-not-fired when its source was
 * skipped or took another handle, pending otherwise.
 * - No incoming edge (the trigger, a map body's entry nodes): runs.
 * - Most nodes: run when every incoming edge is resolved and one fired; none fired: skipped.
 * - join `all`: the same, with the fired branches' outputs as arrivals.
 * - join `any`: runs on the first fired branch (later ones are ignored).
 * - join `first` (`count`, default 1): runs when `count` branches fired, with the first `count`;
 *   when every edge is resolved and fewer (but one or more) fired, runs with those: a skipped
 *   branch cannot arrive any more, and waiting for it would hang the run. None fired: skipped.
 * "First" is by the sources' `finishedAt`, then incoming-edge order; arrivals are keyed by source
 * node id, in incoming-edge order.
 */
export function decide(cn: CompiledNode, res: readonly Resolution[]): Decision {
  if (cn.incoming.length === 0) return { kind: 'ready' };
  let pending = 0;
  let fired = 0;
  for (const e of cn.incoming) {
    const r = res[e.source];
    if (r === undefined) pending += 1;
    else if (isRan(r) && r.handle === e.handle) fired += 1;
  }
  if (cn.node.type !== 'join') {
    if (pending > 0) return { kind: 'pending' };
    return fired > 0 ? { kind: 'ready' } : { kind: 'skip' };
  }
  const need = joinNeeds(cn.node);
  if (fired >= need || (pending === 0 && fired > 0)) return { kind: 'ready', arrivals: arrivals(cn, res) };
  return pending > 0 ? { kind: 'pending' } : { kind: 'skip' };
}

function joinNeeds(node: Extract<WorkflowNode, { type: 'join' }>): number {
  if (node.config.mode === 'any') return 1;
  if (node.config.mode === 'first') return node.config.count ?? 1;
  return Infinity;
}

/** A join's arrivals now (see {@link decide}); also for a resumed join. */
export function arrivals(cn: CompiledNode, res: readonly Resolution[]): Record<string, unknown> {
  const fired: { source: number; order: number; ran: Ran }[] = [];
  cn.incoming.forEach((e, order) => {
    const r = res[e.source];
    if (isRan(r) && r.handle === e.handle && !fired.some((f) => f.source === e.source)) fired.push({ source: e.source, order, ran: r });
  });
  let chosen = fired;
  if (cn.node.type === 'join' && cn.node.config.mode !== 'all') {
    const need = joinNeeds(cn.node);
    chosen = [...fired].sort((a, b) => a.ran.at - b.ran.at || a.order - b.order).slice(0, need).sort((a, b) => a.order - b.order);
  }
  return Object.fromEntries(chosen.map((f) => [cn.incoming[f.order]!.sourceId, f.ran.output]));
}

export type FailureDecision = { kind: 'continue' } | { kind: 'retry'; attempt: number; notBefore: number } | { kind: 'fatal' };

/**
 * What a failed execution leads to under its policy: `continue`; `retry` while attempts are
 * left, the next one `backoffMs · 2^(attempts−1)` after the failure (1 s, 2 s, 4 s … by default);
 * else `fatal` (the run fails). `final`: no retry whatever the policy (a map failed by an item).
 */
export function onFailure(policy: ErrorPolicy, failed: { attempts: number; finishedAt: number }, final = false): FailureDecision {
  if (policy.policy === 'continue') return { kind: 'continue' };
  if (policy.policy === 'retry' && !final && failed.attempts < policy.attempts) {
    return { kind: 'retry', attempt: failed.attempts + 1, notBefore: failed.finishedAt + policy.backoffMs * 2 ** Math.max(0, failed.attempts - 1) };
  }
  return { kind: 'fatal' };
}
