import type { ApprovalState, ChildRunState, WorkflowHost } from '../../runs/engine/ports.js';
import type { NodeConfig, WorkflowNode } from '../definition.js';
import { evaluateExpression, ExpressionError, renderTemplate, renderTemplatedJson, type ExpressionScope } from '../expressions.js';
import { jsonInText, jsonSchemaProblems } from './json-values.js';
import type { ExecutionState, NodeError, Wait } from './types.js';

/**
 * What one node execution does (issue 15), given its scope. Pure nodes (trigger, transform,
 * condition, switch, parallel, join, map's items) return their result at once; the others start
 * something and wait: a timer (delay, wait_until), a child run (agent, sub_workflow), a person
 * (approval, a tool that needs approval). `resume` finishes a wait whose end the engine learned of.
 */

/** How a node execution stands after a call: a state to store. */
export type NodeResult = ExecutionState;

/** The run-wide things a node needs besides its scope. */
export interface NodeEnv {
  host: WorkflowHost;
  /** The step key of the execution (`node:<key>`). */
  stepKey: string;
  key: string;
  attempt: number;
  /** Started before and its end unknown (a crash came between). */
  resumed: boolean;
  /** Join arrivals. */
  arrivals?: Record<string, unknown>;
  /** A workflow's current version, null when it does not exist (a sub_workflow without a pinned version). */
  currentVersion(workflowId: string): Promise<number | null>;
}

const site = (node: WorkflowNode, path: string) => ({ nodeId: node.id, path });

export function nodeError(err: unknown): NodeError {
  if (err instanceof ExpressionError) return { code: `expression_${err.code}`, message: err.message, nodeId: err.nodeId, path: err.path };
  if (err instanceof NodeFailure) return { code: err.code, message: err.message, ...err.details };
  if (err instanceof Error) return { code: (err as { code?: string }).code ?? 'node_error', message: err.message };
  return { code: 'node_error', message: String(err) };
}

/** A node failing on purpose, with a stable code. */
export class NodeFailure extends Error {
  override name = 'NodeFailure';
  constructor(
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
  }
}

const succeeded = (output: unknown, handle?: string): NodeResult => ({ status: 'succeeded', output: output ?? null, ...(handle ? { handle } : {}), finishedAt: Date.now() });
const waiting = (on: Wait, attempt: number): NodeResult => ({ status: 'waiting', on, attempt });

/** Starts (or, resumed, starts again) one execution. Throws for a failure (the caller stores it with the policy's attempt count). */
export async function startNode(node: WorkflowNode, scope: ExpressionScope, env: NodeEnv): Promise<NodeResult> {
  switch (node.type) {
    case 'trigger':
      return succeeded(scope.input);
    case 'transform':
      return succeeded(await renderTemplatedJson((node.config as NodeConfig<'transform'>).value, scope, site(node, 'config.value')));
    case 'condition': {
      const value = await evaluateExpression((node.config as NodeConfig<'condition'>).expression, scope, site(node, 'config.expression'));
      return succeeded(value ?? null, value === true ? 'true' : 'false');
    }
    case 'switch': {
      const { cases } = node.config as NodeConfig<'switch'>;
      for (const [i, c] of cases.entries()) {
        if ((await evaluateExpression(c.when, scope, site(node, `config.cases[${i}].when`))) === true) return succeeded({ case: c.id }, c.id);
      }
      return succeeded({ case: 'default' }, 'default');
    }
    case 'parallel':
      return succeeded(null);
    case 'join':
      return succeeded(env.arrivals ?? {});
    case 'map': {
      const items = await evaluateExpression((node.config as NodeConfig<'map'>).items, scope, site(node, 'config.items'));
      const list = items === undefined || items === null ? [] : Array.isArray(items) ? items : [items];
      return { status: 'running', attempt: env.attempt, items: list };
    }
    case 'delay':
      return waiting({ kind: 'timer', until: Date.now() + (node.config as NodeConfig<'delay'>).seconds * 1000 }, env.attempt);
    case 'wait_until': {
      const value = await evaluateExpression((node.config as NodeConfig<'wait_until'>).until, scope, site(node, 'config.until'));
      const until = typeof value === 'string' || typeof value === 'number' ? new Date(value).getTime() : NaN;
      if (Number.isNaN(until)) throw new NodeFailure('invalid_time', `node \`${node.id}\`, config.until: ${JSON.stringify(value)} is not an ISO 8601 time`);
      return until <= Date.now() ? succeeded(null) : waiting({ kind: 'timer', until }, env.attempt);
    }
    case 'agent':
      return startAgent(node, scope, env, 0, undefined);
    case 'sub_workflow': {
      const config = node.config as NodeConfig<'sub_workflow'>;
      const input = config.input === undefined ? {} : await renderTemplatedJson(config.input, scope, site(node, 'config.input'));
      const version = config.version ?? (await env.currentVersion(config.workflowId));
      if (version === null) throw new NodeFailure('workflow_not_found', `node \`${node.id}\`: the workflow ${config.workflowId} does not exist`);
      const runId = await env.host.startChild({ key: childKey(env), workflowId: config.workflowId, workflowVersion: version, input });
      return waiting({ kind: 'run', runId, ...deadlineOf(node) } as Wait, env.attempt);
    }
    case 'approval':
      return startApproval(node, scope, env);
    case 'tool':
      return startTool(node, scope, env);
  }
}

