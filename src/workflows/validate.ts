import type { z } from 'zod';
import {
  NODE_ID,
  NODE_TYPES,
  edgeSchema,
  handlesOf,
  nodeSchema,
  workflowDefinitionSchema,
  type NodeType,
  type ValidationEnv,
  type WorkflowDefinition,
  type WorkflowEdge,
  type WorkflowNode,
  type WorkflowProblem,
} from './definition.js';
import { SCOPE_ROOTS, checkSyntax, checkTemplateSyntax, expressionReferences, forEachString, joinPath, type SyntaxProblem } from './expressions.js';
import { ancestorsOf, cyclesOf } from './graph.js';
import { checkJsonSchema } from './json-schema-check.js';

export { ancestorsOf, topologicalOrder } from './graph.js';

/**
 * Validates a workflow definition (on save, and `POST /workflows/validate`): the schema, then the
 * graph, the expressions and what the definition names in the organization. Synchronous: the
 * caller fetches what `env` holds first (referencesOf in definition.ts lists it).
 *
 * Every problem names a node and a field path, so the builder can show it on the node:
 * - a node's problem: `nodeId` is the node's id and `path` is inside the node (`config.args.to`,
 *   `id`, `type`; '' for the node as a whole, e.g. "not reachable"). This holds inside a map
 *   body too: ids are unique across the body and the outer graph, so a body node's id finds it.
 * - a problem of a node whose id is missing or malformed: it goes to the nearest enclosing node
 *   with a usable id (the map whose body holds it), path from there (`config.graph.nodes[1].id`);
 *   at the top level, `nodeId` is null and the path is the definition's (`graph.nodes[1].id`).
 * - an edge's problem: the graph's owner (null for the top graph, the map's id for its body),
 *   path to the edge (`graph.edges[2].target`, or `config.graph.edges[2].target` in a map).
 * - a definition-wide problem: `nodeId` null, path in the definition (`settings.errorWorkflowId`,
 *   `inputSchema.properties.age`, `graph.nodes` when there is no trigger).
 *
 * @returns `definition`: the parsed definition (defaults applied) when it has the schema's shape,
 *   even with other problems; it is valid when `problems` is empty.
 */
export function validateWorkflow(input: unknown, env: ValidationEnv): { definition?: WorkflowDefinition; problems: WorkflowProblem[] } {
  const problems: WorkflowProblem[] = [];
  // Parsing and the checks below recurse: a hostile body nesting thousands of levels stops here.
  if (depthOf(input) > MAX_DEPTH) return { problems: [{ nodeId: null, path: '', message: `the definition nests deeper than ${MAX_DEPTH} levels` }] };
  const parsed = workflowDefinitionSchema.safeParse(input);
  if (!parsed.success) problems.push(...parsed.error.issues.map((issue) => schemaProblem(issue, input)));

  const raw = isObject(input) ? input : {};
  const top = viewGraph(raw.graph, null, 'graph');
  if (top) {
    const all = allNodes(top);
    problems.push(...duplicateIds(all));
    checkGraph(top, { ids: new Set(all.map((n) => n.id)), outer: new Set(), inBody: false, env }, problems);
  }
  const settings = isObject(raw.settings) ? raw.settings : {};
  if (typeof settings.errorWorkflowId === 'string') {
    const problem = workflowProblem(settings.errorWorkflowId, env, 'error workflow');
    if (problem) problems.push({ nodeId: null, path: 'settings.errorWorkflowId', message: problem });
  }
  if (isObject(raw.inputSchema)) {
    for (const p of checkJsonSchema(raw.inputSchema)) problems.push({ nodeId: null, path: joinPath('inputSchema', p.path).replace(/\.$/, ''), message: p.message });
  }
  return { definition: parsed.success ? parsed.data : undefined, problems };
}

/** JSON levels a definition may have: a map body adds 5 (`graph.nodes[i].config.graph`), so maps nest about 15 deep. */
export const MAX_DEPTH = 100;

/** How deep a JSON value nests (iteratively, stopping past MAX_DEPTH). */
function depthOf(value: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (typeof v !== 'object' || v === null) continue;
    deepest = Math.max(deepest, depth);
    if (deepest > MAX_DEPTH) return deepest;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return deepest;
}

// ---- a lenient view of the graph: graph checks run even when some node fails the schema ----

