import { z } from 'zod';
import { ROLES } from '../shared/roles.js';

/**
 * A workflow's definition: what is saved, versioned, validated, exported and imported (docs/workflows.md).
 *
 * The graph is nodes and edges. A node's `id` is how expressions name its output
 * (`nodes.<id>.output`), so it is an identifier. An edge leaves a node by a handle: `out` for most
 * nodes; `true`/`false` for a condition; a case id or `default` for a switch; `approved`/`rejected`
 * for an approval; `error` for any node whose error policy is `continue` and that failed (the
 * error then takes that edge instead of `out`, when such an edge exists).
 *
 * Every string in a templated field (a tool's arguments, a transform's value, an agent's task, a
 * sub-workflow's input) may hold `{{ expression }}` templates in JSONata (src/workflows/expressions.ts);
 * a string that is exactly one template gives the expression's value itself, not its text.
 * A field named `expression`, `items`, `until`, `when`, `filter` or `result` is one JSONata expression without braces.
 */

export const NODE_ID = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
export const nodeId = z.string().regex(NODE_ID, 'letters, digits and _, starting with a letter or _ (at most 63)');

const expression = (what: string) => z.string().trim().min(1).max(10_000).describe(`JSONata expression: ${what}`);
const template = (what: string) => z.string().max(50_000).describe(`Text with {{ JSONata }} templates: ${what}`);
/** Any JSON value whose strings may hold templates. */
/**
 * Any JSON value: one instance, registered under an id, so the OpenAPI document refers to it by
 * name. z.json() is recursive; unnamed, its cycle lands in a `__shared` component whose $refs
 * (`#/components/schemas/__shared#/$defs/…`) resolve nowhere. Registered in place (not `.meta()`,
 * which would name a clone while the recursion still points at the original).
 */
const jsonValue = z.json();
z.globalRegistry.add(jsonValue, { id: 'JsonValue' });
const templatedJson = jsonValue.describe('JSON whose strings may hold {{ JSONata }} templates');
/** A JSON Schema (draft 2020-12) object, checked for shape on save. */
export const jsonSchemaObject = z.record(z.string(), jsonValue).describe('JSON Schema (draft 2020-12)');

/** What a node does when it fails (after its own retries): per node, defaulting to the workflow's setting. */
export const errorPolicySchema = z
  .object({
    policy: z.enum(['fail', 'continue', 'retry']).describe('fail: the run fails; continue: the error becomes the output (and takes an `error` edge when there is one); retry: try again, then fail'),
    attempts: z.number().int().min(1).max(10).default(3).describe('With retry: tries in all'),
    backoffMs: z.number().int().min(0).max(3_600_000).default(1000).describe('With retry: wait before the second try, doubling each time'),
  })
  .meta({ id: 'WorkflowErrorPolicy' });

// ---- node configurations (each drives validation, the OpenAPI document and the builder's form) ----

export const triggerConfig = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('manual').describe('Started by the API, the dashboard or the trigger_workflow tool, with the workflow input') }),
    z.object({
      kind: z.literal('schedule'),
      cron: z.string().max(200).describe('5 or 6 cron fields, or a nickname such as @daily'),
      timezone: z.string().max(100).default('UTC'),
      input: templatedJson.optional().describe('The input each scheduled run starts with'),
    }),
    z.object({
      kind: z.literal('event'),
      eventType: z.string().min(1).max(200).describe('Events of this type start the workflow (issue 16)'),
      filter: expression('true for the events that start a run').optional(),
    }),
  ])
  .meta({ id: 'WorkflowTriggerConfig' });

export const AGENT_PRESETS = ['execute_ai_agent_task', 'ai_agent_analysis', 'ai_agent_generate_content'] as const;

export const agentConfig = z
  .object({
    agentId: z.uuid(),
    agentVersion: z.number().int().min(1).optional().describe('Run this version of the agent; its current one when absent'),
    task: template('what the agent is asked').min(1),
    context: templatedJson.optional().describe('Data the agent is given with the task'),
    outputSchema: jsonSchemaObject.optional().describe('When set, the output is a JSON object valid against it (structured output)'),
    structuredRetries: z.number().int().min(0).max(5).default(2).describe('Attempts to repair output that does not fit outputSchema'),
    preset: z.enum(AGENT_PRESETS).optional().describe('The palette entry this node came from'),
  })
  .meta({ id: 'WorkflowAgentConfig' });

export const toolConfig = z
  .object({
    tool: z.string().min(1).max(100),
    args: z.record(z.string(), jsonValue).default({}).describe("The tool's arguments; strings may hold {{ JSONata }} templates"),
  })
  .meta({ id: 'WorkflowToolConfig' });

export const conditionConfig = z.object({ expression: expression('true takes the `true` edge, anything else `false`') }).meta({ id: 'WorkflowConditionConfig' });