/** A node's own time limit (`timeoutSeconds`) on what it waits for: its child run is given up then (`node_timeout`). */
const deadlineOf = (node: WorkflowNode): { deadline?: number } => (node.timeoutSeconds ? { deadline: Date.now() + node.timeoutSeconds * 1000 } : {});

/** A child run's key: one per attempt, so a retried node starts a new child. */
const childKey = (env: NodeEnv, repair = 0) => `${env.key}#${env.attempt}${repair ? `.r${repair}` : ''}`;

/** Agent nodes: a child run of the agent with the rendered task and context. `repair` > 0: asked again because the output did not fit the schema. */
async function startAgent(node: WorkflowNode, scope: ExpressionScope, env: NodeEnv, repair: number, problem: string | undefined): Promise<NodeResult> {
  const config = node.config as NodeConfig<'agent'>;
  let task = String((await renderTemplate(config.task, scope, site(node, 'config.task'))) ?? '');
  const context = config.context === undefined ? undefined : await renderTemplatedJson(config.context, scope, site(node, 'config.context'));
  if (config.outputSchema) {
    task +=
      `\n\nAnswer with only a JSON value (no prose, no code fence) that is valid against this JSON Schema:\n${JSON.stringify(config.outputSchema)}` +
      (problem ? `\n\nYour previous answer did not fit it: ${problem}. Answer again.` : '');
  }
  const input = { task, ...(context && typeof context === 'object' && !Array.isArray(context) ? { context: context as Record<string, unknown> } : context === undefined ? {} : { context: { value: context } }) };
  const runId = await env.host.startChild({ key: childKey(env, repair), agentId: config.agentId, ...(config.agentVersion === undefined ? {} : { agentVersion: config.agentVersion }), input });
  return waiting({ kind: 'run', runId, repair, ...deadlineOf(node) } as Wait, env.attempt);
}

async function startApproval(node: WorkflowNode, scope: ExpressionScope, env: NodeEnv): Promise<NodeResult> {
  const config = node.config as NodeConfig<'approval'>;
  const title = await renderTemplate(config.title, scope, site(node, 'config.title'));
  const description = config.description === undefined ? null : await renderTemplate(config.description, scope, site(node, 'config.description'));
  const args = { title, description, form: config.form, workflowId: env.host.run.workflowId, nodeId: node.id, key: env.key };
  await env.host.writer.flush();
  const approvalId = await env.host.requestApproval({ stepKey: env.stepKey, toolName: 'workflow_approval', args, reason: 'workflow', approverRole: config.approverRole });
  const until = config.timeoutSeconds ? Date.now() + config.timeoutSeconds * 1000 : undefined;
  return waiting({ kind: 'approval', approvalId, ...(until ? { until } : {}) } as Wait, env.attempt);
}

/**
 * Tool nodes: the tool with the rendered arguments, no model. A tool that needs approval asks a
 * person first; a tool that is not idempotent is recorded (durably) before it runs, and one found
 * started after a crash is not run again without a person (reason `interrupted`), as in agent runs.
 */
