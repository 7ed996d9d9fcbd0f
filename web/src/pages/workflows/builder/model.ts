import { NODE_ID, type NodeType } from '@server/workflows/definition';
import { ancestorsOf } from '@server/workflows/graph';
import type { EditorDefinition, EditorEdge, EditorGraph, EditorNode, NodeRun, NodeRunStatus } from '../api';

/**
 * The builder's pure operations on a definition: the graph shown at a scope (the workflow's own,
 * or a map node's body, nested), fresh node ids, handles, copy and paste, delete. Every function
 * returns a new definition and leaves its input alone, so undo can keep the old one.
 */

/** The map nodes whose bodies lead to the graph on screen, outermost first; [] is the workflow's own graph. */
export type Scope = string[];

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A map node's body (an empty one when its config has none yet). */
export function bodyOf(node: EditorNode): EditorGraph {
  const g = node.config.graph;
  if (isObject(g) && Array.isArray(g.nodes) && Array.isArray(g.edges)) return g as unknown as EditorGraph;
  return { nodes: [], edges: [] };
}

/** The graph at `scope`; undefined when a map on the way is gone (deleted, undone). */
export function graphAt(def: EditorDefinition, scope: Scope): EditorGraph | undefined {
  let graph: EditorGraph = def.graph;
  for (const id of scope) {
    const map = graph.nodes.find((n) => n.id === id && n.type === 'map');
    if (!map) return undefined;
    graph = bodyOf(map);
  }
  return graph;
}

/** The definition with the graph at `scope` replaced by `update(graph)`. */
export function updateGraphAt(def: EditorDefinition, scope: Scope, update: (g: EditorGraph) => EditorGraph): EditorDefinition {
  const rec = (graph: EditorGraph, rest: Scope): EditorGraph => {
    if (rest.length === 0) return update(graph);
    const [head, ...tail] = rest;
    return {
      ...graph,
      nodes: graph.nodes.map((n) => (n.id === head && n.type === 'map' ? { ...n, config: { ...n.config, graph: rec(bodyOf(n), tail) } } : n)),
    };
  };
  return { ...def, graph: rec(def.graph, scope) };
}

/** Every node of the definition, map bodies included (ids are unique across all of them). */
export function allNodes(graph: EditorGraph): EditorNode[] {
  return graph.nodes.flatMap((n) => (n.type === 'map' ? [n, ...allNodes(bodyOf(n))] : [n]));
}

/** `base`, or `base_2`, `base_3`…: the first id no node of the definition has. */
export function uniqueId(base: string, taken: ReadonlySet<string>): string {
  let clean = base.replace(/[^A-Za-z0-9_]/g, '_').replace(/_\d+$/, '') || 'node';
  if (!/^[A-Za-z_]/.test(clean)) clean = `n_${clean}`;
  clean = clean.slice(0, 56);
  if (!taken.has(clean)) return clean;
  for (let i = 2; ; i++) if (!taken.has(`${clean}_${i}`)) return `${clean}_${i}`;
}

/** Whether `id` may name a node: the server's rule (letters, digits and _, at most 63). */
export const isNodeId = (id: string) => NODE_ID.test(id);

/**
 * The handles a node's outgoing edges may use. The server's handlesOf (definition.ts) for a
 * config that may be half-filled: a switch's cases without ids are left out.
 */
export function handlesOf(node: EditorNode): string[] {
  const error = node.onError?.policy === 'continue' ? ['error'] : [];
  switch (node.type) {
    case 'condition':
      return ['true', 'false', ...error];
    case 'switch': {
      const cases = Array.isArray(node.config.cases) ? node.config.cases : [];
      const ids = cases.map((c) => (isObject(c) && typeof c.id === 'string' ? c.id : '')).filter((id) => id !== '');
      return [...new Set(ids), 'default', ...error];
    }
    case 'approval':
      return ['approved', 'rejected', ...error];
    default:
      return ['out', ...error];
  }
}

export const edgeKey = (e: EditorEdge) => `${e.source}.${e.sourceHandle}->${e.target}`;

/** The graph with an edge added, unless it exists, loops on one node, or enters a trigger. */
export function connect(graph: EditorGraph, edge: EditorEdge): EditorGraph {
  if (edge.source === edge.target) return graph;
  const target = graph.nodes.find((n) => n.id === edge.target);
  if (!target || target.type === 'trigger') return graph;
  if (graph.edges.some((e) => edgeKey(e) === edgeKey(edge))) return graph;
  return { ...graph, edges: [...graph.edges, edge] };
}