interface ViewNode {
  id: string;
  type: NodeType;
  /** The parsed node, when it passes the schema (config checks need it). */
  node?: WorkflowNode;
  body?: ViewGraph;
}
interface ViewGraph {
  /** Null for the top graph, else the map node's id. */
  owner: string | null;
  /** Path of the graph from its owner: `graph` or `config.graph`. */
  prefix: string;
  nodes: ViewNode[];
  edges: { edge: WorkflowEdge; index: number }[];
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const usableId = (v: unknown): v is string => typeof v === 'string' && NODE_ID.test(v);

/** The nodes with a usable id and type (parsed when they pass the schema) and the edges that parse. */
function viewGraph(raw: unknown, owner: string | null, prefix: string): ViewGraph | undefined {
  if (!isObject(raw) || !Array.isArray(raw.nodes)) return undefined;
  const nodes: ViewNode[] = [];
  for (const r of raw.nodes) {
    if (!isObject(r) || !usableId(r.id) || !NODE_TYPES.includes(r.type as NodeType)) continue;
    const parsed = nodeSchema.safeParse(r);
    const node = parsed.success ? parsed.data : undefined;
    const view: ViewNode = { id: r.id, type: r.type as NodeType, node };
    if (view.type === 'map') view.body = viewGraph(node?.type === 'map' ? node.config.graph : isObject(r.config) ? r.config.graph : undefined, r.id, 'config.graph');
    nodes.push(view);
  }
  const edges: ViewGraph['edges'] = [];
  (Array.isArray(raw.edges) ? raw.edges : []).forEach((e, index) => {
    const parsed = edgeSchema.safeParse(e);
    if (parsed.success) edges.push({ edge: parsed.data, index });
  });
  return { owner, prefix, nodes, edges };
}

function allNodes(g: ViewGraph): ViewNode[] {
  return g.nodes.flatMap((n) => [n, ...(n.body ? allNodes(n.body) : [])]);
}

function duplicateIds(nodes: ViewNode[]): WorkflowProblem[] {
  const seen = new Set<string>();
  const problems: WorkflowProblem[] = [];
  for (const n of nodes) {
    if (seen.has(n.id)) problems.push({ nodeId: n.id, path: 'id', message: `another node has the id \`${n.id}\` (ids are unique across the workflow, map bodies included: expressions name nodes by id)` });
    seen.add(n.id);
  }
  return problems;
}

// ---- schema problems ----

/** A zod issue as a problem: the innermost node with a usable id owns it (see validateWorkflow). */
function schemaProblem(issue: z.core.$ZodIssue, input: unknown): WorkflowProblem {
  let owner: string | null = null;
  let rel: PropertyKey[] = [];
  let cursor: unknown = input;
  for (const segment of issue.path) {
    rel.push(segment);
    cursor = isObject(cursor) || Array.isArray(cursor) ? (cursor as Record<PropertyKey, unknown>)[segment] : undefined;
    // At a node: `graph.nodes[i]` from the top, or `….config.graph.nodes[i]` (a map's body, under
    // an owner or under a map whose own id is unusable).
    const n = rel.length;
    const atNode =
      typeof segment === 'number' &&
      rel[n - 2] === 'nodes' &&
      rel[n - 3] === 'graph' &&
      ((n === 3 && owner === null) || (n >= 4 && rel[n - 4] === 'config'));
    if (atNode && isObject(cursor) && usableId(cursor.id)) {
      owner = cursor.id;
      rel = [];
    }
  }
  const path = rel.reduce<string>((p, s) => joinPath(p, typeof s === 'number' ? s : String(s)), '');
  const discriminator = (issue as { discriminator?: unknown }).discriminator;
  const message = issue.code === 'invalid_union' && discriminator === 'type' ? `type is one of ${NODE_TYPES.join(', ')}` : issue.message;
  return { nodeId: owner, path, message };
}

// ---- graph checks ----

interface Context {
  /** Every node id in the workflow. */
  ids: Set<string>;
  /** Nodes outside this graph that have finished before it runs (for a map body: the map's upstream). */
  outer: Set<string>;
  inBody: boolean;
  env: ValidationEnv;
}

function checkGraph(g: ViewGraph, ctx: Context, problems: WorkflowProblem[]) {
  const graphProblem = (path: string, message: string) => problems.push({ nodeId: g.owner, path: joinPath(g.prefix, path).replace(/^\./, ''), message });
  const nodeProblem = (n: ViewNode, path: string, message: string) => problems.push({ nodeId: n.id, path, message });
  const byId = new Map<string, ViewNode>();
  for (const n of g.nodes) if (!byId.has(n.id)) byId.set(n.id, n);

  // Edges.
  const valid: WorkflowEdge[] = [];
  const seen = new Set<string>();
  for (const { edge, index } of g.edges) {
    const at = `edges[${index}]`;
    const where = (id: string) => (ctx.ids.has(id) ? `\`${id}\` is not in this graph (an edge joins two nodes of the same graph; a map body is its own graph)` : `there is no node \`${id}\``);
    const source = byId.get(edge.source);
    const target = byId.get(edge.target);
    if (!source) graphProblem(`${at}.source`, where(edge.source));
    if (!target) graphProblem(`${at}.target`, where(edge.target));
    if (source?.node) {
      const handles = handlesOf(source.node);
      if (!handles.includes(edge.sourceHandle)) graphProblem(`${at}.sourceHandle`, `a ${source.type} node has no handle \`${edge.sourceHandle}\` (its handles: ${handles.join(', ')})`);
    }
    if (target?.type === 'trigger') graphProblem(`${at}.target`, 'no edge may enter the trigger');
    const key = `${edge.source}\u0000${edge.sourceHandle}\u0000${edge.target}`;
    if (seen.has(key)) graphProblem(at, `the edge from \`${edge.source}\` (${edge.sourceHandle}) to \`${edge.target}\` is there twice`);
    seen.add(key);
    if (source && target) valid.push(edge);
  }
  const shape = { nodes: g.nodes, edges: valid };

  // The trigger.
  const triggers = g.nodes.filter((n) => n.type === 'trigger');
  if (ctx.inBody) {
    if (g.nodes.length === 0) graphProblem('nodes', 'the map body has no nodes');
    for (const t of triggers) nodeProblem(t, 'type', 'a map body has no trigger: its entry nodes are those without incoming edges');
  } else {
    if (triggers.length === 0) graphProblem('nodes', 'the workflow needs a trigger node');
    for (const t of triggers.slice(1)) nodeProblem(t, 'type', `a workflow has one trigger node (\`${triggers[0]!.id}\` is the first)`);
  }

  // Cycles and reachability.
  for (const cycle of cyclesOf(shape)) {
    const text = cycle.length === 1 ? `an edge from \`${cycle[0]}\` to itself` : `a cycle through ${cycle.map((id) => `\`${id}\``).join(', ')}`;
    for (const id of cycle) nodeProblem(byId.get(id)!, '', `${text}; repeat work with a map node`);
  }
  if (!ctx.inBody && triggers.length > 0) {
    const reached = new Set([triggers[0]!.id]);
    const queue = [triggers[0]!.id];
    while (queue.length > 0) {
      const id = queue.shift()!;
      for (const e of valid) {
        if (e.source !== id || reached.has(e.target)) continue;
        reached.add(e.target);
        queue.push(e.target);
      }
    }
    for (const n of g.nodes) if (!reached.has(n.id)) nodeProblem(n, '', 'not reachable from the trigger');
  }

  // Each node.
  const ancestors = ancestorsOf(shape);
  const incoming = new Map<string, number>();
  for (const e of valid) incoming.set(e.target, (incoming.get(e.target) ?? 0) + 1);
  for (const n of g.nodes) {
    const own = ancestors.get(n.id) ?? new Set<string>();
    const upstream = ctx.outer.size === 0 ? own : new Set([...own, ...ctx.outer]);
    if (n.node) checkNode(n.node, { upstream, incoming: incoming.get(n.id) ?? 0, body: n.body, ctx }, (path, message) => nodeProblem(n, path, message));
    if (n.body) checkGraph(n.body, { ...ctx, outer: upstream, inBody: true }, problems);
  }
}

interface NodeContext {
  upstream: Set<string>;
  incoming: number;
  body?: ViewGraph;
  ctx: Context;
}

type Report = (path: string, message: string) => void;

const syntaxMessage = (p: SyntaxProblem) => (p.position === undefined ? p.message : `${p.message} (at character ${p.position})`);

/**
 * Checks one expression or template field: it parses, reads only nodes that ran before
 * (`readable`), `item`/`index` only in a map body, and no name outside the scope.
 */
function checkField(text: string, kind: 'expression' | 'template', path: string, readable: { nodes: Set<string>; item: boolean; ids: Set<string> }, report: Report) {
  const syntax = kind === 'expression' ? checkSyntax(text) : checkTemplateSyntax(text);
  for (const p of syntax) report(path, syntaxMessage(p));
  if (syntax.length > 0) return;
  const refs = expressionReferences(text, kind);
  for (const id of refs.nodes) {
    if (!readable.ids.has(id)) report(path, `reads \`nodes.${id}\`, but there is no node \`${id}\``);
    else if (!readable.nodes.has(id)) report(path, `reads \`nodes.${id}\`, but \`${id}\` does not run before this node (only upstream nodes can be read)`);
  }
  for (const root of refs.roots) {
    if ((root === 'item' || root === 'index') && !readable.item) report(path, `\`${root}\` exists only inside a map body`);
    else if (!(SCOPE_ROOTS as readonly string[]).includes(root)) {
      report(path, `reads \`${root}\`, which is not in the scope (${SCOPE_ROOTS.join(', ')}): did you mean \`input.${root}\` or \`nodes.${root}.output\`?`);
    }
  }
}

