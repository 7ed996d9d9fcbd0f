import { createHmac, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, json, seedMember, seedRoles, type Member, type TestApp } from '../../test/helpers/app.js';
import type { DbKind } from '../../test/helpers/databases.js';
import { toolContext } from '../../test/helpers/tool-context.js';
import { and, eq } from 'drizzle-orm';
import { keysetPage, timestampSort } from '../shared/keyset.js';
import { events } from './schema.js';

/**
 * Events, triggers and inbound webhooks through the API (issue 16), on PostgreSQL and PGlite: the
 * app's own worker runs the trigger processor, as `troupe serve` does.
 */
interface Event {
  id: string;
  type: string;
  source: string;
  payload: unknown;
  processedAt: string | null;
  fires: { triggerId: string; status: string; runId: string | null; error: { code: string } | null; attempts: number }[];
}
interface Run {
  id: string;
  status: string;
  source: string;
  agentId: string | null;
  workflowId: string | null;
  input: { task?: string; context?: Record<string, unknown> } & Record<string, unknown>;
}

describe.each(['postgres', 'pglite'] as DbKind[])('events and triggers on %s', (kind) => {
  let t: TestApp;
  let roles: Awaited<ReturnType<typeof seedRoles>>;
  let agentId: string;

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, who: Member, payload?: unknown) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { ...who.headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) }, ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }) });

  async function processed(eventId: string, who: Member = roles.admin): Promise<Event> {
    const end = Date.now() + 15_000;
    for (;;) {
      const e = json<Event>(await call('GET', `/events/${eventId}`, who));
      if (e.processedAt && e.fires.every((f) => f.status !== 'firing')) return e;
      if (Date.now() > end) throw new Error(`event ${eventId} was not processed`);
      await new Promise((r) => setTimeout(r, 25));
    }
  }
  const emit = async (type: string, payload: unknown, extra: Record<string, unknown> = {}) => {
    const res = await call('POST', '/events', roles.member, { type, payload, ...extra });
    expect([200, 202], res.body).toContain(res.statusCode);
    return json<Event>(res);
  };
  const trigger = async (body: Record<string, unknown>) => {
    const res = await call('POST', '/triggers', roles.admin, body);
    expect(res.statusCode, res.body).toBe(201);
    return json<{ id: string }>(res).id;
  };

  beforeAll(async () => {
    t = await createTestApp(kind);
    roles = await seedRoles(t.ctx);
    agentId = json<{ id: string }>(await call('POST', '/agents', roles.admin, { name: 'Desk', model: 'openai:gpt-4o-mini' })).id;
  });
  afterAll(() => t.close());

  it('stores an event once per dedupe key, lists it by type prefix and source; another organization gets 404', async () => {
    const first = await call('POST', '/events', roles.member, { type: 'order.created', payload: { n: 1 }, dedupeKey: 'order-1' });
    expect(first.statusCode).toBe(202);
    const again = await call('POST', '/events', roles.member, { type: 'order.created', payload: { n: 2 }, dedupeKey: 'order-1' });
    expect(again.statusCode).toBe(200);
    expect(json<Event>(again)).toMatchObject({ id: json<Event>(first).id, payload: { n: 1 } });
    const list = json<{ items: Event[] }>(await call('GET', '/events?type=order.*&source=api', roles.viewer));
    expect(list.items.map((e) => e.id)).toContain(json<Event>(first).id);
    expect(json<{ items: Event[] }>(await call('GET', '/events?type=other.*', roles.viewer)).items).toHaveLength(0);
    const stranger = await seedMember(t.ctx, 'owner');
    expect((await call('GET', `/events/${json<Event>(first).id}`, stranger)).statusCode).toBe(404);
    const bad = await call('POST', '/events', roles.member, { type: 'not a type!', payload: {} });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('body.type');
    expect((await call('POST', '/events', roles.viewer, { type: 'a.b', payload: {} })).statusCode).toBe(403);
  });

  it('a matching event starts the agent with the rendered task, once; the filter and the type decide', async () => {
    const id = await trigger({ name: 'New lead', eventType: 'form.*', filter: 'event.payload.email != null', agentId, task: 'Welcome {{ event.payload.name }} <{{ event.payload.email }}>' });
    const hit = await processed((await emit('form.submitted', { name: 'Ann', email: 'ann@example.com' })).id);
    expect(hit.fires).toMatchObject([{ triggerId: id, status: 'fired', attempts: 1 }]);
    const run = json<Run>(await call('GET', `/runs/${hit.fires[0]!.runId}`, roles.admin));
    expect(run).toMatchObject({ source: 'event', agentId });
    expect(run.input.task).toBe('Welcome Ann <ann@example.com>');
    expect((run.input.context as { event: { id: string } }).event.id).toBe(hit.id);
    // The filter said no; another type never reaches it.
    expect((await processed((await emit('form.submitted', { name: 'No mail' })).id)).fires).toEqual([]);
    expect((await processed((await emit('lead.created', { email: 'x@example.com' })).id)).fires).toEqual([]);
    // Replaying a fired event makes no second run.
    const replayed = await call('POST', `/events/${hit.id}/replay`, roles.admin);
    expect(replayed.statusCode).toBe(202);
    expect((await processed(hit.id)).fires).toMatchObject([{ status: 'fired', runId: hit.fires[0]!.runId }]);
    await call('PATCH', `/triggers/${id}`, roles.admin, { enabled: false });
  });

  it('throttles by a templated key: one run per contact in the window', async () => {
    await trigger({ name: 'Per contact', eventType: 'contact.pinged', agentId, task: 'Call back {{ event.payload.contact }}', throttleKey: '{{ event.payload.contact }}', throttleSeconds: 3600 });
    const a = await processed((await emit('contact.pinged', { contact: 'c1' })).id);
    const b = await processed((await emit('contact.pinged', { contact: 'c1' })).id);
    const c = await processed((await emit('contact.pinged', { contact: 'c2' })).id);
    expect([a, b, c].map((e) => e.fires[0]!.status)).toEqual(['fired', 'throttled', 'fired']);
  });

  it('a fire that fails is a dead letter; a replay once fixed fires it, once', async () => {
    const wf = json<{ id: string }>(
      await call('POST', '/workflows', roles.admin, {
        definition: { name: 'Shape', inputSchema: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] }, graph: { nodes: [{ id: 'start', type: 'trigger', config: { kind: 'manual' } }], edges: [] } },
      }),
    ).id;
    const id = await trigger({ name: 'To workflow', eventType: 'shape.asked', workflowId: wf, input: { n: '{{ event.payload.n }}' } });
    const bad = await processed((await emit('shape.asked', { n: 'five' })).id);
    expect(bad.fires).toMatchObject([{ triggerId: id, status: 'failed', runId: null, error: { code: 'invalid_input' } }]);
    const dead = json<{ items: { eventId: string; triggerName: string }[] }>(await call('GET', '/trigger-fires?status=failed', roles.viewer));
    expect(dead.items).toEqual(expect.arrayContaining([expect.objectContaining({ eventId: bad.id, triggerName: 'To workflow' })]));
    // Fixed: the trigger now sends a number.
    expect((await call('PATCH', `/triggers/${id}`, roles.admin, { input: { n: 5 } })).statusCode).toBe(200);
    await call('POST', `/events/${bad.id}/replay`, roles.admin);
    const good = await processed(bad.id);
    expect(good.fires).toMatchObject([{ status: 'fired', attempts: 2 }]);
    const run = json<Run>(await call('GET', `/runs/${good.fires[0]!.runId}`, roles.admin));
    expect(run).toMatchObject({ source: 'event', workflowId: wf });
  });

  it("a workflow's event trigger node keeps a trigger of its own; its events start the workflow with the payload", async () => {
    const res = await call('POST', '/workflows', roles.admin, {
      definition: {
        name: 'On signup',
        graph: {
          nodes: [
            { id: 'start', type: 'trigger', config: { kind: 'event', eventType: 'user.signed_up', filter: 'event.payload.plan = "pro"' } },
            { id: 'hello', type: 'transform', config: { value: 'Hi {{ input.name }}' } },
          ],
          edges: [{ source: 'start', target: 'hello' }],
        },
      },
    });
    const wf = json<{ id: string }>(res).id;
    const managed = json<{ items: { id: string; workflowId: string; managed: boolean }[] }>(await call('GET', '/triggers', roles.viewer)).items.find((x) => x.workflowId === wf);
    expect(managed).toMatchObject({ managed: true });
    expect((await call('PATCH', `/triggers/${managed!.id}`, roles.admin, { eventType: 'other' })).statusCode).toBe(409);
    expect((await processed((await emit('user.signed_up', { name: 'Free', plan: 'free' })).id)).fires).toEqual([]);
    const e = await processed((await emit('user.signed_up', { name: 'Pat', plan: 'pro' })).id);
    const runId = e.fires[0]!.runId!;
    const end = Date.now() + 10_000;
    let run = json<Run & { result: unknown }>(await call('GET', `/runs/${runId}`, roles.admin));
    while (run.status !== 'succeeded' && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 25));
      run = json<Run & { result: unknown }>(await call('GET', `/runs/${runId}`, roles.admin));
    }
    expect(run).toMatchObject({ status: 'succeeded', workflowId: wf, result: 'Hi Pat' });
    // Archived: its trigger goes.
    await call('DELETE', `/workflows/${wf}`, roles.admin);
    expect(json<{ items: { workflowId: string }[] }>(await call('GET', '/triggers', roles.viewer)).items.some((x) => x.workflowId === wf)).toBe(false);
  });

  it('emit_event: an agent records an event once per tool call, and its triggers fire', async () => {
    await trigger({ name: 'Qualified', eventType: 'lead.qualified', agentId, task: 'Follow up with {{ event.payload.who }}' });
    const ctx = toolContext({ app: t.ctx, orgId: roles.admin.orgId, runId: randomUUID(), toolCallId: 'call-1' });
    const first = await t.ctx.services.tools.execute('emit_event', { type: 'lead.qualified', payload: { who: 'Ann' } }, ctx);
    expect(first).toMatchObject({ ok: true, output: { duplicate: false } });
    const again = await t.ctx.services.tools.execute('emit_event', { type: 'lead.qualified', payload: { who: 'Ann' } }, ctx);
    const eventId = (first as { output: { eventId: string } }).output.eventId;
    expect(again).toMatchObject({ ok: true, output: { eventId, duplicate: true } });
    const e = await processed(eventId);
    expect(e).toMatchObject({ source: 'agent', payload: { who: 'Ann' } });
    expect(e.fires).toMatchObject([{ status: 'fired' }]);
    expect(await t.ctx.services.tools.execute('emit_event', { type: 'bad type', payload: {} }, ctx)).toMatchObject({ ok: false, error: { code: 'invalid_arguments' } });
  });

  it("Troupe's own happenings are events when a trigger listens: a failed workflow run", async () => {
    await trigger({ name: 'On failure', eventType: 'workflow.*', agentId, task: 'Look into run {{ event.payload.runId }}' });
    const wf = json<{ id: string }>(
      await call('POST', '/workflows', roles.admin, {
        definition: { name: 'Breaks', graph: { nodes: [{ id: 'start', type: 'trigger', config: { kind: 'manual' } }, { id: 'w', type: 'wait_until', config: { until: '"never"' } }], edges: [{ source: 'start', target: 'w' }] } },
      }),
    ).id;
    const run = json<{ id: string; status: string }>(await call('POST', `/workflows/${wf}/run?wait=true`, roles.admin, { input: {} }));
    expect(run.status).toBe('failed');
    const end = Date.now() + 10_000;
    let found: Event | undefined;
    while (!found && Date.now() < end) {
      found = json<{ items: Event[] }>(await call('GET', '/events?type=workflow.failed&source=troupe', roles.viewer)).items.find((e) => (e.payload as { runId: string }).runId === run.id);
      if (!found) await new Promise((r) => setTimeout(r, 25));
    }
    const e = await processed(found!.id);
    expect(e.fires).toMatchObject([{ status: 'fired' }]);
    const started = json<Run>(await call('GET', `/runs/${e.fires[0]!.runId}`, roles.admin));
    expect(started.input.task).toBe(`Look into run ${run.id}`);
    // That run (source event) makes no event of its own when it ends: no loop.
    const untilDone = Date.now() + 10_000;
    while (json<Run>(await call('GET', `/runs/${started.id}`, roles.admin)).status !== 'succeeded' && Date.now() < untilDone) await new Promise((r) => setTimeout(r, 25));
    expect(json<{ items: Event[] }>(await call('GET', '/events?type=run.*', roles.viewer)).items.filter((x) => (x.payload as { runId: string }).runId === started.id)).toEqual([]);
  });

  it('refuses a trigger with problems, naming each field; members may not create one', async () => {
    const res = await call('POST', '/triggers', roles.admin, { name: 'Bad', eventType: 'a.b', filter: 'event.payload.x >', throttleKey: '{{ x }}' });
    expect(res.statusCode).toBe(400);
    const paths = json<{ errors: { path: string }[] }>(res).errors.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['body.agentId', 'body.throttleSeconds', 'body.filter']));
    expect((await call('POST', '/triggers', roles.member, { name: 'x', eventType: 'a.b', agentId, task: 'x' })).statusCode).toBe(403);
    const stranger = await seedMember(t.ctx, 'owner');
    const foreign = await call('POST', '/triggers', stranger, { name: 'x', eventType: 'a.b', agentId, task: 'x' });
    expect(foreign.statusCode).toBe(400);
    expect(foreign.body).toContain('body.agentId');
  });

  describe('inbound webhooks', () => {
    const hook = (id: string, body: string | Buffer, headers: Record<string, string>) => t.app.inject({ method: 'POST', url: `/hooks/${id}`, headers, payload: body });

    it('GitHub-signed deliveries become events; a bad signature is refused (401) and shown with its reason', async () => {
      const created = await call('POST', '/webhooks', roles.admin, { name: 'GitHub', eventType: 'github.push', verification: 'github' });
      expect(created.statusCode, created.body).toBe(201);
      const ep = json<{ id: string; url: string; secret: string }>(created);
      expect(ep.url).toMatch(new RegExp(`/hooks/${ep.id}$`));
      const body = JSON.stringify({ ref: 'refs/heads/main' });
      const sig = `sha256=${createHmac('sha256', ep.secret).update(body).digest('hex')}`;
      const ok = await hook(ep.id, body, { 'content-type': 'application/json', 'x-hub-signature-256': sig, 'x-github-delivery': 'd-1' });
      expect(ok.statusCode, ok.body).toBe(202);
      const eventId = json<{ eventId: string }>(ok).eventId;
      // The same delivery again (GitHub redelivers): stored once.
      const twice = await hook(ep.id, body, { 'content-type': 'application/json', 'x-hub-signature-256': sig, 'x-github-delivery': 'd-1' });
      expect(json<{ eventId: string; duplicate: boolean }>(twice)).toEqual({ eventId, duplicate: true });
      expect(json<Event>(await call('GET', `/events/${eventId}`, roles.viewer))).toMatchObject({ type: 'github.push', source: 'webhook', payload: { ref: 'refs/heads/main' } });
      const forged = await hook(ep.id, body, { 'content-type': 'application/json', 'x-hub-signature-256': `sha256=${'0'.repeat(64)}` });
      expect(forged.statusCode).toBe(401);
      const deliveries = json<{ items: { accepted: boolean; status: number; code: string | null }[] }>(await call('GET', `/webhooks/${ep.id}/deliveries`, roles.viewer)).items;
      expect(deliveries[0]).toMatchObject({ accepted: false, status: 401, code: 'signature_invalid' });
      expect(deliveries.filter((d) => d.accepted)).toHaveLength(1);
      // The test sender signs as a correct sender would.
      const test = json<{ status: number }>(await call('POST', `/webhooks/${ep.id}/test`, roles.admin, { payload: { hello: 1 } }));
      expect(test.status).toBe(202);
      // The endpoint's secret never shows again.
      expect(await call('GET', `/webhooks/${ep.id}`, roles.viewer).then((r) => r.body)).not.toContain(ep.secret);
    });

    it('takes contact-form posts with a token, maps them, and refuses what it cannot take by name', async () => {
      const ep = json<{ id: string; secret: string }>(
        await call('POST', '/webhooks', roles.admin, {
          name: 'Contact form',
          eventType: 'form.submitted',
          verification: 'token',
          maxBodyBytes: 200,
          mapping: '{"type": body.kind = "booking" ? "booking.requested" : "form.submitted", "payload": {"email": body.email, "tags": body.tag}}',
        }),
      );
      const form = 'email=ann%40example.com&tag=a&tag=b&kind=booking';
      const ok = await hook(ep.id, form, { 'content-type': 'application/x-www-form-urlencoded', 'x-webhook-token': ep.secret });
      expect(ok.statusCode, ok.body).toBe(202);
      expect(json<Event>(await call('GET', `/events/${json<{ eventId: string }>(ok).eventId}`, roles.viewer))).toMatchObject({ type: 'booking.requested', payload: { email: 'ann@example.com', tags: ['a', 'b'] } });
      expect((await hook(ep.id, form, { 'content-type': 'application/x-www-form-urlencoded', 'x-webhook-token': 'wrong' })).statusCode).toBe(401);
      expect((await hook(ep.id, 'x'.repeat(300), { 'content-type': 'text/plain', 'x-webhook-token': ep.secret })).statusCode).toBe(413);
      expect((await hook(ep.id, '<a/>', { 'content-type': 'application/xml', 'x-webhook-token': ep.secret })).statusCode).toBe(415);
      expect((await hook(ep.id, '{"a":', { 'content-type': 'application/json', 'x-webhook-token': ep.secret })).statusCode).toBe(400);
      expect((await hook(ep.id, '{"a":"\\u0000"}', { 'content-type': 'application/json', 'x-webhook-token': ep.secret })).statusCode).toBe(400);
      expect((await hook('00000000-0000-4000-8000-000000000000', '{}', { 'content-type': 'application/json' })).statusCode).toBe(404);
      expect((await hook('not-a-uuid', '{}', { 'content-type': 'application/json' })).statusCode).toBe(404);
      // Disabled: as if it did not exist.
      await call('PATCH', `/webhooks/${ep.id}`, roles.admin, { enabled: false });
      expect((await hook(ep.id, form, { 'content-type': 'application/x-www-form-urlencoded', 'x-webhook-token': ep.secret })).statusCode).toBe(404);
      const stranger = await seedMember(t.ctx, 'owner');
      expect((await call('GET', `/webhooks/${ep.id}`, stranger)).statusCode).toBe(404);
    });
  });

  it('counts the log up to a cap: past it, total is a lower bound (totalExact false)', async () => {
    for (let i = 0; i < 3; i++) await emit('count.me', { i });
    const page = json<{ total: number; totalExact: boolean; items: unknown[] }>(await call('GET', '/events?type=count.me&limit=1', roles.viewer));
    expect(page).toMatchObject({ total: 3, totalExact: true });
    const where = and(eq(events.orgId, roles.admin.orgId), eq(events.type, 'count.me'));
    const capped = await t.ctx.database.readOrg(roles.admin.orgId, (tx) =>
      keysetPage(tx, { table: events, id: events.id, sort: timestampSort(events.createdAt), where, countUpTo: 2 }, { limit: 1, sortOrder: 'desc' }, (r) => r),
    );
    expect(capped).toMatchObject({ total: 3, totalExact: false, nextCursor: expect.any(String) });
    const under = await t.ctx.database.readOrg(roles.admin.orgId, (tx) =>
      keysetPage(tx, { table: events, id: events.id, sort: timestampSort(events.createdAt), where, countUpTo: 5 }, { limit: 1, sortOrder: 'desc' }, (r) => r),
    );
    expect(under).toMatchObject({ total: 3, totalExact: true });
  });

  it('prunes processed events past the retention', async () => {
    const kept = await emit('prune.me', {});
    await processed(kept.id);
    const removed = await t.ctx.services.events.prune(new Date(Date.now() + 60_000));
    expect(removed).toBeGreaterThan(0);
    expect((await call('GET', `/events/${kept.id}`, roles.viewer)).statusCode).toBe(404);
  });
});
