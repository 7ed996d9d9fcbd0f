import type { WorkflowDefinition } from './definition.js';
import { compiled } from './engine/compile.js';
import { nodeOfKey, parseKey } from './engine/plan.js';

/** What the read side knows of one node execution. */
export interface ExecutionSeen {
  key: string;
  status: string;
  output: unknown;
  /** A map's items, as the engine evaluated them (runner.ts keeps them in the map's step). */
  items?: unknown[];
  error?: { code: string; message: string } | null;
}

/**
 * What each node execution received, worked out when read (nothing more is stored per node): the
 * outputs of the nodes its incoming edges come from, by node id (a failed source's error on its
 * `error` edge); the run's input for the trigger; `{item, index}` for the first nodes
 * of a map item's body, and the item for the item itself. Executions whose sources have not
 * finished get what has.
 */
export function nodeInputs(definition: WorkflowDefinition, executions: readonly ExecutionSeen[], runInput: unknown): Map<string, unknown> {
  const graph = compiled(definition);
  const byKey = new Map(executions.map((e) => [e.key, e]));
  const out = new Map<string, unknown>();
  for (const e of executions) {
    const parsed = parseKey(e.key);
    const node = nodeOfKey(graph, e.key);
    if (!parsed || !node) continue;
    const around = parsed.maps.at(-1);
    if (parsed.nodeId === null) {
      // A map item: the item itself.
      out.set(e.key, itemOf(byKey, e.key, around!.index));
      continue;
    }
    const prefix = e.key.slice(0, e.key.length - parsed.nodeId.length);
    if (node.incoming.length === 0) {
      out.set(e.key, around ? { item: itemOf(byKey, prefix.slice(0, -1), around.index), index: around.index } : runInput);
      continue;
    }
    const input: Record<string, unknown> = {};
    for (const edge of node.incoming) {
      const source = byKey.get(`${prefix}${edge.sourceId}`);
      if (!source || edge.sourceId in input) continue;
      if (source.status === 'succeeded') input[edge.sourceId] = source.output;
      else if (source.status === 'failed' && edge.handle === 'error') input[edge.sourceId] = { error: source.error ?? null };
    }
    out.set(e.key, input);
  }
  return out;
}

/** The item `index` of the map item whose key is `itemKey` (`<map>[<index>]`). */
function itemOf(byKey: ReadonlyMap<string, ExecutionSeen>, itemKey: string, index: number): unknown {
  const mapKey = itemKey.slice(0, itemKey.lastIndexOf('['));
  return byKey.get(mapKey)?.items?.[index] ?? null;
}
