import { useReactFlow } from '@xyflow/react';
import { useCallback, useState, type RefObject } from 'react';
import type { EditorDefinition, EditorEdge, EditorNode } from '../api';
import { useHistory } from './history';
import { autoLayout, DEFAULT_SIZE } from './layout';
import {
  allNodes,
  connect,
  copySelection,
  graphAt,
  paste,
  removeElements,
  renameNode,
  uniqueId,
  updateGraphAt,
  type Clipboard,
  type Scope,
} from './model';
import type { PaletteEntry } from './node-kinds';
import { NO_SELECTION, type Selection } from './canvas';

/**
 * Near `start`, a place where a new node covers no other: below, then beside, in steps of a
 * node's size (a node added by pressing the palette lands in view, apart from the rest).
 */
function freeSpot(nodes: readonly EditorNode[], sizes: ReadonlyMap<string, { width: number; height: number }>, start: { x: number; y: number }) {
  const gap = 20;
  const { width, height } = DEFAULT_SIZE;
  const overlaps = (x: number, y: number) =>
    nodes.some((n) => {
      const p = n.position ?? { x: 0, y: 0 };
      const s = sizes.get(n.id) ?? DEFAULT_SIZE;
      return x < p.x + s.width + gap && p.x < x + width + gap && y < p.y + s.height + gap && p.y < y + height + gap;
    });
  for (let ring = 0; ring < 8; ring++) {
    for (const [dx, dy] of [[0, ring], [ring, 0], [ring, ring], [0, -ring], [-ring, 0], [-ring, ring]] as const) {
      const x = start.x + dx * (width + gap);
      const y = start.y + dy * (height + gap);
      if (!overlaps(x, y)) return { x, y };
    }
  }
  return start;
}

/** What Ctrl+C took: kept across scopes and workflows of this tab. */
let clipboard: Clipboard | null = null;

/**
 * The builder's editing state and every edit it offers: the definition under undo and redo, the
 * scope on screen (the workflow, or a map's body), the selection, node sizes, and the actions the
 * toolbar, the keyboard, the palette, the canvas and the side panel call.
 */
export function useEditor(initial: EditorDefinition, canvasRef: RefObject<HTMLDivElement | null>) {
  const history = useHistory(initial);
  const { screenToFlowPosition, fitView } = useReactFlow();
  const [scopeWanted, setScope] = useState<Scope>([]);
  const [selection, setSelection] = useState<Selection>(NO_SELECTION);
  const [sizes, setSizes] = useState<ReadonlyMap<string, { width: number; height: number }>>(new Map());
  const [busyLayout, setBusyLayout] = useState(false);

  const definition = history.value;
  // A map on the way may be gone (deleted, undone): show the deepest scope that still exists.
  let scope = scopeWanted;
  while (scope.length > 0 && !graphAt(definition, scope)) scope = scope.slice(0, -1);
  const graph = graphAt(definition, scope)!;
  const { set } = history;

  const change = useCallback((update: (d: EditorDefinition) => EditorDefinition, record: boolean | string = true) => set(update, record), [set]);
  const changeGraph = (update: Parameters<typeof updateGraphAt>[2], record: boolean | string = true) => change((d) => updateGraphAt(d, scope, update), record);

  /** Adds a palette entry's node at `position` (default: in view, a little apart from the last one added). */
  const addNode = (entry: PaletteEntry, position?: { x: number; y: number }) => {
    let at = position;
    if (!at) {
      const box = canvasRef.current?.getBoundingClientRect();
      const center = box ? screenToFlowPosition({ x: box.left + box.width / 2, y: box.top + box.height / 2 }) : { x: 0, y: 0 };
      at = freeSpot(graph.nodes, sizes, { x: Math.round(center.x - DEFAULT_SIZE.width / 2), y: Math.round(center.y - DEFAULT_SIZE.height / 2) });
    }
    const id = uniqueId(entry.idBase, new Set(allNodes(definition.graph).map((n) => n.id)));
    const node: EditorNode = { id, type: entry.type, position: at, config: entry.config() };
    changeGraph((g) => ({ ...g, nodes: [...g.nodes, node] }));
    setSelection({ nodes: new Set([id]), edges: new Set() });
    return id;
  };

  const deleteSelected = () => {
    if (selection.nodes.size === 0 && selection.edges.size === 0) return;
    changeGraph((g) => removeElements(g, selection.nodes, selection.edges));
    setSelection(NO_SELECTION);
  };

  const copy = () => {
    const clip = copySelection(graph, selection.nodes);
    if (clip) clipboard = clip;
    return clip !== null;
  };

  const pasteClipboard = () => {
    if (!clipboard) return;
    const { definition: next, ids } = paste(definition, scope, clipboard);
    if (ids.length === 0) return;
    change(() => next);
    setSelection({ nodes: new Set(ids), edges: new Set() });
  };

  const updateNode = (node: EditorNode, key: string) =>
    changeGraph((g) => ({ ...g, nodes: g.nodes.map((n) => (n.id === node.id ? node : n)) }), `node:${node.id}:${key}`);

  /** Renames a node; the reason when it cannot be (null when done). */
  const rename = (from: string, to: string): string | null => {
    if (!/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(to)) return 'Letters, digits and _, starting with a letter or _ (at most 63)';
    if (allNodes(definition.graph).some((n) => n.id === to)) return `Another node is called ${to}`;
    change((d) => renameNode(d, scope, from, to));
    setSelection({ nodes: new Set([to]), edges: new Set() });
    return null;
  };

  const layout = async () => {
    setBusyLayout(true);
    try {
      const positions = await autoLayout(graph, sizes);
      changeGraph((g) => ({ ...g, nodes: g.nodes.map((n) => (positions.has(n.id) ? { ...n, position: positions.get(n.id) } : n)) }));
      requestAnimationFrame(() => void fitView({ padding: 0.2, maxZoom: 1, duration: 200 }));
    } finally {
      setBusyLayout(false);
    }
  };

  const canvasActions = {
    onMove: (moves: Map<string, { x: number; y: number }>, record: boolean | string) =>
      changeGraph((g) => ({ ...g, nodes: g.nodes.map((n) => (moves.has(n.id) ? { ...n, position: moves.get(n.id) } : n)) }), record),
    onDragStart: history.checkpoint,
    onConnect: (edge: EditorEdge) => changeGraph((g) => connect(g, edge)),
    onDelete: (nodeIds: Set<string>, edgeKeys: Set<string>) => {
      changeGraph((g) => removeElements(g, nodeIds, edgeKeys));
      setSelection(NO_SELECTION);
    },
    onSizes: (measured: Map<string, { width: number; height: number }>) => setSizes((s) => new Map([...s, ...measured])),
    onOpenBody: (mapId: string) => {
      setScope([...scope, mapId]);
      setSelection(NO_SELECTION);
    },
  };

  return {
    history,
    definition,
    scope,
    setScope: (s: Scope) => {
      setScope(s);
      setSelection(NO_SELECTION);
    },
    graph,
    selection,
    setSelection,
    sizes,
    busyLayout,
    change,
    addNode,
    deleteSelected,
    copy,
    paste: pasteClipboard,
    updateNode,
    rename,
    layout,
    canvasActions,
  };
}

export type Editor = ReturnType<typeof useEditor>;
