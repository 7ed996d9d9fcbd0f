import type { ELK, ElkNode } from 'elkjs/lib/elk-api';
import type { EditorGraph } from '../api';

/**
 * Automatic layout with ELK's layered algorithm, left to right. ELK (1.6 MB) runs in a Web
 * Worker loaded on the first layout: the builder's own code stays small and the page stays
 * responsive while a large graph is laid out.
 */

/** A node's size before the canvas has measured it. */
export const DEFAULT_SIZE = { width: 220, height: 90 };

let elk: Promise<ELK> | undefined;

function loadElk(): Promise<ELK> {
  elk ??= Promise.all([import('elkjs/lib/elk-api.js'), import('elkjs/lib/elk-worker.min.js?url')]).then(
    ([api, worker]) => new api.default({ workerUrl: worker.default }),
  );
  return elk;
}

/**
 * Positions for every node of `graph` (top-left corners), layered from the trigger rightwards.
 * `sizes` are the nodes' measured sizes (DEFAULT_SIZE for the others).
 */
export async function autoLayout(graph: EditorGraph, sizes: ReadonlyMap<string, { width: number; height: number }>): Promise<Map<string, { x: number; y: number }>> {
  const ids = new Set(graph.nodes.map((n) => n.id));
  const root: ElkNode = {
    id: '__root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.layered.spacing.nodeNodeBetweenLayers': '80',
      'elk.spacing.nodeNode': '40',
      // Keeps the order of a node's handles (true above false) as the edges leave them.
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
    },
    children: graph.nodes.map((n) => ({ id: n.id, ...(sizes.get(n.id) ?? DEFAULT_SIZE) })),
    edges: graph.edges
      .filter((e) => ids.has(e.source) && ids.has(e.target))
      .map((e, i) => ({ id: `e${i}`, sources: [e.source], targets: [e.target] })),
  };
  const laid = await (await loadElk()).layout(root);
  return new Map((laid.children ?? []).map((c) => [c.id, { x: Math.round(c.x ?? 0), y: Math.round(c.y ?? 0) }]));
}