/** The graph without these nodes (and their edges) and these edges. */
export function removeElements(graph: EditorGraph, nodeIds: ReadonlySet<string>, edgeKeys: ReadonlySet<string>): EditorGraph {
  return {
    nodes: graph.nodes.filter((n) => !nodeIds.has(n.id)),
    edges: graph.edges.filter((e) => !nodeIds.has(e.source) && !nodeIds.has(e.target) && !edgeKeys.has(edgeKey(e))),
  };
}

/**
 * Renames a node in the graph at `scope`: its edges follow, and `nodes.<old>` in every
 * expression of the definition becomes `nodes.<new>`. Unchanged when the new id is taken or malformed.
 */
export function renameNode(def: EditorDefinition, scope: Scope, from: string, to: string): EditorDefinition {
  if (from === to || !isNodeId(to) || allNodes(def.graph).some((n) => n.id === to)) return def;
  const renamed = updateGraphAt(def, scope, (g) => ({
    nodes: g.nodes.map((n) => (n.id === from ? { ...n, id: to } : n)),
    edges: g.edges.map((e) => ({ ...e, source: e.source === from ? to : e.source, target: e.target === from ? to : e.target })),
  }));
  return { ...renamed, graph: rewriteReferences(renamed.graph, new Map([[from, to]])) };
}

/** Every string of the graph's configs with `nodes.<old>` references renamed. */
function rewriteReferences(graph: EditorGraph, renames: ReadonlyMap<string, string>): EditorGraph {
  if (renames.size === 0) return graph;
  const pattern = new RegExp(`\\bnodes\\.(${[...renames.keys()].join('|')})\\b`, 'g');
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return v.replace(pattern, (_m, id: string) => `nodes.${renames.get(id)}`);
    if (Array.isArray(v)) return v.map(walk);
    if (isObject(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x)]));
    return v;
  };
  return { ...graph, nodes: graph.nodes.map((n) => ({ ...n, config: walk(n.config) as Record<string, unknown> })) };
}

/** What copy keeps: the chosen nodes and the edges between them. */
export interface Clipboard {
  nodes: EditorNode[];
  edges: EditorEdge[];
}

export function copySelection(graph: EditorGraph, ids: ReadonlySet<string>): Clipboard | null {
  const nodes = graph.nodes.filter((n) => ids.has(n.id));
  if (nodes.length === 0) return null;
  return { nodes: structuredClone(nodes), edges: graph.edges.filter((e) => ids.has(e.source) && ids.has(e.target)).map((e) => ({ ...e })) };
}

/**
 * Pastes a clipboard into the graph at `scope`: every node (map bodies' too) gets a fresh id,
 * moved by `offset`; references between pasted nodes follow their new ids. A second trigger is
 * not pasted (a workflow has one), nor any trigger into a map body.
 * @returns the definition and the ids of the pasted nodes (to select them).
 */
export function paste(def: EditorDefinition, scope: Scope, clip: Clipboard, offset = { x: 40, y: 40 }): { definition: EditorDefinition; ids: string[] } {
  const taken = new Set(allNodes(def.graph).map((n) => n.id));
  const renames = new Map<string, string>();
  const fresh = (id: string) => {
    const next = uniqueId(id, taken);
    taken.add(next);
    renames.set(id, next);
    return next;
  };
  const hasTrigger = (graphAt(def, scope)?.nodes ?? []).some((n) => n.type === 'trigger') || scope.length > 0;
  const renameBody = (g: EditorGraph): EditorGraph => {
    const nodes = g.nodes.map((n) => ({ ...n, id: fresh(n.id), config: n.type === 'map' ? { ...n.config, graph: renameBody(bodyOf(n)) } : n.config }));
    return { nodes, edges: g.edges.map((e) => ({ ...e, source: renames.get(e.source) ?? e.source, target: renames.get(e.target) ?? e.target })) };
  };
  const picked = clip.nodes.filter((n) => !(n.type === 'trigger' && hasTrigger));
  const pasted = renameBody({ nodes: picked, edges: clip.edges.filter((e) => picked.some((n) => n.id === e.source) && picked.some((n) => n.id === e.target)) });
  const moved = rewriteReferences(pasted, renames);
  moved.nodes = moved.nodes.map((n) => ({ ...n, position: { x: (n.position?.x ?? 0) + offset.x, y: (n.position?.y ?? 0) + offset.y } }));
  const definition = updateGraphAt(def, scope, (g) => ({ nodes: [...g.nodes, ...moved.nodes], edges: [...g.edges, ...moved.edges] }));
  return { definition, ids: moved.nodes.map((n) => n.id) };
}

