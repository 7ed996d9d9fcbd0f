import type { WorkflowDefinition } from '../definition.js';
import { compiled, type CompiledNode, type CompiledWorkflow, type PlannableDefinition } from './compile.js';

/**
 * Execution keys (types.ts): `<nodeId>` at the top level, `<mapKey>[<index>].<nodeId>` in a map
 * body, `<mapKey>[<index>]` for a map item itself. Node ids are identifiers, so `[`, `]` and `.`
 * never occur in them and a key parses back unambiguously.
 */

/** The key of an item of the map executed as `mapKey`. */
export const itemKey = (mapKey: string, index: number) => `${mapKey}[${index}]`;

/** The key of a body node in an item (`itemKey` from {@link itemKey}). */
export const bodyKey = (item: string, nodeId: string) => `${item}.${nodeId}`;

export interface ParsedKey {
  /** The maps around the execution, outermost first, with the item index in each. */
  maps: { mapId: string; index: number }[];
  /** The node, or null for an item key (`each[2]`). */
  nodeId: string | null;
}

const SEGMENT = /^([A-Za-z_][A-Za-z0-9_]*)(?:\[(\d+)\])?$/;

/** Parses an execution key; null when it is not one. */
export function parseKey(key: string): ParsedKey | null {
  const parts = key.split('.');
  const maps: ParsedKey['maps'] = [];
  for (let i = 0; i < parts.length; i++) {
    const m = SEGMENT.exec(parts[i]!);
    if (!m) return null;
    const last = i === parts.length - 1;
    if (m[2] === undefined) return last ? { maps, nodeId: m[1]! } : null;
    maps.push({ mapId: m[1]!, index: Number(m[2]) });
    if (last) return { maps, nodeId: null };
  }
  return null;
}

/** The node an execution key runs (for an item key, its map); undefined when the definition has no such node. */
export function nodeOfKey(definition: CompiledWorkflow | PlannableDefinition | WorkflowDefinition, key: string): CompiledNode | undefined {
  const parsed = parseKey(key);
  if (!parsed) return undefined;
  const id = parsed.nodeId ?? parsed.maps.at(-1)?.mapId;
  return id === undefined ? undefined : compiled(definition).nodes.get(id);
}

/** One item of a map execution: its key and its body nodes' keys, in topological order. */
export interface MapChild {
  index: number;
  key: string;
  nodes: string[];
}

/**
 * The executions of a map run over `itemCount` items (after the engine evaluated `items` and
 * stored them in the map's `running` state). Nested maps' own items are not listed: they depend
 * on their `items`. Throws when `mapKey` does not name a map node.
 */
export function mapChildren(definition: CompiledWorkflow | PlannableDefinition | WorkflowDefinition, mapKey: string, itemCount: number): MapChild[] {
  const parsed = parseKey(mapKey);
  const node = parsed?.nodeId ? compiled(definition).nodes.get(parsed.nodeId) : undefined;
  if (!node?.body) throw new Error(`\`${mapKey}\` is not the key of a map node`);
  const body = node.body;
  return Array.from({ length: itemCount }, (_, index) => {
    const key = itemKey(mapKey, index);
    return { index, key, nodes: body.nodes.map((n) => bodyKey(key, n.id)) };
  });
}
