import { afterAll, beforeAll, expect } from 'vitest';
import { createTestApp, json, seedRoles, type Member, type TestApp } from '../../../test/helpers/app.js';
import type { DbKind } from '../../../test/helpers/databases.js';

/** What the workflow engine's API tests read: a run, and one node execution of it. */
export interface Run {
  id: string;
  status: string;
  result: unknown;
  error: { code: string; message: string } | null;
  workflowId: string | null;
  workflowVersion: number | null;
  agentId: string | null;
  parentRunId: string | null;
  billedMicros: number;
}
export interface NodeExec {
  key: string;
  startedAt: string;
  finishedAt: string | null;
  input: unknown;
  costMicros: number;
  nodeId: string;
  status: string;
  output: unknown;
  handle: string | null;
  error: { code: string; message: string } | null;
  childRunId: string | null;
  waitingOn: { kind: string; approvalId?: string } | null;
}

/**
 * The workflow engine's API tests (runner.test.ts, runner.waits.test.ts): a test app on `kind`
 * with an admin's agent, and the calls they make. Registers beforeAll/afterAll in the caller.
 */
export function useWorkflowApi(kind: DbKind) {
  let t: TestApp;
  let roles: Awaited<ReturnType<typeof seedRoles>>;
  let agentId = '';

  const call = (method: 'GET' | 'POST' | 'PUT' | 'PATCH', url: string, who: Member, payload?: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { ...who.headers, ...headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) }, ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }) });

  async function create(definition: unknown): Promise<string> {
    const res = await call('POST', '/workflows', roles.admin, { definition });
    expect(res.statusCode, res.body).toBe(201);
    return json<{ id: string }>(res).id;
  }

  async function runToRest(id: string, input: unknown = {}, who: Member = roles.admin): Promise<Run> {
    const res = await call('POST', `/workflows/${id}/run?wait=true`, who, { input });
    expect([200, 202], res.body).toContain(res.statusCode);
    return json<Run>(res);
  }

  async function until(runId: string, done: (r: Run) => boolean, timeoutMs = 15_000): Promise<Run> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const r = json<Run>(await call('GET', `/runs/${runId}`, roles.admin));
      if (done(r)) return r;
      if (Date.now() > end) throw new Error(`run ${runId} stayed ${r.status}`);
      await new Promise((res) => setTimeout(res, 50));
    }
  }

  const nodes = async (runId: string) => json<{ items: NodeExec[] }>(await call('GET', `/runs/${runId}/nodes`, roles.admin)).items;
  const byNode = (items: NodeExec[]) => new Map(items.map((n) => [n.key, n]));

  beforeAll(async () => {
    t = await createTestApp(kind);
    roles = await seedRoles(t.ctx);
    const res = await call('POST', '/agents', roles.admin, { name: 'Writer', model: 'openai:gpt-4o-mini' });
    agentId = json<{ id: string }>(res).id;
  });
  afterAll(() => t.close());

  return {
    call,
    create,
    runToRest,
    until,
    nodes,
    byNode,
    get t() {
      return t;
    },
    get roles() {
      return roles;
    },
    get agentId() {
      return agentId;
    },
  };
}