/**
 * The values an expression in `nodeId` (in the graph at `scope`) may read: `input`, the outputs
 * of the nodes upstream of it (and, in a map body, of those upstream of the map), and `item` and
 * `index` inside a map body.
 */
export function upstreamPaths(def: EditorDefinition, scope: Scope, nodeId: string): string[] {
  const paths = ['input'];
  const upstream: string[] = [];
  let graph: EditorGraph = def.graph;
  const levels: { graph: EditorGraph; id: string }[] = [];
  for (const mapId of scope) {
    levels.push({ graph, id: mapId });
    const map = graph.nodes.find((n) => n.id === mapId);
    if (!map) break;
    graph = bodyOf(map);
  }
  levels.push({ graph, id: nodeId });
  // Innermost first: the nearest values are the likeliest ones.
  for (const level of levels.reverse()) {
    const ancestors = ancestorsOf(level.graph).get(level.id) ?? new Set<string>();
    for (const n of level.graph.nodes) if (ancestors.has(n.id) && n.type !== 'trigger') upstream.push(n.id);
  }
  if (scope.length > 0) paths.push('item', 'index');
  return [...paths, ...upstream.map((id) => `nodes.${id}.output`)];
}

/** The state a node shows for a run: its one execution's, or over a map body's many, the most telling. */
export function nodeRunState(runs: readonly NodeRun[]): NodeRunStatus | undefined {
  if (runs.length === 0) return undefined;
  const order: NodeRunStatus[] = ['failed', 'running', 'waiting', 'succeeded', 'skipped'];
  return order.find((s) => runs.some((r) => r.status === s));
}

/** An output as text: a string as it is (an agent's answer reads as written), anything else as JSON. */
export function outputText(output: unknown, indent = 2): string {
  if (typeof output === 'string') return output;
  if (output === undefined) return '';
  try {
    return JSON.stringify(output, null, indent);
  } catch {
    return String(output);
  }
}

/** An output in one line of at most `max` characters, for the node on the canvas. */
export function outputPreview(output: unknown, max = 60): string {
  const text = outputText(output, 0).replace(/\s+/g, ' ').trim();
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * How long an execution took, from its start to its end, waits included (a delay's seconds, an
 * agent's child run): the server's `durationMs` counts only the engine's own work on the node
 * (its last slice, for one that waited). While it goes on, or without both times, `durationMs`.
 */
export function nodeDuration(run: Pick<NodeRun, 'startedAt' | 'finishedAt' | 'durationMs'>): number | null {
  const start = Date.parse(run.startedAt);
  const end = run.finishedAt ? Date.parse(run.finishedAt) : NaN;
  if (Number.isFinite(start) && Number.isFinite(end)) return Math.max(run.durationMs ?? 0, end - start);
  return run.durationMs;
}

/** Node executions by node id. */
export function runsByNode(items: readonly NodeRun[]): Map<string, NodeRun[]> {
  const out = new Map<string, NodeRun[]>();
  for (const item of items) out.set(item.nodeId, [...(out.get(item.nodeId) ?? []), item]);
  return out;
}

/** A new node type's first config: valid where a default makes sense, blank where a person must choose (an agent, a tool). */
export function defaultConfig(type: NodeType): Record<string, unknown> {
  switch (type) {
    case 'trigger':
      return { kind: 'manual' };
    case 'agent':
      return { agentId: '', task: '' };
    case 'tool':
      return { tool: '', args: {} };
    case 'condition':
      return { expression: 'true' };
    case 'switch':
      return { cases: [{ id: 'case_1', when: 'true' }] };
    case 'parallel':
      return {};
    case 'join':
      return { mode: 'all' };
    case 'map':
      return { items: 'input.items', concurrency: 4, graph: { nodes: [], edges: [] } };
    case 'approval':
      return { title: 'Approve this?', approverRole: 'admin', form: [] };
    case 'delay':
      return { seconds: 60 };
    case 'wait_until':
      return { until: '$fromMillis($toMillis($now()) + 3600000)' };
    case 'transform':
      return { value: {} };
    case 'sub_workflow':
      return { workflowId: '' };
  }
}

/** A blank workflow: a manual trigger alone. */
export function blankDefinition(name: string): EditorDefinition {
  return { name, graph: { nodes: [{ id: 'trigger', type: 'trigger', name: 'Start', position: { x: 0, y: 0 }, config: { kind: 'manual' } }], edges: [] } };
}
