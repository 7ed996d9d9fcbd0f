import { afterAll, beforeAll, expect } from 'vitest';
import { createTestApp, expectProblem, json, seedRoles, type Member, type TestApp } from '../../test/helpers/app.js';
import type { Workflow } from './dto.js';

export let t: TestApp;
export let roles: Awaited<ReturnType<typeof seedRoles>>;
/** An agent of the admin's organization, a soft-deleted one, and one of the stranger's organization. */
export let agentId: string;
export let deletedAgentId: string;
export let foreignAgentId: string;

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';
/** A request as `who`; an object payload goes as JSON, a string as it is (with the content-type given). */
export function call(method: Method, url: string, who: Member | null, payload?: unknown, headers: Record<string, string> = {}) {
  const all: Record<string, string> = { ...(who?.headers ?? {}), ...headers };
  if (payload !== undefined && typeof payload !== 'string') all['content-type'] ??= 'application/json';
  return t.app.inject({
    method,
    url: `/api/v1${url}`,
    headers: all,
    ...(payload === undefined ? {} : { payload: typeof payload === 'string' ? payload : JSON.stringify(payload) }),
  });
}

export async function newAgent(who: Member, name: string): Promise<string> {
  const res = await call('POST', '/agents', who, { name, model: 'openai:gpt-4o-mini' });
  expect(res.statusCode, res.body).toBe(201);
  return json<{ id: string }>(res).id;
}

/** An app on PostgreSQL with the roles and agents the workflow tests name, for the file that calls it. */
export function useWorkflowApp() {
  beforeAll(async () => {
  t = await createTestApp('postgres');
  roles = await seedRoles(t.ctx);
  agentId = await newAgent(roles.admin, 'Scorer');
  deletedAgentId = await newAgent(roles.admin, 'Gone');
  expect((await call('DELETE', `/agents/${deletedAgentId}`, roles.admin)).statusCode).toBe(204);
  foreignAgentId = await newAgent(roles.stranger, 'Elsewhere');
  });
  afterAll(() => t.close());
}

/** A definition as a client writes it: defaults left out, a transform value with keys out of alphabetical order. */
export function leadFlow(name = 'Lead follow-up', agent = agentId) {
  return {
    name,
    description: 'Scores a new lead and shapes the hot ones',
    tags: ['crm', 'Leads'],
    inputSchema: { type: 'object', properties: { email: { type: 'string' } }, required: ['email'] },
    graph: {
      nodes: [
        { id: 'start', type: 'trigger', config: { kind: 'manual' } },
        {
          id: 'analyze',
          type: 'agent',
          config: { agentId: agent, task: 'Score the lead {{ input.email }}', outputSchema: { type: 'object', properties: { score: { type: 'number' } } } },
        },
        { id: 'check', type: 'condition', config: { expression: 'nodes.analyze.output.score > 50' } },
        { id: 'hot', type: 'transform', position: { x: 400, y: 0 }, config: { value: { zeta: '{{ input.email }}', alpha: '{{ nodes.analyze.output.score }}', mid: 1 } } },
        { id: 'later', type: 'delay', config: { seconds: 60 } },
      ],
      edges: [
        { source: 'start', target: 'analyze' },
        { source: 'analyze', target: 'check' },
        { source: 'check', target: 'hot', sourceHandle: 'true' },
        { source: 'check', target: 'later', sourceHandle: 'false' },
      ],
    },
  };
}

/** leadFlow as the server stores it, written out by hand: every default filled in. */
export function storedLeadFlow(name = 'Lead follow-up') {
  const d = leadFlow(name);
  return {
    ...d,
    settings: { errorPolicy: { policy: 'fail', attempts: 3, backoffMs: 1000 } },
    graph: {
      nodes: [
        d.graph.nodes[0],
        { ...d.graph.nodes[1], config: { ...d.graph.nodes[1]!.config, structuredRetries: 2 } },
        d.graph.nodes[2],
        d.graph.nodes[3],
        d.graph.nodes[4],
      ],
      edges: [
        { source: 'start', target: 'analyze', sourceHandle: 'out' },
        { source: 'analyze', target: 'check', sourceHandle: 'out' },
        { source: 'check', target: 'hot', sourceHandle: 'true' },
        { source: 'check', target: 'later', sourceHandle: 'false' },
      ],
    },
  };
}

export async function create(definition: object = leadFlow(), who: Member = roles.admin): Promise<Workflow> {
  const res = await call('POST', '/workflows', who, { definition });
  expect(res.statusCode, res.body).toBe(201);
  return json<Workflow>(res);
}

export type Problem400 = { code: string; detail: string; errors: { path: string; message: string; nodeId: string | null; field: string }[] };
export const problems400 = (res: Parameters<typeof expectProblem>[0]) => expectProblem(res, 400) as unknown as Problem400;

