import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, json, seedRoles, type Member, type TestApp } from '../../test/helpers/app.js';
import type { DbKind } from '../../test/helpers/databases.js';
import { toolContext } from '../../test/helpers/tool-context.js';
import { ledgerEntries } from '../billing/schema.js';
import { createLogger } from '../shared/logger.js';
import { EventProcessor, type FireStarter } from './processor.js';

/**
 * A trigger's debounce and its concurrency limit (issue 16), through the API on PostgreSQL and
 * PGlite: the app's own worker runs the processor, and the limit's test adds a second processor
 * racing it for the same events.
 */
interface Fire {
  id: string;
  triggerId: string;
  eventId: string;
  status: string;
  runId: string | null;
  carriedBy: string | null;
  collapsed: number;
  dueAt: string | null;
}
interface Run {
  id: string;
  status: string;
  source: string;
  createdAt: string;
  finishedAt: string | null;
  input: { task?: string; context?: Record<string, unknown> } & Record<string, unknown>;
}

describe.each(['postgres', 'pglite'] as DbKind[])('trigger debounce and concurrency on %s', (kind) => {
  let t: TestApp;
  let roles: Awaited<ReturnType<typeof seedRoles>>;
  let agentId: string;

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, who: Member, payload?: unknown) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { ...who.headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) }, ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }) });
  const emit = async (type: string, payload: unknown) => {
    const res = await call('POST', '/events', roles.member, { type, payload });
    expect(res.statusCode, res.body).toBe(202);
    return json<{ id: string }>(res).id;
  };
  const trigger = async (body: Record<string, unknown>) => {
    const res = await call('POST', '/triggers', roles.admin, body);
    expect(res.statusCode, res.body).toBe(201);
    return json<{ id: string }>(res).id;
  };
  const firesOf = async (triggerId: string) => json<{ items: Fire[] }>(await call('GET', `/trigger-fires?triggerId=${triggerId}&limit=100`, roles.viewer)).items;
  const run = async (id: string) => json<Run>(await call('GET', `/runs/${id}`, roles.admin));

  beforeAll(async () => {
    t = await createTestApp(kind);
    roles = await seedRoles(t.ctx);
    agentId = json<{ id: string }>(await call('POST', '/agents', roles.admin, { name: 'Desk', model: 'openai:gpt-4o-mini' })).id;
  });
  afterAll(() => t.close());

  it('debounce: a burst for one key makes one run, after the last event, with the last event and the count; another key its own', async () => {
    const id = await trigger({
      name: 'Digest',
      eventType: 'note.added',
      agentId,
      task: 'Digest {{ debounce.count }} notes for {{ event.payload.contact }}; last: {{ event.payload.note }}',
      debounce: { key: '{{ event.payload.contact }}', seconds: 3 },
    });
    const burst: string[] = [];
    for (const note of ['n1', 'n2', 'n3']) burst.push(await emit('note.added', { contact: 'c1', note }));
    const alone = await emit('note.added', { contact: 'c2', note: 'only' });
    // Every event has its fire at once: the superseded ones carried by the last one's, which waits.
    await expect.poll(async () => (await firesOf(id)).length, { timeout: 15_000 }).toBe(4);
    const early = await firesOf(id);
    const last = early.find((f) => f.eventId === burst[2])!;
    expect(last.status === 'pending' || last.status === 'firing' || last.status === 'fired').toBe(true);
    expect(early.filter((f) => burst.slice(0, 2).includes(f.eventId))).toEqual([
      expect.objectContaining({ status: 'debounced', carriedBy: last.id, runId: null }),
      expect.objectContaining({ status: 'debounced', carriedBy: last.id, runId: null }),
    ]);
    // Then it fires, once, with the last event.
    await expect.poll(async () => (await firesOf(id)).filter((f) => f.status === 'fired').length, { timeout: 20_000 }).toBe(2);
    const fires = await firesOf(id);
    expect(fires.filter((f) => f.status === 'debounced')).toHaveLength(2);
    const fired = fires.find((f) => f.eventId === burst[2])!;
    expect(fired).toMatchObject({ status: 'fired', collapsed: 3 });
    const digest = await run(fired.runId!);
    expect(digest.input.task).toBe('Digest 3 notes for c1; last: n3');
    expect(digest.input.context).toMatchObject({ event: { id: burst[2] }, debounce: { count: 3 } });
    const single = fires.find((f) => f.eventId === alone)!;
    expect(single).toMatchObject({ status: 'fired', collapsed: 1 });
    expect((await run(single.runId!)).input.task).toBe('Digest 1 notes for c2; last: only');
    // The run started no sooner than the window after the last event.
    const lastEvent = json<{ createdAt: string }>(await call('GET', `/events/${burst[2]}`, roles.viewer));
    expect(Date.parse(digest.createdAt)).toBeGreaterThanOrEqual(Date.parse(lastEvent.createdAt) + 3000);
    // An event of the key after the run started opens a new window.
    const later = await emit('note.added', { contact: 'c1', note: 'n4' });
    await expect.poll(async () => (await firesOf(id)).find((f) => f.eventId === later)?.status, { timeout: 20_000 }).toBe('fired');
    expect((await firesOf(id)).find((f) => f.eventId === later)).toMatchObject({ collapsed: 1 });
    await call('PATCH', `/triggers/${id}`, roles.admin, { enabled: false });
  });

  it('a trigger switched off while its fire is pending makes it a dead letter; a replay once it is on fires it, once', async () => {
    const id = await trigger({ name: 'Paused digest', eventType: 'memo.added', agentId, task: 'Digest {{ debounce.count }}', debounce: { key: 'all', seconds: 1 } });
    const eventId = await emit('memo.added', {});
    await expect.poll(async () => (await firesOf(id))[0]?.status, { timeout: 15_000 }).toBe('pending');
    expect((await call('PATCH', `/triggers/${id}`, roles.admin, { enabled: false })).statusCode).toBe(200);
    await expect.poll(async () => (await firesOf(id))[0]?.status, { timeout: 15_000 }).toBe('failed');
    expect(json<{ items: { eventId: string; error: { code: string } }[] }>(await call('GET', '/trigger-fires?status=failed', roles.viewer)).items).toEqual(
      expect.arrayContaining([expect.objectContaining({ eventId, error: expect.objectContaining({ code: 'trigger_disabled' }) })]),
    );
    await call('PATCH', `/triggers/${id}`, roles.admin, { enabled: true });
    expect((await call('POST', `/events/${eventId}/replay`, roles.admin)).statusCode).toBe(202);
    await expect.poll(async () => (await firesOf(id))[0]?.status, { timeout: 15_000 }).toBe('fired');
    expect((await firesOf(id))[0]).toMatchObject({ attempts: 2, collapsed: 1 });
    await call('PATCH', `/triggers/${id}`, roles.admin, { enabled: false });
  });

  it('maxConcurrentRuns: runs of the trigger never overlap past the limit, with two processors racing; queued fires start in order', async () => {
    const wf = json<{ id: string }>(
      await call('POST', '/workflows', roles.admin, {
        definition: {
          name: 'Slow',
          graph: {
            nodes: [
              { id: 'start', type: 'trigger', config: { kind: 'manual' } },
              { id: 'wait', type: 'delay', config: { seconds: 1 } },
              { id: 'after', type: 'transform', config: { value: 'done' } },
            ],
            edges: [
              { source: 'start', target: 'wait' },
              { source: 'wait', target: 'after' },
            ],
          },
        },
      }),
    ).id;
    const id = await trigger({ name: 'One at a time', eventType: 'job.requested', workflowId: wf, maxConcurrentRuns: 1 });
    expect(json<{ maxConcurrentRuns: number }>(await call('GET', `/triggers/${id}`, roles.viewer)).maxConcurrentRuns).toBe(1);

    // A second processor in this process, as another worker would be (it hears no run ends: it
    // finds free places by asking the runs, on its poll).
    const system = (orgId: string) => ({ orgId, role: 'owner' as const, userId: null, apiKeyId: null });
    const { runs, workflows, triggers } = t.ctx.services;
    const starter: FireStarter = {
      agentRun: async (orgId, a, input, key) => (await runs.create(system(orgId), a, input, { source: 'event', idempotencyKey: key })).run.id,
      workflowRun: async (orgId, w, input, key) => (await workflows.start(system(orgId), w, input, { source: 'event', idempotencyKey: key })).run.id,
      decision: async (orgId, d, key) => (await t.ctx.services.decisions.start(system(orgId), d, key)).decision.id,
      orgName: async () => 'Org',
      activeRuns: async (orgId, ids) => {
        const rows = await Promise.all(ids.map((r) => runs.get(system(orgId), r)));
        return new Set(rows.filter((r) => !['succeeded', 'failed', 'canceled'].includes(r.status)).map((r) => r.id));
      },
    };
    const rival = new EventProcessor(t.ctx.database, triggers, starter, createLogger('silent'), { idleMs: 200 });
    rival.start();
    try {
      const sent: string[] = [];
      for (let i = 0; i < 4; i++) sent.push(await emit('job.requested', { n: i }));
      await expect.poll(async () => (await firesOf(id)).length, { timeout: 15_000 }).toBe(4);
      // While the first run waits, the others wait too: queued, in order.
      const first = await firesOf(id);
      expect(first.filter((f) => f.status === 'queued').length).toBeGreaterThanOrEqual(2);
      await expect.poll(async () => (await firesOf(id)).filter((f) => f.status === 'fired').length, { timeout: 40_000, interval: 100 }).toBe(4);
      const fires = await firesOf(id);
      const made = await Promise.all(fires.map((f) => run(f.runId!)));
      await expect.poll(async () => (await Promise.all(made.map((r) => run(r.id)))).every((r) => r.status === 'succeeded'), { timeout: 20_000 }).toBe(true);
      const done = (await Promise.all(made.map((r) => run(r.id)))).sort((a, b) => Date.parse(a.createdAt) - Date.parse(b.createdAt));
      // Never two at once: each run was made only once the one before had ended.
      for (let i = 1; i < done.length; i++) expect(Date.parse(done[i]!.createdAt)).toBeGreaterThanOrEqual(Date.parse(done[i - 1]!.finishedAt!));
      // In the order the events came.
      const eventOfRun = new Map(fires.map((f) => [f.runId, f.eventId]));
      expect(done.map((r) => eventOfRun.get(r.id))).toEqual(sent);
    } finally {
      await rival.stop();
    }
  });

  it("Troupe's task, ticket and budget happenings become events when a trigger listens, and fire it", async () => {
    const listeners = await Promise.all(
      ['task.due', 'ticket.created', 'budget.alert'].map((type) => trigger({ name: `On ${type}`, eventType: type, agentId, task: `Handle ${type} {{ event.payload }}` })),
    );
    const happened = async (type: string, match: (payload: Record<string, unknown>) => boolean) => {
      let found: { id: string; payload: Record<string, unknown>; source: string } | undefined;
      await expect
        .poll(
          async () => {
            const items = json<{ items: { id: string; payload: Record<string, unknown>; source: string }[] }>(await call('GET', `/events?type=${type}&source=troupe`, roles.viewer)).items;
            found = items.find((e) => match(e.payload));
            return Boolean(found);
          },
          { timeout: 20_000 },
        )
        .toBe(true);
      const fired = async () => json<{ fires: { status: string }[] }>(await call('GET', `/events/${found!.id}`, roles.viewer)).fires.map((f) => f.status);
      await expect.poll(fired, { timeout: 15_000 }).toEqual(['fired']);
      return found!;
    };

    // A ticket an agent opens.
    const ctx = toolContext({ app: t.ctx, orgId: roles.admin.orgId, agentId, runId: randomUUID(), toolCallId: 'call-1' });
    const opened = await t.ctx.services.tools.execute('create_support_ticket', { subject: 'Printer on fire', priority: 'high' }, ctx);
    expect(opened).toMatchObject({ ok: true });
    const ticketId = (opened as { output: { id: string } }).output.id;
    expect((await happened('ticket.created', (p) => p.ticketId === ticketId)).payload).toMatchObject({ subject: 'Printer on fire', priority: 'high', agentId });
    // The same tool call again opens no second ticket and makes no second event.
    await t.ctx.services.tools.execute('create_support_ticket', { subject: 'Printer on fire', priority: 'high' }, ctx);

    // A budget alert: the agent's spend reaches 80% of its budget.
    await t.ctx.database.withOrg(roles.admin.orgId, (tx) =>
      tx.insert(ledgerEntries).values({ orgId: roles.admin.orgId, agentId, runId: randomUUID(), stepId: randomUUID(), provider: 'openai', model: 'gpt-4o-mini', inputTokens: 1, outputTokens: 1, baseCostMicros: 850_000, billedCostMicros: 850_000, markupBps: 0 }),
    );
    expect((await t.ctx.services.billing.checkBudget(roles.admin.orgId, agentId, 1_000_000)).allowed).toBe(true);
    expect((await happened('budget.alert', (p) => p.targetId === agentId)).payload).toMatchObject({ targetType: 'agent', thresholdPercent: 80, spentMicros: 850_000, budgetMicros: 1_000_000 });

    // A task its schedule fires (the scheduler runs here from now on).
    const task = json<{ id: string }>(
      await call('POST', '/tasks', roles.admin, { agentId, title: 'Morning report', instructions: 'Report', schedule: { onceAt: new Date(Date.now() + 1000).toISOString() } }),
    );
    t.ctx.startRoles({ worker: true, scheduler: true });
    const due = await happened('task.due', (p) => p.taskId === task.id);
    expect(due.payload).toMatchObject({ outcome: 'fired' });
    expect(typeof due.payload.runId).toBe('string');

    const tickets = json<{ items: unknown[] }>(await call('GET', '/events?type=ticket.created', roles.viewer)).items;
    expect(tickets).toHaveLength(1);
    for (const id of listeners) await call('PATCH', `/triggers/${id}`, roles.admin, { enabled: false });
  });

  it('refuses a debounce with a throttle, a bad debounce key and a limit below 1, naming the field', async () => {
    const both = await call('POST', '/triggers', roles.admin, { name: 'Both', eventType: 'a.b', agentId, task: 'x', throttleKey: '{{ event.id }}', throttleSeconds: 60, debounce: { key: '{{ event.id }}', seconds: 5 } });
    expect(both.statusCode).toBe(400);
    expect(json<{ errors: { path: string }[] }>(both).errors.map((e) => e.path)).toContain('body.debounce');
    const badKey = await call('POST', '/triggers', roles.admin, { name: 'Bad key', eventType: 'a.b', agentId, task: 'x', debounce: { key: '{{ event.payload. }}', seconds: 5 } });
    expect(badKey.statusCode).toBe(400);
    expect(badKey.body).toContain('body.debounce.key');
    const noSeconds = await call('POST', '/triggers', roles.admin, { name: 'No seconds', eventType: 'a.b', agentId, task: 'x', debounce: { key: 'k' } });
    expect(noSeconds.statusCode).toBe(400);
    expect(noSeconds.body).toContain('debounce.seconds');
    const zero = await call('POST', '/triggers', roles.admin, { name: 'Zero', eventType: 'a.b', agentId, task: 'x', maxConcurrentRuns: 0 });
    expect(zero.statusCode).toBe(400);
    expect(zero.body).toContain('maxConcurrentRuns');
    // A throttled trigger cannot take a debounce by a patch either; dropping the throttle lets it.
    const id = await trigger({ name: 'Throttled', eventType: 'a.b', agentId, task: 'x', throttleKey: 'k', throttleSeconds: 60 });
    const patched = await call('PATCH', `/triggers/${id}`, roles.admin, { debounce: { key: 'k', seconds: 5 } });
    expect(patched.statusCode).toBe(400);
    expect(patched.body).toContain('body.debounce');
    const swapped = await call('PATCH', `/triggers/${id}`, roles.admin, { debounce: { key: 'k', seconds: 5 }, throttleKey: null, throttleSeconds: null });
    expect(swapped.statusCode, swapped.body).toBe(200);
    expect(json<{ debounce: unknown; throttleKey: unknown }>(swapped)).toMatchObject({ debounce: { key: 'k', seconds: 5 }, throttleKey: null });
    // A workflow's own trigger takes a limit (and its switch) here; the rest stays the workflow's.
    const wf = json<{ id: string }>(
      await call('POST', '/workflows', roles.admin, {
        definition: { name: 'On memo', graph: { nodes: [{ id: 'start', type: 'trigger', config: { kind: 'event', eventType: 'memo.kept' } }], edges: [] } },
      }),
    ).id;
    const managed = json<{ items: { id: string; workflowId: string | null }[] }>(await call('GET', '/triggers', roles.viewer)).items.find((x) => x.workflowId === wf)!;
    const limited = await call('PATCH', `/triggers/${managed.id}`, roles.admin, { maxConcurrentRuns: 3 });
    expect(limited.statusCode, limited.body).toBe(200);
    expect(json<{ maxConcurrentRuns: number; eventType: string }>(limited)).toMatchObject({ maxConcurrentRuns: 3, eventType: 'memo.kept' });
    expect((await call('PATCH', `/triggers/${managed.id}`, roles.admin, { debounce: { key: 'k', seconds: 5 } })).statusCode).toBe(409);
  });
});
