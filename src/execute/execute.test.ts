import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedRoles, type TestApp } from '../../test/helpers/app.js';
import { startProviderStub, type ProviderStub } from '../../test/helpers/provider-stub.js';
import { resultData, taskText } from './task-text.js';

interface ExecuteResult {
  status: string;
  task_type: string;
  run_id: string;
  agent_id: string;
  result: string | null;
  result_data?: unknown;
  error: { code: string; message: string } | null;
  usage: { input_tokens: number; output_tokens: number; billed_micros: number };
  poll_url: string;
}

const PLAN = {
  summary: 'Three full-body sessions a week, building to heavier compound lifts.',
  weeks: [{ week: 1, sessions: [{ day: 'Mon', exercises: [{ name: 'Goblet squat', sets: 3, reps: 12 }] }] }],
};

describe('task types and POST /execute', () => {
  let t: TestApp;
  let stub: ProviderStub;
  let r: Awaited<ReturnType<typeof seedRoles>>;
  let optimizerId: string;

  beforeAll(async () => {
    stub = await startProviderStub();
    // A short wait, so the 202 path can be reached with a slow model reply.
    t = await createTestApp('postgres', { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: `${stub.url}/v1`, TROUPE_RUN_WAIT_SECONDS: '2' });
    r = await seedRoles(t.ctx);
    const installed = await t.app.inject({ method: 'POST', url: '/api/v1/agent-templates/workout-optimizer/install', headers: r.admin.headers, payload: {} });
    expect(installed.statusCode, installed.body).toBe(201);
    optimizerId = json<{ agent: { id: string } }>(installed).agent.id;
  });
  afterAll(async () => {
    await t?.close();
    await stub?.close();
  });

  const execute = (payload: unknown, headers: Record<string, string> = r.member.headers) =>
    t.app.inject({ method: 'POST', url: '/api/v1/execute', headers, payload: payload as Record<string, unknown> });

  it('installing the Workout Optimizer maps workout_optimization to it', async () => {
    const list = json<{ items: { taskType: string; agentId: string; agentName: string; agentState: string; instruction: string }[] }>(
      await t.app.inject({ url: '/api/v1/task-types', headers: r.viewer.headers }),
    );
    expect(list.items).toEqual([expect.objectContaining({ taskType: 'workout_optimization', agentId: optimizerId, agentName: 'Workout Optimizer', agentState: 'active' })]);
    expect(list.items[0]!.instruction).toMatch(/workout plan/i);
  });

  it('returns the plan the model produced, from a task made of the task type and the input', async () => {
    stub.reset();
    stub.enqueue({ text: JSON.stringify(PLAN), usage: { input: 300, output: 80 } });
    const input = { sessions_per_week: 3, client_id: 1, goals: ['weight_loss', 'strength'], fitness_level: 'intermediate' };
    const res = await execute({ task_type: 'workout_optimization', input_data: input });
    expect(res.statusCode, res.body).toBe(200);
    const body = json<ExecuteResult>(res);
    expect(body).toMatchObject({ status: 'succeeded', task_type: 'workout_optimization', agent_id: optimizerId, result: JSON.stringify(PLAN), result_data: PLAN, error: null });
    expect(body.usage).toMatchObject({ input_tokens: 300, output_tokens: 80 });
    expect(body.usage.billed_micros).toBeGreaterThan(0);
    expect(body.poll_url).toBe(`/api/v1/runs/${body.run_id}`);

    // The model was given the template's prompt and the deterministic task text.
    const sent = JSON.stringify(stub.requests.at(-1)!.body);
    expect(sent).toContain('You are Workout Optimizer, a certified strength and conditioning coach');
    const run = json<{ source: string; input: { task: string } }>(await t.app.inject({ url: body.poll_url, headers: r.member.headers }));
    expect(run.source).toBe('api');
    expect(run.input.task).toBe(taskText('workout_optimization', run.input.task.split('\n')[1]!, input));
    expect(run.input.task).toMatch(/^Task type: workout_optimization\.\nDesign a workout plan[\s\S]*\n\nInput \(JSON\):\n\{\n {2}"client_id": 1,\n {2}"fitness_level"/);
  });

  it('the seed’s alias takes the input as its body', async () => {
    stub.enqueue({ text: 'Plan: squat, push, pull.' });
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/ai/workout-recommendations', headers: r.member.headers, payload: { client_id: 7 } });
    expect(res.statusCode, res.body).toBe(200);
    const body = json<ExecuteResult>(res);
    expect(body).toMatchObject({ status: 'succeeded', task_type: 'workout_optimization', result: 'Plan: squat, push, pull.' });
    expect(body.result_data).toBeUndefined();
    const run = json<{ input: { task: string } }>(await t.app.inject({ url: body.poll_url, headers: r.member.headers }));
    expect(run.input.task).toContain('"client_id": 7');
  });

  it('an unknown task type is 404 naming it and the known ones', async () => {
    const res = await execute({ task_type: 'progress_monitoring', input_data: {} });
    const problem = expectProblem(res, 404);
    expect(problem.code).toBe('unknown_task_type');
    expect(problem.detail).toContain('"progress_monitoring"');
    expect(problem.detail).toContain('workout_optimization');
    expect(expectProblem(await t.app.inject({ method: 'POST', url: '/api/v1/ai/progress-prediction', headers: r.member.headers, payload: {} }), 404).code).toBe('unknown_task_type');
  });

  it('refuses a task type that is not snake_case, and input_data that is not an object', async () => {
    expect(expectProblem(await execute({ task_type: 'Workout Optimization' }), 400).errors?.[0]?.path).toBe('body.task_type');
    expect(expectProblem(await execute({ task_type: 'workout_optimization', input_data: [1, 2] }), 400).errors?.[0]?.path).toBe('body.input_data');
  });

  it("another organization's mappings are invisible, and its agents cannot be mapped", async () => {
    const theirs = await execute({ task_type: 'workout_optimization', input_data: {} }, r.stranger.headers);
    expect(expectProblem(theirs, 404).detail).toContain('has none yet');
    expect(json<{ items: unknown[] }>(await t.app.inject({ url: '/api/v1/task-types', headers: r.stranger.headers })).items).toEqual([]);
    const steal = await t.app.inject({ method: 'PUT', url: '/api/v1/task-types/stolen_work', headers: r.stranger.headers, payload: { agentId: optimizerId } });
    expect(expectProblem(steal, 400).errors).toEqual([{ path: 'body.agentId', message: 'no such agent in this organization' }]);
    expect(expectProblem(await t.app.inject({ method: 'DELETE', url: '/api/v1/task-types/workout_optimization', headers: r.stranger.headers }), 404).code).toBe('unknown_task_type');
  });

  it('wait: false answers 202 with the run to poll', async () => {
    stub.enqueue({ text: 'Later plan.' });
    const res = await execute({ task_type: 'workout_optimization', input_data: { client_id: 2 }, wait: false });
    expect(res.statusCode).toBe(202);
    const body = json<ExecuteResult>(res);
    expect(body).toMatchObject({ status: 'queued', result: null });
    await expect.poll(async () => json<{ status: string; output: string }>(await t.app.inject({ url: body.poll_url, headers: r.member.headers })), { timeout: 20_000, interval: 200 }).toMatchObject({ status: 'succeeded', output: 'Later plan.' });
  });

  it('answers 202 when the run is not done within TROUPE_RUN_WAIT_SECONDS', async () => {
    stub.enqueue({ text: 'Slow plan.', delayMs: 4000 });
    const started = Date.now();
    const res = await execute({ task_type: 'workout_optimization', input_data: { client_id: 3 } });
    expect(res.statusCode, res.body).toBe(202);
    expect(Date.now() - started).toBeGreaterThanOrEqual(1900);
    const body = json<ExecuteResult>(res);
    expect(['queued', 'running']).toContain(body.status);
    await expect.poll(async () => json<{ status: string }>(await t.app.inject({ url: body.poll_url, headers: r.member.headers })).status, { timeout: 20_000, interval: 200 }).toBe('succeeded');
  });

  it('an Idempotency-Key returns the first run again', async () => {
    stub.enqueue({ text: 'Once.' });
    const headers = { ...r.member.headers, 'idempotency-key': 'crm-request-42' };
    const first = json<ExecuteResult>(await execute({ task_type: 'workout_optimization', input_data: { client_id: 4 } }, headers));
    const again = json<ExecuteResult>(await execute({ task_type: 'workout_optimization', input_data: { client_id: 4 } }, headers));
    expect(again.run_id).toBe(first.run_id);
    expect(again.result).toBe('Once.');
  });

  it('works with an API key, as a CRM calls it', async () => {
    const key = json<{ key: string }>(await t.app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: r.admin.headers, payload: { name: 'crm', role: 'member' } })).key;
    stub.enqueue({ text: 'Keyed plan.' });
    const res = await execute({ task_type: 'workout_optimization', input_data: {} }, { authorization: `Bearer ${key}` });
    expect(json<ExecuteResult>(res)).toMatchObject({ status: 'succeeded', result: 'Keyed plan.' });
  });

  it('a paused agent is 409; a mapping can be moved, given an instruction, and removed', async () => {
    await t.app.inject({ method: 'POST', url: `/api/v1/agents/${optimizerId}/disable`, headers: r.admin.headers });
    const paused = expectProblem(await execute({ task_type: 'workout_optimization', input_data: {} }), 409);
    expect(paused.code).toBe('agent_paused');
    expect(paused.detail).toContain('workout_optimization');
    await t.app.inject({ method: 'POST', url: `/api/v1/agents/${optimizerId}/enable`, headers: r.admin.headers });

    const other = json<{ id: string }>(await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: r.admin.headers, payload: { name: 'Coach two', model: 'openai:gpt-4o-mini' } }));
    expect(expectProblem(await t.app.inject({ method: 'PUT', url: '/api/v1/task-types/Bad-Name', headers: r.admin.headers, payload: { agentId: other.id } }), 400).errors?.[0]?.path).toBe('params.type');
    expect((await t.app.inject({ method: 'PUT', url: '/api/v1/task-types/mobility_check', headers: r.member.headers, payload: { agentId: other.id } })).statusCode).toBe(403);
    const moved = await t.app.inject({ method: 'PUT', url: '/api/v1/task-types/mobility_check', headers: r.admin.headers, payload: { agentId: other.id, instruction: 'Answer in one sentence.' } });
    expect(json(moved)).toMatchObject({ taskType: 'mobility_check', agentId: other.id, agentName: 'Coach two', instruction: 'Answer in one sentence.' });
    stub.enqueue({ text: 'Fine.' });
    const done = json<ExecuteResult>(await execute({ task_type: 'mobility_check', input_data: { q: 1 } }));
    expect(done.agent_id).toBe(other.id);
    const run = json<{ input: { task: string } }>(await t.app.inject({ url: done.poll_url, headers: r.member.headers }));
    expect(run.input.task).toBe('Task type: mobility_check.\nAnswer in one sentence.\n\nInput (JSON):\n{\n  "q": 1\n}');
    // An omitted instruction keeps the current one.
    expect(json(await t.app.inject({ method: 'PUT', url: '/api/v1/task-types/mobility_check', headers: r.admin.headers, payload: { agentId: optimizerId } }))).toMatchObject({ agentId: optimizerId, instruction: 'Answer in one sentence.' });

    await t.app.inject({ method: 'DELETE', url: `/api/v1/agents/${other.id}`, headers: r.admin.headers });
    await t.app.inject({ method: 'PUT', url: '/api/v1/task-types/mobility_check', headers: r.admin.headers, payload: { agentId: optimizerId } });
    expect((await t.app.inject({ method: 'DELETE', url: '/api/v1/task-types/mobility_check', headers: r.admin.headers })).statusCode).toBe(204);
    expect(expectProblem(await execute({ task_type: 'mobility_check', input_data: {} }), 404).code).toBe('unknown_task_type');
  });

  it('a mapping whose agent was deleted says so (409)', async () => {
    const gone = json<{ id: string }>(await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: r.admin.headers, payload: { name: 'Short-lived', model: 'openai:gpt-4o-mini' } }));
    await t.app.inject({ method: 'PUT', url: '/api/v1/task-types/short_task', headers: r.admin.headers, payload: { agentId: gone.id } });
    await t.app.inject({ method: 'DELETE', url: `/api/v1/agents/${gone.id}`, headers: r.admin.headers });
    const list = json<{ items: { taskType: string; agentState: string }[] }>(await t.app.inject({ url: '/api/v1/task-types', headers: r.viewer.headers }));
    expect(list.items.find((i) => i.taskType === 'short_task')?.agentState).toBe('deleted');
    expect(expectProblem(await execute({ task_type: 'short_task', input_data: {} }), 409).code).toBe('task_type_agent_missing');
  });
});

describe('resultData', () => {
  it('parses a bare JSON answer or one fenced json block, nothing else', () => {
    expect(resultData('{"a":1}')).toEqual({ a: 1 });
    expect(resultData('```json\n[1,2]\n```')).toEqual([1, 2]);
    expect(resultData('Here is the plan:\n```json\n{"w":1}\n```\nEnjoy!')).toEqual({ w: 1 });
    expect(resultData('```json\n{"w":1}\n```\n```json\n{"w":2}\n```')).toBeUndefined();
    expect(resultData('Just text')).toBeUndefined();
    expect(resultData('{not json')).toBeUndefined();
    expect(resultData(null)).toBeUndefined();
  });
});
