import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import { actorOf } from '../http/access.js';
import { problemResponses, problemSchema } from '../http/problem.js';
import { runSchema } from '../runs/dto.js';
import type { StepRow } from '../runs/store.js';
import type { ChildRunCost } from '../runs/workflow-reads.js';
import { nodeInputs } from './node-inputs.js';
import { nodeTestBody, nodeTestResult, testNode, type NodeTestDeps } from './node-test.js';

const tags = ['workflows'];
const idParams = z.object({ id: z.string().max(100).describe('Workflow id (UUID)') });
const runParams = z.object({ id: z.string().max(100).describe('Run id (UUID)') });

export const runWorkflowBody = z
  .object({ input: z.record(z.string(), z.unknown()).optional().describe("The run's input, checked against the workflow's inputSchema (default {})") })
  .meta({ id: 'RunWorkflow' });

const NODE_STATUSES = ['running', 'waiting', 'succeeded', 'failed', 'skipped'] as const;

export const nodeExecutionSchema = z
  .object({
    key: z.string().describe('The execution key: the node id, or `<map>[<index>].<node>` inside a map'),
    nodeId: z.string(),
    type: z.string().describe('The node type (`item` for a map item result)'),
    status: z.enum(NODE_STATUSES),
    output: z.unknown().describe('The output (succeeded), null otherwise'),
    handle: z.string().nullable().describe('The edge handle it took (condition, switch, approval)'),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    waitingOn: z.unknown().describe('What a waiting execution waits for: a timer (`until`), a run (`runId`), an approval (`approvalId`)'),
    attempt: z.number().int(),
    input: z.unknown().describe("What it received: its upstream nodes' outputs by node id; the run's input for the trigger; `{item, index}` for a map body's first nodes"),
    childRunId: z.uuid().nullable().describe("An agent or sub-workflow node's run"),
    costMicros: z.number().int().describe("What its child runs cost (an agent or sub-workflow node; retries and repairs included), micro-dollars"),
    billedMicros: z.number().int().describe('The same, as billed (markup applied)'),
    startedAt: z.string(),
    finishedAt: z.string().nullable(),
    durationMs: z.number().int().nullable(),
  })
  .meta({ id: 'NodeExecution' });
export type NodeExecution = z.output<typeof nodeExecutionSchema>;

interface Envelope {
  output?: unknown;
  items?: unknown[];
  handle?: string;
  wait?: { kind: string; runId?: string; approvalId?: string; until?: number };
  attempt?: number;
  attempts?: number;
  error?: { code?: string; message?: string };
}

/** A node step as the API shows it (the engine keeps the execution's state in the step's output: runner.ts `Envelope`); `input` is filled by `withInputs`. */
export function nodeExecution(step: StepRow, children: readonly ChildRunCost[] = []): NodeExecution & { items?: unknown[] } {
  const key = step.stepKey.slice('node:'.length);
  const e = (step.output ?? {}) as Envelope;
  const input = (step.input ?? {}) as { nodeId?: string; type?: string };
  const status = step.status === 'started' ? 'running' : (step.status as (typeof NODE_STATUSES)[number]);
  const waitRun = e.wait?.kind === 'run' ? e.wait.runId : undefined;
  // A child's key is `<execution key>#<attempt>[.r<repair>]`; the latest made is the node's run.
  const own = children.filter((c) => c.parentKey?.split('#')[0] === key);
  return {
    key,
    nodeId: input.nodeId ?? key,
    type: input.type ?? 'item',
    status: NODE_STATUSES.includes(status) ? status : 'running',
    output: step.status === 'succeeded' ? (e.output ?? null) : null,
    handle: e.handle ?? null,
    error: step.status === 'failed' ? { code: String(e.error?.code ?? step.error?.code ?? 'node_failed'), message: String(e.error?.message ?? step.error?.message ?? '') } : null,
    waitingOn: step.status === 'waiting' ? (e.wait ?? null) : null,
    attempt: e.attempts ?? e.attempt ?? 1,
    input: null,
    childRunId: waitRun ?? own.at(-1)?.id ?? null,
    costMicros: own.reduce((sum, c) => sum + c.costMicros, 0),
    billedMicros: own.reduce((sum, c) => sum + c.billedMicros, 0),
    startedAt: step.startedAt.toISOString(),
    finishedAt: step.status === 'succeeded' || step.status === 'failed' || step.status === 'skipped' ? (step.finishedAt?.toISOString() ?? null) : null,
    // From its start to its end, waits included (latencyMs is the engine's own work of the last claim).
    durationMs: step.finishedAt && (step.status === 'succeeded' || step.status === 'failed') ? Math.max(0, step.finishedAt.getTime() - step.startedAt.getTime()) : null,
    ...(e.items ? { items: e.items } : {}),
  };
}

