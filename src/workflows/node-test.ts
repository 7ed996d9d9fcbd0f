import { z } from 'zod';
import type { Actor } from '../shared/roles.js';
import { AppError, badRequest } from '../shared/errors.js';
import type { ToolDefinitionPort, ToolOutcomePort } from '../runs/engine/ports.js';
import type { Database } from '../db/client.js';
import type { Config } from '../config/load.js';
import type { Logger } from '../shared/logger.js';
import { workflowDefinitionSchema, type NodeConfig, type WorkflowDefinition, type WorkflowNode } from './definition.js';
import { evaluateExpression, renderTemplate, renderTemplatedJson, type ExpressionScope } from './expressions.js';
import { nodeError, startNode } from './engine/nodes.js';
import { jsonInText, jsonSchemaProblems } from './engine/json-values.js';

/**
 * Trying one node while building (as n8n's "execute step"): the node runs on the input and the
 * upstream outputs the request pins, nothing else of the workflow runs and no run is recorded.
 * Pure nodes evaluate; a tool node calls its tool for real, under the same rules as a run (a tool
 * that needs approval is not called: 409); an agent node runs the agent (an ordinary run, in
 * /runs) and waits for its answer. Waits (delay, wait_until's timer, approval) and sub-workflows
 * are not tried: 400 `not_testable`.
 */
export const nodeTestBody = z
  .object({
    definition: z.record(z.string(), z.unknown()).optional().describe("The definition being edited (default: the workflow's current version)"),
    input: z.record(z.string(), z.unknown()).optional().describe('The run input to use (default {})'),
    nodes: z
      .record(z.string(), z.object({ output: z.unknown() }))
      .optional()
      .describe('Pinned upstream outputs by node id: what `nodes.<id>.output` reads'),
    item: z.unknown().optional().describe('Inside a map body: the item'),
    index: z.number().int().min(0).optional(),
  })
  .meta({ id: 'NodeTest' });

export const nodeTestResult = z
  .object({
    status: z.enum(['succeeded', 'failed']),
    output: z.unknown(),
    handle: z.string().nullable().describe('The edge handle it would take'),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    durationMs: z.number().int(),
    runId: z.uuid().nullable().describe("An agent node's run"),
  })
  .meta({ id: 'NodeTestResult' });
export type NodeTestResult = z.output<typeof nodeTestResult>;

export interface NodeTestDeps {
  database: Database;
  config: Config;
  logger: Logger;
  tools: { get(name: string): ToolDefinitionPort | undefined; execute(name: string, args: unknown, ctx: Parameters<ToolExecute>[2]): Promise<ToolOutcomePort> };
  /** Runs the agent on a task and waits for it to rest. */
  runAgent(actor: Actor, agentId: string, input: { task: string; context?: Record<string, unknown> }): Promise<{ id: string; status: string; output: string | null; error: { code: string; message: string } | null }>;
}
type ToolExecute = (name: string, args: unknown, ctx: { orgId: string; agentId: string | null; runId: string; toolCallId: string; signal: AbortSignal; database: Database; config: Config; logger: Logger }) => Promise<ToolOutcomePort>;

/** Finds the node (map bodies included) in a definition. */
function findNode(def: WorkflowDefinition, nodeId: string): WorkflowNode | undefined {
  const walk = (nodes: WorkflowNode[]): WorkflowNode | undefined => {
    for (const n of nodes) {
      if (n.id === nodeId) return n;
      if (n.type === 'map') {
        const found = walk((n.config as NodeConfig<'map'>).graph.nodes);
        if (found) return found;
      }
    }
    return undefined;
  };
  return walk(def.graph.nodes);
}

