import {
  Background,
  Controls,
  MarkerType,
  MiniMap,
  ReactFlow,
  useNodesInitialized,
  useReactFlow,
  type Connection,
  type Edge,
  type EdgeChange,
  type IsValidConnection,
  type NodeChange,
  type NodeTypes,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { useEffect, useMemo, useRef, type DragEvent } from 'react';
import type { EditorEdge, EditorGraph, NodeRun, Problem } from '../api';
import { edgeKey, handlesOf, nodeRunState } from './model';
import { PALETTE_MIME, TYPE_LABELS } from './node-kinds';
import { DEFAULT_SIZE } from './layout';
import { WorkflowNodeView, type WorkflowFlowNode } from './workflow-node';

/**
 * The canvas (React Flow) over one graph: the workflow's or a map body's. It holds no graph of
 * its own: nodes and edges are drawn from the definition each render, and every change the
 * canvas reports (a move, a new edge, a delete, a drop from the palette) goes back to the
 * builder, which records it for undo. Only what React Flow measures (node sizes) and the
 * selection live beside the definition.
 */

export interface Selection {
  nodes: ReadonlySet<string>;
  edges: ReadonlySet<string>;
}
export const NO_SELECTION: Selection = { nodes: new Set(), edges: new Set() };

export interface CanvasProps {
  graph: EditorGraph;
  selection: Selection;
  onSelectionChange: (s: Selection) => void;
  problemsByNode: ReadonlyMap<string, Problem[]>;
  innerProblems: ReadonlyMap<string, number>;
  runs: ReadonlyMap<string, NodeRun[]>;
  readOnly: boolean;
  /** Node sizes React Flow measured (it draws a node only once it knows its size). */
  sizes: ReadonlyMap<string, { width: number; height: number }>;
  onSizes: (measured: Map<string, { width: number; height: number }>) => void;
  /** New positions; `record` false while a drag is under way (its start was recorded). */
  onMove: (positions: Map<string, { x: number; y: number }>, record: boolean | string) => void;
  onDragStart: () => void;
  onConnect: (edge: EditorEdge) => void;
  onDelete: (nodeIds: Set<string>, edgeKeys: Set<string>) => void;
  onDropEntry: (key: string, position: { x: number; y: number }) => void;
  onOpenBody: (mapId: string) => void;
}

const nodeTypes: NodeTypes = { workflow: WorkflowNodeView };
const FIT = { maxZoom: 1, padding: 0.2 };

export function Canvas(props: CanvasProps) {
  const { graph, selection, problemsByNode, innerProblems, runs, readOnly, sizes, onOpenBody } = props;
  const { screenToFlowPosition, fitView } = useReactFlow();
  const dragging = useRef(false);
  // Fits the graph in view once its nodes are measured (the canvas is keyed by scope: once per
  // graph shown). React Flow's own fitView prop ran before our measured sizes came back.
  const initialized = useNodesInitialized();
  const fitted = useRef(false);
  useEffect(() => {
    if (!initialized || fitted.current) return;
    fitted.current = true;
    void fitView(FIT);
  }, [initialized, fitView]);

  const nodes = useMemo<WorkflowFlowNode[]>(
    () =>
      graph.nodes.map((n, i) => {
        const nodeRuns = runs.get(n.id) ?? [];
        const problems = problemsByNode.get(n.id) ?? [];
        const size = sizes.get(n.id);
        return {
          id: n.id,
          type: 'workflow',
          position: n.position ?? { x: i * (DEFAULT_SIZE.width + 60), y: 0 },
          data: {
            node: n,
            handles: handlesOf(n),
            problems,
            innerProblems: innerProblems.get(n.id) ?? 0,
            runStatus: nodeRunState(nodeRuns),
            runs: nodeRuns,
            onOpenBody: n.type === 'map' ? onOpenBody : undefined,
          },
          selected: selection.nodes.has(n.id),
          deletable: !readOnly,
          ariaLabel: `${TYPE_LABELS[n.type]} node ${n.name ? `${n.name} (${n.id})` : n.id}${problems.length ? `, ${problems.length} problem${problems.length === 1 ? '' : 's'}` : ''}`,
          ...(size ? { measured: size } : {}),
        };
      }),
    [graph.nodes, runs, problemsByNode, innerProblems, selection.nodes, readOnly, sizes, onOpenBody],
  );

  const edges = useMemo<Edge[]>(
    () =>
      graph.edges.map((e) => {
        const key = edgeKey(e);
        const sourceState = nodeRunState(runs.get(e.source) ?? []);
        const targetState = nodeRunState(runs.get(e.target) ?? []);
        return {
          id: key,
          source: e.source,
          target: e.target,
          sourceHandle: e.sourceHandle,
          targetHandle: 'in',
          label: e.sourceHandle === 'out' ? undefined : e.sourceHandle,
          selected: selection.edges.has(key),
          animated: sourceState === 'succeeded' && (targetState === 'running' || targetState === 'waiting'),
          markerEnd: { type: MarkerType.ArrowClosed },
          className: e.sourceHandle === 'error' ? 'wf-edge-error' : undefined,
          ariaLabel: `Edge from ${e.source}${e.sourceHandle === 'out' ? '' : ` (${e.sourceHandle})`} to ${e.target}`,
          deletable: !readOnly,
        };
      }),
    [graph.edges, runs, selection.edges, readOnly],
  );

  const onNodesChange = (changes: NodeChange<WorkflowFlowNode>[]) => {
    const moves = new Map<string, { x: number; y: number }>();
    let selected: Set<string> | undefined;
    const resized = new Map<string, { width: number; height: number }>();
    for (const c of changes) {
      if (c.type === 'dimensions' && c.dimensions) {
        const old = sizes.get(c.id);
        if (!old || old.width !== c.dimensions.width || old.height !== c.dimensions.height) resized.set(c.id, c.dimensions);
      } else if (c.type === 'position' && c.position) {
        moves.set(c.id, c.position);
      } else if (c.type === 'select') {
        selected ??= new Set(selection.nodes);
        if (c.selected) selected.add(c.id);
        else selected.delete(c.id);
      }
    }
    if (resized.size > 0) props.onSizes(resized);
    if (moves.size > 0 && !readOnly) props.onMove(moves, dragging.current ? false : 'keyboard-move');
    if (selected) props.onSelectionChange({ nodes: selected, edges: selection.edges });
  };

  const onEdgesChange = (changes: EdgeChange[]) => {
    let selected: Set<string> | undefined;
    for (const c of changes) {
      if (c.type !== 'select') continue;
      selected ??= new Set(selection.edges);
      if (c.selected) selected.add(c.id);
      else selected.delete(c.id);
    }
    if (selected) props.onSelectionChange({ nodes: selection.nodes, edges: selected });
  };

  const isValidConnection: IsValidConnection = (c) =>
    c.source !== c.target && !graph.edges.some((e) => e.source === c.source && e.target === c.target && e.sourceHandle === (c.sourceHandle ?? 'out'));

  const onDrop = (e: DragEvent<HTMLDivElement>) => {
    const key = e.dataTransfer.getData(PALETTE_MIME);
    if (!key || readOnly) return;
    e.preventDefault();
    const at = screenToFlowPosition({ x: e.clientX, y: e.clientY });
    props.onDropEntry(key, { x: Math.round(at.x - DEFAULT_SIZE.width / 2), y: Math.round(at.y - DEFAULT_SIZE.height / 2) });
  };

  const startDrag = () => {
    dragging.current = true;
    props.onDragStart();
  };
  const stopDrag = () => {
    dragging.current = false;
  };

  return (
    <ReactFlow<WorkflowFlowNode>
      nodes={nodes}
      edges={edges}
      nodeTypes={nodeTypes}
      onNodesChange={onNodesChange}
      onEdgesChange={onEdgesChange}
      onConnect={(c: Connection) => props.onConnect({ source: c.source, target: c.target, sourceHandle: c.sourceHandle ?? 'out' })}
      isValidConnection={isValidConnection}
      onDelete={({ nodes: gone, edges: cut }) => props.onDelete(new Set(gone.map((n) => n.id)), new Set(cut.map((e) => e.id)))}
      onNodeDragStart={startDrag}
      onNodeDragStop={stopDrag}
      onSelectionDragStart={startDrag}
      onSelectionDragStop={stopDrag}
      onDragOver={(e) => {
        if (readOnly || !e.dataTransfer.types.includes(PALETTE_MIME)) return;
        e.preventDefault();
        e.dataTransfer.dropEffect = 'copy';
      }}
      onDrop={onDrop}
      nodesDraggable={!readOnly}
      nodesConnectable={!readOnly}
      deleteKeyCode={readOnly ? null : ['Delete', 'Backspace']}
      // Ctrl+click adds to the selection (as Shift+drag draws a box); Ctrl+C/V/Z are the builder's.
      multiSelectionKeyCode={['Control', 'Meta', 'Shift']}
      minZoom={0.2}
      colorMode="system"
      aria-label="Workflow canvas"
    >
      <Background />
      <Controls showInteractive={false} />
      <MiniMap pannable zoomable ariaLabel="Overview of the workflow" style={{ width: 150, height: 100 }} />
    </ReactFlow>
  );
}