export const switchConfig = z
  .object({
    cases: z
      .array(z.object({ id: nodeId.describe('The handle of the edge this case takes'), when: expression('true picks this case') }))
      .min(1)
      .max(50),
  })
  .describe('The first case whose expression is true takes its edge; none: the `default` edge')
  .meta({ id: 'WorkflowSwitchConfig' });

export const parallelConfig = z.object({}).describe('Every outgoing edge runs, at the same time').meta({ id: 'WorkflowParallelConfig' });

export const joinConfig = z
  .object({
    mode: z.enum(['all', 'any', 'first']).default('all').describe('all: every incoming branch; any: the first to arrive; first: the first `count`'),
    count: z.number().int().min(1).max(100).optional().describe('With first: how many branches'),
  })
  .meta({ id: 'WorkflowJoinConfig' });

export const approvalFormField = z.object({
  name: nodeId,
  label: z.string().min(1).max(200),
  type: z.enum(['string', 'text', 'number', 'boolean', 'select']),
  required: z.boolean().default(false),
  options: z.array(z.string().max(200)).max(100).optional().describe('With select'),
});

export const approvalConfig = z
  .object({
    title: template('what is being approved').min(1),
    description: template('details for the approver').optional(),
    approverRole: z.enum(ROLES).default('admin').describe('The lowest role that may decide'),
    form: z.array(approvalFormField).max(20).default([]).describe("Fields the approver fills; their values are the node's output"),
    timeoutSeconds: z.number().int().min(60).max(90 * 86_400).optional().describe('Undecided after this long: rejected'),
  })
  .meta({ id: 'WorkflowApprovalConfig' });

export const delayConfig = z.object({ seconds: z.number().int().min(1).max(366 * 86_400) }).meta({ id: 'WorkflowDelayConfig' });
export const waitUntilConfig = z.object({ until: expression('an ISO 8601 time') }).meta({ id: 'WorkflowWaitUntilConfig' });
export const transformConfig = z.object({ value: templatedJson }).meta({ id: 'WorkflowTransformConfig' });
export const subWorkflowConfig = z
  .object({
    workflowId: z.uuid(),
    version: z.number().int().min(1).optional().describe('Run this version; the current one when absent'),
    input: templatedJson.optional(),
  })
  .meta({ id: 'WorkflowSubWorkflowConfig' });

/** A sub-graph run once per item of a list (the map node's body). */
export interface WorkflowGraph {
  nodes: WorkflowNode[];
  edges: WorkflowEdge[];
}

export const edgeSchema = z
  .object({
    source: nodeId,
    target: nodeId,
    sourceHandle: z.string().max(63).default('out'),
  })
  .meta({ id: 'WorkflowEdge' });
export type WorkflowEdge = z.output<typeof edgeSchema>;

const position = z.object({ x: z.number().finite(), y: z.number().finite() });
const nodeBase = {
  id: nodeId,
  name: z.string().max(200).optional().describe('Shown on the canvas'),
  position: position.optional(),
  onError: errorPolicySchema.optional(),
  timeoutSeconds: z.number().int().min(1).max(30 * 86_400).optional(),
};

// The id is on the lazy, not inside it: Zod's JSON Schema conversion calls a lazy's getter again
// (isTransforming), and a `.meta({id})` inside would register a second schema under the same id.
export const mapConfig: z.ZodType<MapConfig> = z
  .lazy(() =>
    z.object({
      items: expression('the list to run the body for'),
      concurrency: z.number().int().min(1).max(50).default(4),
      graph: graphSchema.describe('The body: run once per item, with `item` and `index` in its expressions'),
      result: expression('each item\'s result, from the body\'s nodes (default: the output of the body\'s last node)').optional(),
    }),
  )
  .meta({ id: 'WorkflowMapConfig' });
export interface MapConfig {
  items: string;
  concurrency: number;
  graph: WorkflowGraph;
  result?: string;
}

export const NODE_CONFIGS = {
  trigger: triggerConfig,
  agent: agentConfig,
  tool: toolConfig,
  condition: conditionConfig,
  switch: switchConfig,
  parallel: parallelConfig,
  join: joinConfig,
  map: mapConfig,
  approval: approvalConfig,
  delay: delayConfig,
  wait_until: waitUntilConfig,
  transform: transformConfig,
  sub_workflow: subWorkflowConfig,
} as const;
export type NodeType = keyof typeof NODE_CONFIGS;
export const NODE_TYPES = Object.keys(NODE_CONFIGS) as NodeType[];

export type NodeConfig<T extends NodeType> = z.output<(typeof NODE_CONFIGS)[T]>;
export type WorkflowNode = {
  [T in NodeType]: {
    id: string;
    type: T;
    name?: string;
    position?: { x: number; y: number };
    onError?: z.output<typeof errorPolicySchema>;
    timeoutSeconds?: number;
    config: NodeConfig<T>;
  };
}[NodeType];

