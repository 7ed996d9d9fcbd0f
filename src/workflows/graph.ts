/**
 * Order and ancestry in one workflow graph (the top graph or a map body; a body is its own graph).
 * Edges naming a node that is not in the graph are ignored; duplicate edges count once.
 */

export interface GraphShape {
  nodes: readonly { id: string }[];
  edges: readonly { source: string; target: string }[];
}

/** Each node's successors and predecessors, in definition order of the edges. */
function adjacency(graph: GraphShape) {
  const next = new Map<string, string[]>(graph.nodes.map((n) => [n.id, []]));
  const prev = new Map<string, string[]>(graph.nodes.map((n) => [n.id, []]));
  for (const e of graph.edges) {
    const out = next.get(e.source);
    const into = prev.get(e.target);
    if (!out || !into || out.includes(e.target)) continue;
    out.push(e.target);
    into.push(e.source);
  }
  return { next, prev };
}

/**
 * Kahn's algorithm; among nodes ready at once, the one defined first goes first, so the order is
 * stable across saves. `cyclic`: the nodes left over (on a cycle or after one), in definition order.
 */
export function topologicalSort(graph: GraphShape): { order: string[]; cyclic: string[] } {
  const { next, prev } = adjacency(graph);
  const position = new Map(graph.nodes.map((n, i) => [n.id, i]));
  const waiting = new Map([...prev].map(([id, p]) => [id, p.length]));
  const ready = graph.nodes.filter((n) => waiting.get(n.id) === 0).map((n) => n.id);
  const order: string[] = [];
  while (ready.length > 0) {
    // At most 500 nodes: picking the first-defined by a scan is cheaper than keeping a heap.
    let best = 0;
    for (let i = 1; i < ready.length; i++) if (position.get(ready[i]!)! < position.get(ready[best]!)!) best = i;
    const id = ready.splice(best, 1)[0]!;
    order.push(id);
    for (const t of next.get(id)!) {
      const left = waiting.get(t)! - 1;
      waiting.set(t, left);
      if (left === 0) ready.push(t);
    }
  }
  const done = new Set(order);
  return { order, cyclic: graph.nodes.map((n) => n.id).filter((id, i, all) => !done.has(id) && all.indexOf(id) === i) };
}

/** The nodes in dependency order (a node after every node with an edge into it). Throws on a cycle. */
export function topologicalOrder(graph: GraphShape): string[] {
  const { order, cyclic } = topologicalSort(graph);
  if (cyclic.length > 0) throw new Error(`the graph has a cycle through ${cyclic.join(', ')}`);
  return order;
}

/**
 * For each node, every node with a path of edges to it (its upstream): the nodes that have
 * finished (or been skipped) before it runs. A node on a cycle is not its own ancestor.
 */
export function ancestorsOf(graph: GraphShape): Map<string, Set<string>> {
  const { prev } = adjacency(graph);
  const result = new Map<string, Set<string>>();
  for (const id of prev.keys()) {
    const seen = new Set<string>();
    const stack = [...prev.get(id)!];
    while (stack.length > 0) {
      const p = stack.pop()!;
      if (seen.has(p)) continue;
      seen.add(p);
      stack.push(...prev.get(p)!);
    }
    seen.delete(id);
    result.set(id, seen);
  }
  return result;
}

/** The cycles: strongly connected components with more than one node or a self-edge (Tarjan), members in definition order. */
export function cyclesOf(graph: GraphShape): string[][] {
  const { next } = adjacency(graph);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  let counter = 0;
  const connect = (v: string) => {
    index.set(v, counter);
    low.set(v, counter);
    counter += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v)!) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || next.get(v)!.includes(v)) components.push(component);
  };
  for (const id of next.keys()) if (!index.has(id)) connect(id);
  const position = new Map(graph.nodes.map((n, i) => [n.id, i]));
  return components.map((c) => c.sort((a, b) => position.get(a)! - position.get(b)!)).sort((a, b) => position.get(a[0]!)! - position.get(b[0]!)!);
}
