import type { WorkflowDefinition, WorkflowGraph, WorkflowNode } from '../definition.js';
import { ancestorsOf, topologicalOrder } from '../graph.js';

/**
 * What the planner precomputes once per definition (the engine caches it by workflow version):
 * each graph (the top one and every map body) in topological order, with each node's incoming
 * edges, ancestors and error policy as indexes into that order, so a plan is array walks and
 * Map lookups only. Compiling a 500-node graph takes about 10 ms (mostly graph.ts's ancestorsOf);
 * planning it then takes under 0.1 ms.
 */

export interface ErrorPolicy {
  policy: 'fail' | 'continue' | 'retry';
  attempts: number;
  backoffMs: number;
}

/** The workflow's default when the definition has none (the schema's default). */
export const DEFAULT_ERROR_POLICY: ErrorPolicy = { policy: 'fail', attempts: 3, backoffMs: 1000 };

export interface CompiledNode {
  id: string;
  node: WorkflowNode;
  /** Position in its graph's topological order. */
  index: number;
  /** Incoming edges, one per (source, handle), in definition order; `source` is a position. */
  incoming: { source: number; sourceId: string; handle: string }[];
  /** Upstream nodes of the same graph, as positions, ascending. */
  ancestors: number[];
  /** It has an outgoing edge with the `error` handle. */
  errorEdge: boolean;
  policy: ErrorPolicy;
  /** A map's body, compiled. */
  body?: CompiledGraph;
}

export interface CompiledGraph {
  /** Nodes in topological order (graph.ts: among nodes ready at once, the first defined first). */
  nodes: CompiledNode[];
  /** Positions of the nodes without incoming edges (a body's entry nodes; the trigger at the top). */
  entries: number[];
  /** Positions of the nodes without outgoing edges, ascending. */
  sinks: number[];
}

const COMPILED = Symbol('compiled workflow');

export interface CompiledWorkflow {
  readonly [COMPILED]: true;
  definition: PlannableDefinition;
  graph: CompiledGraph;
  /** Every node by id, map bodies included (ids are unique across a workflow). */
  nodes: ReadonlyMap<string, CompiledNode>;
}

/** What planning reads of a definition. */
export interface PlannableDefinition {
  graph: WorkflowGraph;
  settings?: { errorPolicy?: Partial<ErrorPolicy> & { policy: ErrorPolicy['policy'] } };
}

const policyOf = (p: Partial<ErrorPolicy> & { policy: ErrorPolicy['policy'] }): ErrorPolicy => ({
  policy: p.policy,
  attempts: p.attempts ?? DEFAULT_ERROR_POLICY.attempts,
  backoffMs: p.backoffMs ?? DEFAULT_ERROR_POLICY.backoffMs,
});

/** Compiles a valid definition (validateWorkflow finds no problem). Throws on a cycle. */
export function compile(definition: PlannableDefinition | WorkflowDefinition): CompiledWorkflow {
  const fallback = definition.settings?.errorPolicy ? policyOf(definition.settings.errorPolicy) : DEFAULT_ERROR_POLICY;
  const all = new Map<string, CompiledNode>();
  const graph = compileGraph(definition.graph, fallback, all);
  return { [COMPILED]: true, definition, graph, nodes: all };
}

function compileGraph(graph: WorkflowGraph, fallback: ErrorPolicy, all: Map<string, CompiledNode>): CompiledGraph {
  const order = topologicalOrder(graph);
  const position = new Map(order.map((id, i) => [id, i]));
  const byId = new Map<string, WorkflowNode>();
  for (const n of graph.nodes) if (!byId.has(n.id)) byId.set(n.id, n);
  const ancestors = ancestorsOf(graph);
  const nodes: CompiledNode[] = order.map((id, index) => {
    const node = byId.get(id)!;
    const compiled: CompiledNode = {
      id,
      node,
      index,
      incoming: [],
      ancestors: [...ancestors.get(id)!].map((a) => position.get(a)!).sort((a, b) => a - b),
      errorEdge: false,
      policy: node.onError ? policyOf(node.onError) : fallback,
    };
    if (node.type === 'map') compiled.body = compileGraph(node.config.graph, fallback, all);
    all.set(id, compiled);
    return compiled;
  });
  const outgoing = new Set<number>();
  const seen = new Set<string>();
  for (const e of graph.edges) {
    const source = position.get(e.source);
    const target = position.get(e.target);
    if (source === undefined || target === undefined) continue;
    const handle = e.sourceHandle ?? 'out';
    const key = `${source} ${handle} ${target}`;
    if (seen.has(key)) continue;
    seen.add(key);
    nodes[target]!.incoming.push({ source, sourceId: e.source, handle });
    if (handle === 'error') nodes[source]!.errorEdge = true;
    outgoing.add(source);
  }
  return {
    nodes,
    entries: nodes.filter((n) => n.incoming.length === 0).map((n) => n.index),
    sinks: nodes.filter((n) => !outgoing.has(n.index)).map((n) => n.index),
  };
}

const cache = new WeakMap<object, CompiledWorkflow>();

/** The compiled form: as given when compiled, else compiled once per definition object (a WeakMap). */
export function compiled(definition: CompiledWorkflow | PlannableDefinition | WorkflowDefinition): CompiledWorkflow {
  if (COMPILED in definition) return definition;
  let hit = cache.get(definition);
  if (!hit) {
    hit = compile(definition);
    cache.set(definition, hit);
  }
  return hit;
}
