import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestApp, json, seedMember, type TestApp } from '../../test/helpers/app.js';
import { inProcessWorker, scriptedExecutor } from '../../test/helpers/worker.js';

let t: TestApp;
beforeAll(async () => {
  t = await createTestApp('pglite');
});
afterAll(() => t.close());

// PGlite is one session: a price lookup on its own connection inside the engine's transaction
// would wait for that transaction forever. This would time out if billing did that.
it('records a model call inside an org-scoped transaction on PGlite', async () => {
  const owner = await seedMember(t.ctx, 'owner');
  const agent = json<{ id: string }>(
    await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: owner.headers, payload: { name: 'P', model: 'openai:gpt-4o-mini' } }),
  );
  const figures = await t.ctx.database.withOrg(owner.orgId, (tx) =>
    t.ctx.services.billing.recordModelCall(tx, {
      orgId: owner.orgId,
      agentId: agent.id,
      runId: randomUUID(),
      stepId: randomUUID(),
      provider: 'openai',
      model: 'gpt-4o-mini',
      inputTokens: 1_000_000,
      outputTokens: 0,
      cachedInputTokens: 0,
      at: new Date(),
    }),
  );
  expect(figures).toMatchObject({ baseCostMicros: 150_000, billedCostMicros: 180_000 });
  const check = await t.ctx.services.billing.checkBudget(owner.orgId, agent.id, 200_000);
  expect(check).toMatchObject({ allowed: true, agent: { spentMicros: 180_000 } });
});

// The budget reservations (migration 0015) and the up-front refusal use advisory locks and
// plpgsql that PGlite must run as PostgreSQL does.
it('reserves a budgeted call and refuses work over budget on PGlite', async () => {
  const owner = await seedMember(t.ctx, 'owner');
  const { script, executor } = scriptedExecutor(t.ctx, [{ text: 'one', usage: { input: 100, output: 10 } }]);
  t.ctx.services.runs.setDispatcher(inProcessWorker(executor));
  expect((await t.app.inject({ method: 'PATCH', url: '/api/v1/orgs/current', headers: owner.headers, payload: { monthlyBudgetMicros: 30 } })).statusCode).toBe(200);
  const agent = json<{ id: string }>(await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: owner.headers, payload: { name: 'B', model: 'openai:gpt-4o-mini' } }));
  const execute = () => t.app.inject({ method: 'POST', url: `/api/v1/agents/${agent.id}/execute?wait=true`, headers: owner.headers, payload: { task: 'Go' } });
  expect(json(await execute())).toMatchObject({ status: 'succeeded', output: 'one', billedMicros: 25 });
  expect(json(await execute())).toMatchObject({ status: 'succeeded' });
  expect(script.calls).toBe(2);
  const refused = await execute();
  expect(refused.statusCode).toBe(402);
  expect(json(refused)).toMatchObject({ code: 'budget_exceeded' });
});