export const nodeSchema: z.ZodType<WorkflowNode> = z.lazy(() =>
  z.discriminatedUnion(
    'type',
    NODE_TYPES.map((type) => z.object({ ...nodeBase, type: z.literal(type), config: NODE_CONFIGS[type] })) as unknown as [
      z.ZodObject<{ type: z.ZodLiteral<string> }>,
      ...z.ZodObject<{ type: z.ZodLiteral<string> }>[],
    ],
  ),
) as unknown as z.ZodType<WorkflowNode>;

export const graphSchema: z.ZodType<WorkflowGraph> = z.lazy(() =>
  z.object({
    nodes: z.array(nodeSchema).max(500),
    edges: z.array(edgeSchema).max(2000),
  }),
) as unknown as z.ZodType<WorkflowGraph>;

/** The handles a node's outgoing edges may use. */
export function handlesOf(node: WorkflowNode): string[] {
  const error = node.onError?.policy === 'continue' ? ['error'] : [];
  switch (node.type) {
    case 'condition':
      return ['true', 'false', ...error];
    case 'switch':
      return [...node.config.cases.map((c) => c.id), 'default', ...error];
    case 'approval':
      return ['approved', 'rejected', ...error];
    default:
      return ['out', ...error];
  }
}

export const workflowSettingsSchema = z
  .object({
    timeoutSeconds: z.number().int().min(1).max(90 * 86_400).optional().describe('The whole run, waits included'),
    maxConcurrentRuns: z.number().int().min(1).max(10_000).optional().describe('Runs of this workflow running at once; more wait in the queue'),
    errorPolicy: errorPolicySchema.default({ policy: 'fail', attempts: 3, backoffMs: 1000 }).describe("Nodes' default error policy"),
    errorWorkflowId: z.uuid().optional().describe('Started with the failed run when a run fails'),
  })
  .meta({ id: 'WorkflowSettings' });

/** Everything a save stores as a version. */
export const workflowDefinitionSchema = z
  .object({
    name: z.string().trim().min(1).max(200),
    description: z.string().max(5000).default(''),
    tags: z.array(z.string().trim().min(1).max(50)).max(30).default([]),
    inputSchema: jsonSchemaObject.default({ type: 'object' }).describe('The input a run starts with is validated against it'),
    settings: workflowSettingsSchema.default({ errorPolicy: { policy: 'fail', attempts: 3, backoffMs: 1000 } }),
    graph: graphSchema,
  })
  .meta({ id: 'WorkflowDefinition' });
export type WorkflowDefinition = z.output<typeof workflowDefinitionSchema>;

/** One thing wrong with a definition: where (node and field path) and what. */
export interface WorkflowProblem {
  nodeId: string | null;
  /** Path inside the node (e.g. `config.args.to`) or the definition (e.g. `settings.timeoutSeconds`). */
  path: string;
  message: string;
}

/** What validation needs to know of the organization, fetched by the caller before (validation itself is synchronous). */
export interface ValidationEnv {
  /** The role of the person or key saving or starting: tools must be grantable to agents by it. */
  role: (typeof ROLES)[number];
  /** The organization's agents among those the definition names, with their current version number. */
  agents: ReadonlyMap<string, { currentVersion: number }>;
  /** Registered tools among those named: whether `role` may use each (its grantRoles). */
  tools: ReadonlyMap<string, { allowed: boolean }>;
  /** The organization's workflows among those named (sub-workflows, the error workflow). */
  workflows: ReadonlySet<string>;
  /** The workflow being saved, when it exists (a sub_workflow node may not start it). */
  selfId?: string;
}

/** The agents, tools and workflows a definition names (in map bodies too), to build a ValidationEnv. */
export function referencesOf(def: { graph: WorkflowGraph; settings?: { errorWorkflowId?: string } }): { agentIds: string[]; tools: string[]; workflowIds: string[] } {
  const agentIds = new Set<string>();
  const tools = new Set<string>();
  const workflowIds = new Set<string>();
  if (def.settings?.errorWorkflowId) workflowIds.add(def.settings.errorWorkflowId);
  const walk = (g: WorkflowGraph) => {
    for (const n of g.nodes) {
      if (n.type === 'agent') agentIds.add(n.config.agentId);
      else if (n.type === 'tool') tools.add(n.config.tool);
      else if (n.type === 'sub_workflow') workflowIds.add(n.config.workflowId);
      else if (n.type === 'map') walk(n.config.graph);
    }
  };
  walk(def.graph);
  return { agentIds: [...agentIds], tools: [...tools], workflowIds: [...workflowIds] };
}