function checkNode(node: WorkflowNode, nc: NodeContext, report: Report) {
  const { ctx } = nc;
  const readable = { nodes: nc.upstream, item: ctx.inBody, ids: ctx.ids };
  const expression = (text: string | undefined, path: string, r = readable) => text !== undefined && checkField(text, 'expression', path, r, report);
  const template = (text: string | undefined, path: string) => text !== undefined && checkField(text, 'template', path, readable, report);
  const templatedJson = (value: unknown, path: string) => forEachString(value, path, (text, p) => checkField(text, 'template', p, readable, report));

  switch (node.type) {
    case 'trigger':
      if (node.config.kind === 'schedule') templatedJson(node.config.input, 'config.input');
      // An event filter reads the event, not the run's scope: its syntax only.
      if (node.config.kind === 'event' && node.config.filter) for (const p of checkSyntax(node.config.filter)) report('config.filter', syntaxMessage(p));
      break;
    case 'agent': {
      template(node.config.task, 'config.task');
      templatedJson(node.config.context, 'config.context');
      const agent = ctx.env.agents.get(node.config.agentId);
      if (!agent) report('config.agentId', `there is no agent \`${node.config.agentId}\` in this organization`);
      else if (node.config.agentVersion !== undefined && node.config.agentVersion > agent.currentVersion) {
        report('config.agentVersion', `the agent has versions 1 to ${agent.currentVersion}`);
      }
      if (node.config.outputSchema) {
        const schema = node.config.outputSchema;
        if (schema.type !== 'object') report('config.outputSchema.type', 'a structured output is a JSON object: its schema has `type: "object"` at the root');
        for (const p of checkJsonSchema(schema)) report(joinPath('config.outputSchema', p.path), p.message);
      }
      break;
    }
    case 'tool': {
      templatedJson(node.config.args, 'config.args');
      const tool = ctx.env.tools.get(node.config.tool);
      if (!tool) report('config.tool', `there is no tool \`${node.config.tool}\``);
      else if (!tool.allowed) report('config.tool', `the role \`${ctx.env.role}\` may not use the tool \`${node.config.tool}\``);
      break;
    }
    case 'condition':
      expression(node.config.expression, 'config.expression');
      break;
    case 'switch': {
      const ids = new Set<string>();
      node.config.cases.forEach((c, i) => {
        expression(c.when, `config.cases[${i}].when`);
        if (ids.has(c.id)) report(`config.cases[${i}].id`, `another case has the id \`${c.id}\``);
        else if (c.id === 'default' || c.id === 'error') report(`config.cases[${i}].id`, `\`${c.id}\` is a handle of its own; name the case otherwise`);
        ids.add(c.id);
      });
      break;
    }
    case 'join':
      if (nc.incoming < 2) report('', `a join needs at least two incoming edges (it has ${nc.incoming})`);
      if (node.config.mode === 'first') {
        if (node.config.count === undefined) report('config.count', 'mode `first` needs a count');
        else if (node.config.count > nc.incoming) report('config.count', `count is ${node.config.count}, but ${nc.incoming === 1 ? '1 edge comes' : `${nc.incoming} edges come`} in`);
      }
      break;
    case 'map': {
      expression(node.config.items, 'config.items');
      // The result is read once per item after the body ran: the body's nodes, the map's upstream and the item.
      const bodyIds = (nc.body?.nodes ?? []).map((n) => n.id);
      expression(node.config.result, 'config.result', { nodes: new Set([...nc.upstream, ...bodyIds]), item: true, ids: ctx.ids });
      break;
    }
    case 'approval':
      template(node.config.title, 'config.title');
      template(node.config.description, 'config.description');
      break;
    case 'wait_until':
      expression(node.config.until, 'config.until');
      break;
    case 'transform':
      templatedJson(node.config.value, 'config.value');
      break;
    case 'sub_workflow': {
      templatedJson(node.config.input, 'config.input');
      const problem = workflowProblem(node.config.workflowId, ctx.env, 'workflow');
      if (problem) report('config.workflowId', problem);
      break;
    }
    case 'parallel':
    case 'delay':
      break;
  }
}

function workflowProblem(id: string, env: ValidationEnv, what: string): string | undefined {
  if (env.selfId !== undefined && id === env.selfId) return `the ${what} cannot be this workflow itself`;
  if (!env.workflows.has(id)) return `there is no workflow \`${id}\` in this organization`;
  return undefined;
}
