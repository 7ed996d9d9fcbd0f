import type { WorkflowDefinition, WorkflowEdge, WorkflowGraph, WorkflowNode } from './definition.js';

/**
 * A structural diff of two definitions, for the dashboard's version comparison: nodes added,
 * removed and changed (field by field), edges added and removed, and the definition's own fields
 * (name, description, tags, input schema, settings) that changed. Nodes are matched by id, edges
 * by (source, handle, target); the order of nodes and edges in the lists is not a change. A map
 * node's body is compared as a graph of its own: its nodes and edges carry the map's id in
 * `scope` (nested maps: the chain of ids, outermost first).
 */

/** One changed value, at a dotted path; `from` is absent for a value added, `to` for a value removed. */
export interface FieldChange {
  field: string;
  from?: unknown;
  to?: unknown;
}

export interface NodeRef {
  scope: string[];
  id: string;
  type: string;
  name?: string;
}

export interface NodeChange extends NodeRef {
  /** Paths inside the node: `config.args.to`, `position`, `onError.policy`, … (a map's body is compared apart). */
  changes: FieldChange[];
}

export interface EdgeRef {
  scope: string[];
  source: string;
  target: string;
  sourceHandle: string;
}

export interface DefinitionDiff {
  fields: FieldChange[];
  nodes: { added: NodeRef[]; removed: NodeRef[]; changed: NodeChange[] };
  edges: { added: EdgeRef[]; removed: EdgeRef[] };
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Deep equality of JSON values; object keys in any order. */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a) || Array.isArray(b)) {
    return Array.isArray(a) && Array.isArray(b) && a.length === b.length && a.every((v, i) => jsonEqual(v, b[i]));
  }
  if (isObject(a) && isObject(b)) {
    const keys = Object.keys(a).filter((k) => a[k] !== undefined);
    return keys.length === Object.keys(b).filter((k) => b[k] !== undefined).length && keys.every((k) => jsonEqual(a[k], b[k]));
  }
  return false;
}

/** The changes from `a` to `b`: objects are compared key by key, anything else (arrays too) as a whole. */
export function diffValues(a: unknown, b: unknown, path: string, out: FieldChange[] = []): FieldChange[] {
  if (isObject(a) && isObject(b)) {
    const keys = [...Object.keys(a), ...Object.keys(b).filter((k) => !(k in a))];
    for (const k of keys) diffValues(a[k], b[k], path ? `${path}.${k}` : k, out);
  } else if (!jsonEqual(a, b)) {
    out.push({ field: path, ...(a === undefined ? {} : { from: a }), ...(b === undefined ? {} : { to: b }) });
  }
  return out;
}

const nodeRef = (scope: string[], n: WorkflowNode): NodeRef => ({ scope, id: n.id, type: n.type, ...(n.name === undefined ? {} : { name: n.name }) });
const edgeKey = (e: WorkflowEdge) => JSON.stringify([e.source, e.sourceHandle, e.target]);

/** A map node without its body (compared apart), or the node as it is. */
function withoutBody(n: WorkflowNode): unknown {
  if (n.type !== 'map') return n;
  const { graph: _graph, ...config } = n.config;
  return { ...n, config };
}

function diffGraphs(a: WorkflowGraph, b: WorkflowGraph, scope: string[], out: DefinitionDiff): void {
  const before = new Map<string, WorkflowNode>();
  for (const n of a.nodes) if (!before.has(n.id)) before.set(n.id, n);
  const after = new Map<string, WorkflowNode>();
  for (const n of b.nodes) if (!after.has(n.id)) after.set(n.id, n);

  for (const n of after.values()) {
    const old = before.get(n.id);
    if (!old) {
      out.nodes.added.push(nodeRef(scope, n));
      continue;
    }
    const bothMaps = old.type === 'map' && n.type === 'map';
    const changes = bothMaps ? diffValues(withoutBody(old), withoutBody(n), '') : diffValues(old, n, '');
    if (changes.length) out.nodes.changed.push({ ...nodeRef(scope, n), changes });
    if (old.type === 'map' && n.type === 'map') diffGraphs(old.config.graph, n.config.graph, [...scope, n.id], out);
  }
  for (const n of before.values()) if (!after.has(n.id)) out.nodes.removed.push(nodeRef(scope, n));

  const edgesBefore = new Set(a.edges.map(edgeKey));
  const edgesAfter = new Set(b.edges.map(edgeKey));
  const ref = (e: WorkflowEdge): EdgeRef => ({ scope, source: e.source, target: e.target, sourceHandle: e.sourceHandle });
  const seen = new Set<string>();
  for (const e of b.edges) if (!edgesBefore.has(edgeKey(e)) && !seen.has(edgeKey(e)) && seen.add(edgeKey(e))) out.edges.added.push(ref(e));
  seen.clear();
  for (const e of a.edges) if (!edgesAfter.has(edgeKey(e)) && !seen.has(edgeKey(e)) && seen.add(edgeKey(e))) out.edges.removed.push(ref(e));
}

/** What changed from definition `a` to definition `b`. */
export function diffDefinitions(a: WorkflowDefinition, b: WorkflowDefinition): DefinitionDiff {
  const out: DefinitionDiff = { fields: [], nodes: { added: [], removed: [], changed: [] }, edges: { added: [], removed: [] } };
  const { graph: graphA, ...restA } = a;
  const { graph: graphB, ...restB } = b;
  diffValues(restA, restB, '', out.fields);
  diffGraphs(graphA, graphB, [], out);
  return out;
}