export async function testNode(
  deps: NodeTestDeps,
  actor: Actor,
  current: { id: string; currentVersion: number; definition: WorkflowDefinition },
  nodeId: string,
  body: z.output<typeof nodeTestBody>,
  orgName: string,
): Promise<NodeTestResult> {
  let definition = current.definition;
  if (body.definition) {
    const parsed = workflowDefinitionSchema.safeParse(body.definition);
    if (!parsed.success) throw badRequest('The definition is not valid', parsed.error.issues.map((i) => ({ path: `body.definition.${i.path.join('.')}`, message: i.message })));
    definition = parsed.data;
  }
  const node = findNode(definition, nodeId);
  if (!node) throw new AppError(404, 'not_found', `The workflow has no node ${nodeId}`);
  const scope: ExpressionScope = {
    input: body.input ?? {},
    nodes: body.nodes ?? {},
    run: { id: '00000000-0000-0000-0000-000000000000', workflowId: current.id, version: current.currentVersion, startedAt: new Date().toISOString() },
    env: { org: { id: actor.orgId, name: orgName } },
    ...(body.item === undefined ? {} : { item: body.item, index: body.index ?? 0 }),
  };
  const t0 = Date.now();
  const done = (r: Omit<NodeTestResult, 'durationMs' | 'runId'> & { runId?: string | null }): NodeTestResult => ({ runId: null, ...r, durationMs: Date.now() - t0 });
  try {
    switch (node.type) {
      case 'delay':
      case 'approval':
      case 'sub_workflow':
        throw new AppError(400, 'not_testable', `A ${node.type} node waits (or runs another workflow): run the workflow to try it`);
      case 'wait_until': {
        const value = await evaluateExpression((node.config as NodeConfig<'wait_until'>).until, scope, { nodeId: node.id, path: 'config.until' });
        return done({ status: 'succeeded', output: { until: value }, handle: null, error: null });
      }
      case 'map': {
        const items = await evaluateExpression((node.config as NodeConfig<'map'>).items, scope, { nodeId: node.id, path: 'config.items' });
        return done({ status: 'succeeded', output: { items }, handle: null, error: null });
      }
      case 'tool':
        return done(await testTool(deps, actor, node, scope));
      case 'agent':
        return done(await testAgent(deps, actor, node, scope));
      default: {
        const r = await startNode(node, scope, {
          host: undefined as never,
          stepKey: `node:${node.id}`,
          key: node.id,
          attempt: 1,
          resumed: false,
          arrivals: node.type === 'join' ? Object.fromEntries(Object.entries(scope.nodes).map(([k, v]) => [k, v.output])) : undefined,
          currentVersion: async () => null,
        });
        if (r.status !== 'succeeded') throw new Error(`node ${node.id} did not finish`);
        return done({ status: 'succeeded', output: r.output, handle: r.handle ?? (node.type === 'condition' ? (r.output === true ? 'true' : 'false') : 'out'), error: null });
      }
    }
  } catch (err) {
    if (err instanceof AppError) throw err;
    const e = nodeError(err);
    return done({ status: 'failed', output: null, handle: null, error: { code: String(e.code ?? 'node_error'), message: e.message } });
  }
}

async function testTool(deps: NodeTestDeps, actor: Actor, node: WorkflowNode, scope: ExpressionScope) {
  const config = node.config as NodeConfig<'tool'>;
  const def = deps.tools.get(config.tool);
  if (!def) throw new AppError(400, 'unknown_tool', `There is no tool named ${config.tool}`);
  if (def.requiresApproval) throw new AppError(409, 'approval_required', `${config.tool} needs a person's approval before each call: run the workflow to try it`);
  const args = await renderTemplatedJson(config.args, scope, { nodeId: node.id, path: 'config.args' });
  const out = await deps.tools.execute(config.tool, args, {
    orgId: actor.orgId,
    agentId: null,
    runId: '00000000-0000-0000-0000-000000000000',
    toolCallId: `test:${node.id}:${Date.now()}`,
    signal: AbortSignal.timeout(30_000),
    database: deps.database,
    config: deps.config,
    logger: deps.logger,
  });
  if (!out.ok) return { status: 'failed' as const, output: null, handle: null, error: { code: out.error.code, message: out.error.message } };
  return { status: 'succeeded' as const, output: out.output, handle: 'out', error: null };
}

async function testAgent(deps: NodeTestDeps, actor: Actor, node: WorkflowNode, scope: ExpressionScope) {
  const config = node.config as NodeConfig<'agent'>;
  let task = String((await renderTemplate(config.task, scope, { nodeId: node.id, path: 'config.task' })) ?? '');
  if (config.outputSchema) task += `\n\nAnswer with only a JSON value (no prose, no code fence) that is valid against this JSON Schema:\n${JSON.stringify(config.outputSchema)}`;
  const context = config.context === undefined ? undefined : await renderTemplatedJson(config.context, scope, { nodeId: node.id, path: 'config.context' });
  const run = await deps.runAgent(actor, config.agentId, { task, ...(context && typeof context === 'object' && !Array.isArray(context) ? { context: context as Record<string, unknown> } : {}) });
  if (run.status !== 'succeeded') {
    return { status: 'failed' as const, output: null, handle: null, error: run.error ?? { code: `run_${run.status}`, message: `The agent run is ${run.status}` }, runId: run.id };
  }
  if (!config.outputSchema) return { status: 'succeeded' as const, output: run.output ?? '', handle: 'out', error: null, runId: run.id };
  const value = jsonInText(run.output ?? '');
  const problems = value === undefined ? [{ path: '', message: 'the answer holds no JSON' }] : jsonSchemaProblems(config.outputSchema, value);
  if (problems.length) {
    return { status: 'failed' as const, output: run.output, handle: null, error: { code: 'output_schema', message: problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; ') }, runId: run.id };
  }
  return { status: 'succeeded' as const, output: value, handle: 'out', error: null, runId: run.id };
}