/** Starting workflow runs and reading their node executions. */
export function registerWorkflowRunRoutes(app: FastifyInstance, ctx: AppContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/workflows/:id/run',
    {
      config: { access: 'member' },
      schema: {
        tags,
        summary: "Run the workflow's current version: 202 with the queued run, or with ?wait=true the run once it finishes or waits for a person or a timer (200; its own agent runs are waited through)",
        description: 'The input is checked against the workflow input schema: 400 `invalid_input` names each field. An `Idempotency-Key` returns the run the first request made.',
        params: idParams,
        querystring: z.object({ wait: z.stringbool().default(false) }),
        headers: z.object({ 'idempotency-key': z.string().min(1).max(200).optional() }),
        body: runWorkflowBody.nullish(),
        response: { 200: runSchema, 202: runSchema, ...problemResponses, 409: problemSchema },
      },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      const { run, created } = await ctx.services.workflows.start(actor, req.params.id, req.body?.input ?? {}, { idempotencyKey: req.headers['idempotency-key'] });
      if (!req.query.wait) return reply.code(202).send(run);
      const rested = await ctx.services.runs.waitForRest(actor, run.id, ctx.config.TROUPE_RUN_WAIT_SECONDS * 1000, created ? run : undefined, { pastChildRuns: true });
      const busy = rested.status === 'queued' || rested.status === 'running' || (await ctx.services.runs.waitsOnChildRunsOnly(actor, rested));
      return reply.code(busy ? 202 : 200).send(rested);
    },
  );

  r.post(
    '/workflows/:id/nodes/:nodeId/test',
    {
      config: { access: 'member' },
      schema: {
        tags,
        summary: 'Try one node with pinned input and upstream outputs (nothing else runs, no workflow run is recorded)',
        description:
          'Pure nodes evaluate; a tool node calls its tool (409 `approval_required` when the tool needs a person); an agent node runs the agent (a run in /runs) and waits. delay, approval and sub_workflow nodes answer 400 `not_testable`.',
        params: z.object({ id: z.string().max(100), nodeId: z.string().max(100) }),
        body: nodeTestBody.nullish(),
        response: { 200: nodeTestResult, ...problemResponses, 409: problemSchema },
      },
    },
    async (req) => {
      const actor = actorOf(req);
      const workflow = await ctx.services.workflows.get(actor, req.params.id);
      const { runs, tools } = ctx.services;
      const deps: NodeTestDeps = {
        database: ctx.database,
        config: ctx.config,
        logger: ctx.logger,
        tools,
        async runAgent(a, agentId, input) {
          const { run, created } = await runs.create(a, agentId, input, { source: 'api', audit: { requestId: req.id } });
          const rested = await runs.waitForRest(a, run.id, ctx.config.TROUPE_RUN_WAIT_SECONDS * 1000, created ? run : undefined);
          return { id: rested.id, status: rested.status, output: rested.output, error: rested.error };
        },
      };
      return testNode(deps, actor, workflow, req.params.nodeId, req.body ?? {}, (await ctx.services.orgs.get(actor)).name);
    },
  );

  r.get(
    '/runs/:id/nodes',
    {
      config: { access: 'viewer' },
      schema: {
        tags,
        summary: "A workflow run's node executions, in the order they started: state, output, error, duration, child run",
        params: runParams,
        response: { 200: z.object({ items: z.array(nodeExecutionSchema) }), ...problemResponses },
      },
    },
    async (req) => {
      const actor = actorOf(req);
      const [run, steps, children] = await Promise.all([
        ctx.services.runs.get(actor, req.params.id),
        ctx.services.runs.steps(actor, req.params.id),
        ctx.services.runs.childRuns(actor, req.params.id),
      ]);
      const executions = steps.filter((s) => s.kind === 'node').map((s) => nodeExecution(s, children));
      const version = run.workflowId && run.workflowVersion ? await ctx.services.workflows.getVersion(actor, run.workflowId, run.workflowVersion).catch(() => null) : null;
      const inputs = version ? nodeInputs(version.definition, executions, run.input) : new Map<string, unknown>();
      return { items: executions.map(({ items: _items, ...e }) => ({ ...e, input: inputs.get(e.key) ?? null })) };
    },
  );
}