async function startTool(node: WorkflowNode, scope: ExpressionScope, env: NodeEnv, approved = false): Promise<NodeResult> {
  const config = node.config as NodeConfig<'tool'>;
  const { host } = env;
  const def = host.tools.get(config.tool);
  if (!def) throw new NodeFailure('unknown_tool', `node \`${node.id}\`: there is no tool named ${config.tool}`);
  const args = await renderTemplatedJson(config.args, scope, site(node, 'config.args'));
  const retryable = def.idempotent || def.keyedByCall === true;
  if (!approved && (def.requiresApproval || (env.resumed && !retryable))) {
    const invalid = await host.tools.validate?.(config.tool, args);
    if (invalid && !invalid.ok) throw new NodeFailure(invalid.error.code, `node \`${node.id}\`: ${invalid.error.message}`, { issues: invalid.error.issues });
    await host.writer.flush();
    const approvalId = await host.requestApproval({ stepKey: env.stepKey, toolName: config.tool, args, reason: def.requiresApproval ? 'requires_approval' : 'interrupted' });
    return waiting({ kind: 'approval', approvalId }, env.attempt);
  }
  // Recorded before a call that must not happen twice (the step's start, committed).
  if (!retryable) await host.writer.flush();
  const out = await host.tools.execute(config.tool, args, {
    orgId: host.run.orgId,
    agentId: null,
    runId: host.run.id,
    toolCallId: `${env.key}#${env.attempt}`,
    // The node's own time limit, besides the run's cancel and deadline.
    signal: node.timeoutSeconds ? AbortSignal.any([host.signal, AbortSignal.timeout(node.timeoutSeconds * 1000)]) : host.signal,
    database: host.database,
    config: host.config,
    logger: host.logger,
  });
  if (!out.ok) throw new NodeFailure(out.error.code, `node \`${node.id}\`, tool ${config.tool}: ${out.error.message}`, out.error.issues ? { issues: out.error.issues } : {});
  return succeeded(out.output);
}

/**
 * A waiting execution whose child run or decision may have ended: its new state, or null while
 * it still waits. Agent output that does not fit the node's schema is asked for again (up to
 * `structuredRetries` times) with the problem.
 */
export async function resumeNode(node: WorkflowNode, on: Wait, scope: ExpressionScope, env: NodeEnv, ended: EndedWait): Promise<NodeResult | null> {
  if (ended.kind === 'run') {
    const child = ended.child;
    if (!child.finished) return null;
    if (child.status !== 'succeeded') {
      throw new NodeFailure(child.error?.code ?? `child_${child.status}`, `node \`${node.id}\`: the ${node.type === 'agent' ? 'agent' : 'workflow'} run ${child.id} ${child.status}${child.error ? `: ${child.error.message}` : ''}`, { childRunId: child.id });
    }
    if (node.type === 'sub_workflow') return succeeded(child.result);
    const config = node.config as NodeConfig<'agent'>;
    if (!config.outputSchema) return succeeded(child.output ?? '');
    const value = child.result ?? jsonInText(child.output ?? '');
    const problems = value === undefined ? [{ path: '', message: 'the answer holds no JSON' }] : jsonSchemaProblems(config.outputSchema, value);
    if (problems.length === 0) return succeeded(value);
    const repair = ((on as { repair?: number }).repair ?? 0) + 1;
    const problem = problems.map((p) => (p.path ? `${p.path}: ${p.message}` : p.message)).join('; ');
    if (repair > config.structuredRetries) throw new NodeFailure('output_schema', `node \`${node.id}\`: the agent's answer does not fit the output schema: ${problem}`, { childRunId: child.id });
    return startAgent(node, scope, env, repair, problem);
  }
  const a = ended.approval;
  if (a.status === 'pending') {
    const until = (on as { until?: number }).until;
    if (until !== undefined && until <= Date.now()) {
      await env.host.abandon([], [a.id]);
      return succeeded({ approved: false, values: {}, timedOut: true }, node.type === 'approval' ? 'rejected' : undefined);
    }
    return null;
  }
  const decidedBy = a.decidedBy ? { type: 'user', id: a.decidedBy } : a.decidedByApiKeyId ? { type: 'api_key', id: a.decidedByApiKeyId } : null;
  if (node.type === 'approval') {
    const approved = a.status === 'approved';
    return succeeded({ approved, values: a.response ?? {}, decidedBy, comment: a.comment }, approved ? 'approved' : 'rejected');
  }
  if (a.status === 'rejected') throw new NodeFailure('rejected', `node \`${node.id}\`: a person rejected the call${a.comment ? `: ${a.comment}` : ''}`);
  return startTool(node, scope, env, true);
}

/** What the engine learned about a wait. */
export type EndedWait = { kind: 'run'; child: ChildRunState } | { kind: 'approval'; approval: ApprovalState };
