import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedOperator, seedRoles, type Member, type TestApp } from '../../test/helpers/app.js';

interface QueueStats {
  scope: 'instance' | 'organization';
  canControl: boolean;
  paused: boolean;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
  throughputPerMinute: number;
}

/**
 * The run queue is the install's: only an instance operator pauses it or reads its figures; an
 * organization's admin or owner sees the same figures for the organization's own runs (decision 32).
 */
describe('the run queue and the instance operator', () => {
  let t: TestApp;
  let r: Awaited<ReturnType<typeof seedRoles>>;
  let operator: Member;
  /** The owner of an organization made by open sign-up, the attacker of this test. */
  let signedUp: { headers: Record<string, string>; orgId: string };
  let agentId: string;

  beforeAll(async () => {
    t = await createTestApp('postgres');
    r = await seedRoles(t.ctx);
    operator = await seedOperator(t.ctx, 'owner');
    // Runs stay where the test puts them: nothing takes them from the queue.
    t.ctx.services.runs.setDispatcher({ dispatch: () => undefined });
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/auth/signup', payload: { email: 'mallory@example.com', password: 'a long password 1', name: 'Mallory' } });
    expect(res.statusCode, res.body).toBe(201);
    const session = json<{ organization: { id: string }; tokens: { accessToken: string } }>(res);
    signedUp = { orgId: session.organization.id, headers: { authorization: `Bearer ${session.tokens.accessToken}`, 'x-org-id': session.organization.id } };
    agentId = json<{ id: string }>(await t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: r.admin.headers, payload: { name: 'Queued', model: 'openai:gpt-4o-mini' } })).id;
  });
  afterAll(async () => {
    await t.ctx.services.dispatcher.resume();
    await t.close();
  });

  const queue = async (who: { headers: Record<string, string> }) => {
    const res = await t.app.inject({ url: '/api/v1/queue', headers: who.headers });
    expect(res.statusCode, res.body).toBe(200);
    return json<QueueStats>(res);
  };
  const post = (path: string, headers: Record<string, string>) => t.app.inject({ method: 'POST', url: `/api/v1${path}`, headers });

  it("refuses pause and resume to the owner of another signed-up organization, and to any organization's owner or owner key", async () => {
    const key = json<{ key: string }>(await t.app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: r.owner.headers, payload: { name: 'ops', role: 'owner' } })).key;
    for (const headers of [signedUp.headers, r.owner.headers, { authorization: `Bearer ${key}` }]) {
      for (const action of ['pause', 'resume']) {
        expect(expectProblem(await post(`/queue/${action}`, headers), 403).code).toBe('operator_required');
      }
    }
    expect((await t.ctx.services.dispatcher.stats()).paused).toBe(false);
  });

  it("shows an organization's admin only its own runs, labelled as such", async () => {
    const runIds: string[] = [];
    for (let i = 0; i < 6; i++) {
      const res = await t.app.inject({ method: 'POST', url: `/api/v1/agents/${agentId}/execute`, headers: r.member.headers, payload: { task: `job ${i}` } });
      expect(res.statusCode, res.body).toBe(202);
      runIds.push(json<{ id: string }>(res).id);
    }
    // Six runs: two waiting, one running, one handed back (delayed), one failed, one succeeded.
    const set = (id: string, assignments: ReturnType<typeof sql>) => t.ctx.database.system((tx) => tx.execute(sql`update runs set ${assignments} where id = ${id}`));
    await set(runIds[2]!, sql`status = 'running', started_at = now()`);
    await set(runIds[3]!, sql`status = 'queued', started_at = now() - interval '1 minute'`);
    await set(runIds[4]!, sql`status = 'failed', started_at = now(), finished_at = now()`);
    await set(runIds[5]!, sql`status = 'succeeded', started_at = now(), finished_at = now() - interval '5 minutes'`);

    for (const who of [r.admin, r.owner]) {
      expect(await queue(who)).toMatchObject({ scope: 'organization', canControl: false, paused: false, waiting: 2, active: 1, delayed: 1, failed: 1, completed: 1, throughputPerMinute: 1 });
    }
    // The signed-up organization has no runs, and sees none of the others'.
    expect(await queue(signedUp)).toMatchObject({ scope: 'organization', canControl: false, waiting: 0, active: 0, delayed: 0, failed: 0, completed: 0, throughputPerMinute: 0 });
    expect(expectProblem(await t.app.inject({ url: '/api/v1/queue', headers: r.member.headers }), 403).code).toBe('insufficient_role');
  });

  it("lets the operator read the install's figures and pause and resume; organizations see that it is paused", async () => {
    expect(await queue(operator)).toMatchObject({ scope: 'instance', canControl: true, adapter: 'in-process', paused: false });
    const paused = json<QueueStats>(await post('/queue/pause', operator.headers));
    expect(paused).toMatchObject({ scope: 'instance', canControl: true, paused: true });
    expect((await t.ctx.services.dispatcher.stats()).paused).toBe(true);
    expect(await queue(signedUp)).toMatchObject({ scope: 'organization', paused: true, canControl: false });
    expect(json<QueueStats>(await post('/queue/resume', operator.headers)).paused).toBe(false);

    const audit = json<{ items: { action: string; actorId: string | null }[] }>(await t.app.inject({ url: '/api/v1/audit?action=queue.', headers: operator.headers }));
    expect(audit.items.map((e) => e.action).sort()).toEqual(['queue.paused', 'queue.resumed']);
    // An operator needs no organization at all.
    await t.ctx.database.system((tx) => tx.execute(sql`delete from memberships where user_id = ${operator.userId}`));
    const bare = { authorization: operator.headers.authorization! };
    expect(json<QueueStats>(await post('/queue/pause', bare)).paused).toBe(true);
    expect(json<QueueStats>(await post('/queue/resume', bare)).paused).toBe(false);
  });

  it('tells the dashboard who is an operator', async () => {
    const me = (who: { headers: Record<string, string> }) => t.app.inject({ url: '/api/v1/auth/me', headers: who.headers }).then((res) => json<{ user: { isOperator: boolean } }>(res).user);
    expect(await me(operator)).toMatchObject({ isOperator: true });
    expect(await me(r.owner)).toMatchObject({ isOperator: false });
    expect(await me(signedUp)).toMatchObject({ isOperator: false });
  });
});
