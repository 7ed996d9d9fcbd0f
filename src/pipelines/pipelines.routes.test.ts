import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, json, seedMember, seedRoles, type Member, type TestApp } from '../../test/helpers/app.js';
import type { DbKind } from '../../test/helpers/databases.js';
import { toolContext } from '../../test/helpers/tool-context.js';

/**
 * Pipelines, their items and the assignment rules through the API and the tools (issue 16), on
 * PostgreSQL and PGlite.
 */
interface Stage {
  id: string;
  name: string;
  kind: string;
  position: number;
  itemCount: number;
}
interface Pipeline {
  id: string;
  name: string;
  stages: Stage[];
  assignment: { mode: string; role?: string };
  archivedAt: string | null;
}
interface StaffRef {
  id: string;
  name: string;
  email: string | null;
  userId: string | null;
}
interface Item {
  id: string;
  pipelineId: string;
  stageId: string;
  title: string;
  priority: number;
  assignee: StaffRef | null;
  pipelineName: string;
  history: { fromStage: { name: string } | null; toStage: { name: string } | null; fromAssignee: StaffRef | null; toAssignee: StaffRef | null; actor: { kind: string; id: string | null }; note: string | null }[];
}
interface Event {
  id: string;
  type: string;
  source: string;
  dedupeKey: string;
  payload: Record<string, unknown> & { itemId: string };
}

describe.each(['postgres', 'pglite'] as DbKind[])('pipelines on %s', (kind) => {
  let t: TestApp;
  let roles: Awaited<ReturnType<typeof seedRoles>>;

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, who: Member, payload?: unknown) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { ...who.headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) }, ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }) });
  const ok = async <T>(method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, who: Member, payload?: unknown, status = method === 'POST' ? 201 : 200): Promise<T> => {
    const res = await call(method, url, who, payload);
    expect(res.statusCode, res.body).toBe(status);
    return json<T>(res);
  };
  const staff = (name: string, roleList: string[], extra: Record<string, unknown> = {}) => ok<{ id: string; name: string }>('POST', '/staff', roles.admin, { name, roles: roleList, ...extra });
  const pipeline = (name: string, assignment: Record<string, unknown>, stages = [{ name: 'New' }, { name: 'Working' }, { name: 'Won', kind: 'done' }, { name: 'Lost', kind: 'lost' }]) =>
    ok<Pipeline>('POST', '/pipelines', roles.admin, { name, stages, assignment });
  const add = (p: Pipeline, body: Record<string, unknown>, who: Member = roles.member) => ok<Item>('POST', `/pipelines/${p.id}/items`, who, body);
  const stageOf = (p: Pipeline, name: string) => p.stages.find((s) => s.name === name)!.id;
  const eventsOf = async (itemId: string) => (await ok<{ items: Event[] }>('GET', '/events?type=pipeline.*&limit=100', roles.admin)).items.filter((e) => e.payload.itemId === itemId);

  beforeAll(async () => {
    t = await createTestApp(kind);
    roles = await seedRoles(t.ctx);
  });
  afterAll(() => t.close());

  it('creates, lists and changes pipelines; bad input is a 400 naming the field; roles and organizations are kept apart', async () => {
    const p = await pipeline('Sales Inquiries', { mode: 'least_load', role: 'Sales' });
    expect(p.stages.map((s) => [s.name, s.kind, s.position])).toEqual([
      ['New', 'open', 0],
      ['Working', 'open', 1],
      ['Won', 'done', 2],
      ['Lost', 'lost', 3],
    ]);
    expect(p.assignment).toEqual({ mode: 'least_load', role: 'sales' });
    expect((await ok<{ items: Pipeline[] }>('GET', '/pipelines', roles.member)).items.map((x) => x.name)).toContain('Sales Inquiries');

    const dup = await call('POST', '/pipelines', roles.admin, { name: 'x', stages: [{ name: 'A' }, { name: 'a' }] });
    expect(dup.statusCode).toBe(400);
    expect(dup.body).toContain('body.stages.1.name');
    const noOpen = await call('POST', '/pipelines', roles.admin, { name: 'x', stages: [{ name: 'Done', kind: 'done' }] });
    expect(noOpen.statusCode).toBe(400);
    expect(noOpen.body).toContain('open stage');
    const badRole = await call('POST', '/pipelines', roles.admin, { name: 'x', stages: [{ name: 'A' }], assignment: { mode: 'least_load', role: 'not a role' } });
    expect(badRole.statusCode).toBe(400);
    expect(badRole.body).toContain('body.assignment.role');
    expect((await call('POST', '/pipelines', roles.admin, { name: 'sales inquiries', stages: [{ name: 'A' }] })).statusCode).toBe(409);

    expect((await call('POST', '/pipelines', roles.member, { name: 'y', stages: [{ name: 'A' }] })).statusCode).toBe(403);
    expect((await call('GET', '/pipelines', roles.viewer)).statusCode).toBe(403);
    expect((await call('GET', `/pipelines/${p.id}`, roles.stranger)).statusCode).toBe(404);
    expect((await call('PATCH', `/pipelines/${p.id}`, roles.stranger, { name: 'Mine' })).statusCode).toBe(404);
    expect((await call('GET', `/pipelines/${p.id}/items`, roles.stranger)).statusCode).toBe(404);

    // Rename, reorder and add stages in one change; a stage of another pipeline is refused.
    const [n, w, won, lost] = p.stages;
    const changed = await ok<Pipeline>('PATCH', `/pipelines/${p.id}`, roles.admin, {
      stages: [{ id: w!.id, name: 'New' }, { id: n!.id, name: 'Fresh' }, { name: 'Qualified' }, { id: won!.id, name: 'Won', kind: 'done' }, { id: lost!.id, name: 'Lost', kind: 'lost' }],
    });
    expect(changed.stages.map((s) => [s.id, s.name])).toEqual([
      [w!.id, 'New'],
      [n!.id, 'Fresh'],
      [changed.stages[2]!.id, 'Qualified'],
      [won!.id, 'Won'],
      [lost!.id, 'Lost'],
    ]);
    const other = await pipeline('Other', { mode: 'none' });
    const foreign = await call('PATCH', `/pipelines/${p.id}`, roles.admin, { stages: [{ id: other.stages[0]!.id, name: 'X' }] });
    expect(foreign.statusCode).toBe(400);
    expect(foreign.body).toContain('body.stages.0.id');

    // A stage holding an item cannot be removed (409 naming it); an empty one can.
    await add(changed, { title: 'Holds Fresh', stageId: n!.id, assigneeId: null });
    const holding = await call('PATCH', `/pipelines/${p.id}`, roles.admin, { stages: [{ id: w!.id, name: 'New' }, { id: won!.id, name: 'Won', kind: 'done' }] });
    expect(holding.statusCode).toBe(409);
    expect(json<{ detail: string }>(holding).detail).toMatch(/"Fresh" \(1 item\)/);
    const fewer = await ok<Pipeline>('PATCH', `/pipelines/${p.id}`, roles.admin, { stages: [{ id: w!.id, name: 'New' }, { id: n!.id, name: 'Fresh' }, { id: won!.id, name: 'Won', kind: 'done' }] });
    expect(fewer.stages.map((s) => [s.name, s.itemCount])).toEqual([
      ['New', 0],
      ['Fresh', 1],
      ['Won', 0],
    ]);

    // Archived: out of the list and the context, and takes no items; delete takes the items too.
    await ok('PATCH', `/pipelines/${other.id}`, roles.admin, { archived: true });
    expect((await ok<{ items: Pipeline[] }>('GET', '/pipelines', roles.member)).items.map((x) => x.id)).not.toContain(other.id);
    expect((await ok<{ items: Pipeline[] }>('GET', '/pipelines?archived=true', roles.member)).items.map((x) => x.id)).toEqual([other.id]);
    expect((await call('POST', `/pipelines/${other.id}/items`, roles.member, { title: 'late' })).statusCode).toBe(409);
    expect((await call('DELETE', `/pipelines/${p.id}`, roles.member)).statusCode).toBe(403);
    expect((await call('DELETE', `/pipelines/${p.id}`, roles.admin)).statusCode).toBe(204);
    expect((await call('GET', `/pipelines/${p.id}`, roles.admin)).statusCode).toBe(404);
    const audit = json<{ items: { action: string }[] }>(await call('GET', '/audit?limit=100', roles.owner)).items.map((a) => a.action);
    expect(audit).toEqual(expect.arrayContaining(['pipeline.created', 'pipeline.updated', 'pipeline.deleted']));
  });

  it('least_load picks the fewest open items (a tie: who was given one least recently), passes over staff at capacity, inactive staff and other roles', async () => {
    const a = await staff('Ann Sales', ['sales']);
    const b = await staff('Bob Sales', ['sales', 'pm']);
    await staff('Sue Support', ['support']);
    await staff('Ida Idle', ['sales'], { active: false });
    const p = await pipeline('Leads', { mode: 'least_load', role: 'sales' });
    const who = async (title: string) => (await add(p, { title })).assignee?.name;
    expect(await who('one')).toBe('Ann Sales'); // 0/0, neither given one: the older first
    expect(await who('two')).toBe('Bob Sales'); // Ann has 1
    const three = await add(p, { title: 'three' }); // 1/1: Ann was given one before Bob
    expect(three.assignee?.id).toBe(a.id);
    // Ann's first item is won: only open items count, so Ann has 1 (three), Bob 1 (two); Bob waited longer.
    const first = (await ok<{ items: Item[] }>('GET', `/pipelines/${p.id}/items?sortBy=createdAt&sortOrder=asc`, roles.member)).items[0]!;
    await ok('PATCH', `/pipeline-items/${first.id}`, roles.member, { stageId: stageOf(p, 'Won') });
    expect(await who('four')).toBe('Bob Sales'); // Ann 1, Bob 2 now
    expect(await who('five')).toBe('Ann Sales');
    // Ann at capacity 2 (she has 2): Bob gets it though he has as many.
    await ok('PATCH', `/staff/${a.id}`, roles.admin, { capacity: 2 });
    expect(await who('six')).toBe('Bob Sales');
    // Everyone with the role full: nobody is assigned.
    await ok('PATCH', `/staff/${b.id}`, roles.admin, { capacity: 3 });
    expect(await who('seven')).toBeUndefined();
    // Another role asked for; an explicit assignee wins over the rule and capacity; null is nobody.
    expect((await add(p, { title: 'eight', assigneeRole: 'support' })).assignee?.name).toBe('Sue Support');
    expect((await add(p, { title: 'nine', assigneeId: a.id })).assignee?.id).toBe(a.id);
    expect((await add(p, { title: 'ten', assigneeId: null })).assignee).toBeNull();
    const ctx = await ok<{ staff: { id: string; openItems: number; capacity: number | null; roles: string[] }[]; pipelines: { name: string }[] }>('GET', '/pipelines/context', roles.member);
    expect(ctx.staff.find((s) => s.id === a.id)).toMatchObject({ openItems: 3, capacity: 2, roles: ['sales'] });
    expect(ctx.staff.find((s) => s.id === b.id)).toMatchObject({ openItems: 3, capacity: 3, roles: ['sales', 'pm'] });
    expect(await t.ctx.services.pipelines.contextOf(roles.owner.orgId)).toEqual(ctx);
    // Ida is inactive: not in the context, and no explicit assignee either.
    const idle = (await ok<{ items: { id: string; name: string }[] }>('GET', '/staff?q=Ida', roles.member)).items[0]!;
    expect(ctx.staff.map((s) => s.id)).not.toContain(idle.id);
    const inactive = await call('POST', `/pipelines/${p.id}/items`, roles.member, { title: 'x', assigneeId: idle.id });
    expect(inactive.statusCode).toBe(400);
    expect(inactive.body).toContain('body.assigneeId');
    expect((await call('POST', `/pipelines/${p.id}/items`, roles.member, { title: 'x', assigneeId: randomUUID() })).statusCode).toBe(400);
    const priority = await call('POST', `/pipelines/${p.id}/items`, roles.member, { title: 'x', priority: 9 });
    expect(priority.statusCode).toBe(400);
    expect(priority.body).toContain('body.priority');
  });

  it('items arriving at once in one pipeline are spread as if they came one after another (the pipeline row is their lock)', async () => {
    const x = await staff('Xena Rush', ['rush']);
    const y = await staff('Yuri Rush', ['rush']);
    const least = await pipeline('Rush least', { mode: 'least_load', role: 'rush' });
    const robin = await pipeline('Rush robin', { mode: 'round_robin', role: 'rush' });
    const burst = (p: Pipeline) => Promise.all(Array.from({ length: 6 }, (_, i) => add(p, { title: `burst ${i}` })));
    const count = (items: Item[]) => [x.id, y.id].map((id) => items.filter((i) => i.assignee?.id === id).length);
    expect(count(await burst(least))).toEqual([3, 3]);
    expect(count(await burst(robin))).toEqual([3, 3]);
  });

  it('round_robin goes to the next in turn, wraps around, and passes over who is full', async () => {
    const s1 = await staff('Op One', ['operator']);
    const s2 = await staff('Op Two', ['operator']);
    await staff('Op Three', ['operator']);
    const p = await pipeline('Support Requests', { mode: 'round_robin', role: 'operator' });
    const names: (string | undefined)[] = [];
    for (const n of [1, 2, 3, 4]) names.push((await add(p, { title: `req ${n}` })).assignee?.name);
    expect(names).toEqual(['Op One', 'Op Two', 'Op Three', 'Op One']);
    await ok('PATCH', `/staff/${s2.id}`, roles.admin, { capacity: 1 });
    expect((await add(p, { title: 'req 5' })).assignee?.name).toBe('Op Three');
    expect((await add(p, { title: 'req 6' })).assignee?.id).toBe(s1.id);
  });

  it('moves and reassigns items with their history; each change is an event once', async () => {
    const rep = await staff('Rep', ['intake']);
    const other = await staff('Other Rep', ['intake']);
    const p = await pipeline('General Intake', { mode: 'least_load', role: 'intake' });
    const item = await add(p, { title: 'Partnership', contact: { name: 'Pat', email: 'pat@example.com' }, priority: 4 });
    expect(item).toMatchObject({ pipelineName: 'General Intake', priority: 4, assignee: { id: rep.id, name: 'Rep' } });
    expect(item.history).toMatchObject([{ fromStage: null, toStage: { name: 'New' }, toAssignee: { id: rep.id }, actor: { kind: 'user', id: roles.member.userId } }]);

    const moved = await ok<Item>('PATCH', `/pipeline-items/${item.id}`, roles.member, { stageId: stageOf(p, 'Working'), assigneeId: other.id, note: 'Rep is away' });
    expect(moved.stageId).toBe(stageOf(p, 'Working'));
    expect(moved.history.at(-1)).toMatchObject({ fromStage: { name: 'New' }, toStage: { name: 'Working' }, fromAssignee: { id: rep.id }, toAssignee: { id: other.id }, note: 'Rep is away' });
    // The same move again changes nothing: no history row, no event.
    expect((await ok<Item>('PATCH', `/pipeline-items/${item.id}`, roles.member, { stageId: stageOf(p, 'Working') })).history).toHaveLength(2);

    const events = await eventsOf(item.id);
    expect(events.map((e) => e.type).sort()).toEqual(['pipeline.item.assigned', 'pipeline.item.assigned', 'pipeline.item.created', 'pipeline.item.stage_changed']);
    expect(events.every((e) => e.source === 'troupe')).toBe(true);
    expect(events.find((e) => e.type === 'pipeline.item.created')!.payload).toMatchObject({ pipeline: { id: p.id, name: 'General Intake' }, stage: { name: 'New' }, assignee: { id: rep.id }, contact: { email: 'pat@example.com' }, priority: 4 });
    expect(events.find((e) => e.type === 'pipeline.item.stage_changed')!.payload).toMatchObject({ fromStage: { name: 'New' }, toStage: { name: 'Working', kind: 'open' }, note: 'Rep is away' });
    expect(events.filter((e) => e.type === 'pipeline.item.assigned').map((e) => (e.payload.toAssignee as StaffRef).id).sort()).toEqual([rep.id, other.id].sort());

    // Bad moves: a stage of another pipeline, another organization, a viewer.
    const elsewhere = await pipeline('Elsewhere', { mode: 'none' });
    const bad = await call('PATCH', `/pipeline-items/${item.id}`, roles.member, { stageId: elsewhere.stages[0]!.id });
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('body.stageId');
    expect((await call('PATCH', `/pipeline-items/${item.id}`, roles.stranger, { stageId: stageOf(p, 'Won') })).statusCode).toBe(404);
    expect((await call('GET', `/pipeline-items/${item.id}`, roles.stranger)).statusCode).toBe(404);
    expect((await call('PATCH', `/pipeline-items/${item.id}`, roles.viewer, { stageId: stageOf(p, 'Won') })).statusCode).toBe(403);
    expect((await call('GET', `/pipeline-items/not-an-id`, roles.member)).statusCode).toBe(404);

    // By stage, paged.
    const working = await ok<{ items: Item[]; total: number }>('GET', `/pipelines/${p.id}/items?stageId=${stageOf(p, 'Working')}`, roles.member);
    expect(working.items.map((i) => i.id)).toEqual([item.id]);
    expect((await ok<{ total: number }>('GET', `/pipelines/${p.id}/items?stageId=${stageOf(p, 'New')}`, roles.member)).total).toBe(0);
  });

  it('pipeline_assign makes one item per tool call, by pipeline and stage name; unknown ones name the choices; move and overview', async () => {
    const closer = await staff('Closer', ['closer'], { email: 'closer@example.com', userId: roles.member.userId });
    const p = await pipeline('Deals', { mode: 'least_load', role: 'closer' });
    const ctx = toolContext({ app: t.ctx, orgId: roles.owner.orgId });
    const tools = t.ctx.services.tools;
    const args = { pipeline: 'deals', stage: 'working', title: 'Big deal', contact: { email: 'buyer@example.com' }, priority: 5 };
    const first = await tools.execute('pipeline_assign', args, ctx);
    expect(first).toMatchObject({ ok: true, output: { pipelineId: p.id, pipelineName: 'Deals', stageName: 'Working', created: true, assignee: { id: closer.id, name: 'Closer', email: 'closer@example.com', userId: roles.member.userId } } });
    const again = await tools.execute('pipeline_assign', args, ctx);
    expect(again).toEqual({ ok: true, output: { ...(first as { output: object }).output, created: false } });
    const list = await ok<{ items: Item[]; total: number }>('GET', `/pipelines/${p.id}/items`, roles.member);
    expect(list.total).toBe(1);
    const itemId = (first as { output: { itemId: string } }).output.itemId;
    const item = await ok<Item & { createdBy: { kind: string; id: string } }>('GET', `/pipeline-items/${itemId}`, roles.member);
    expect(item.createdBy).toEqual({ kind: 'agent', id: ctx.agentId });
    // Its events were stored once although the call was made twice.
    expect((await eventsOf(itemId)).map((e) => e.type).sort()).toEqual(['pipeline.item.assigned', 'pipeline.item.created']);
    // Another call id is another item; by id works as by name.
    const other = await tools.execute('pipeline_assign', { pipeline: p.id, title: 'Small deal', contact: { name: 'Sloppy', email: 'sloppy@shop' } }, { ...ctx, toolCallId: randomUUID() });
    expect(other).toMatchObject({ ok: true, output: { stageName: 'New', created: true } });
    // A contact as a form sent it is kept as it is: it does not make the assignment fail.
    expect((await ok<Item & { contact: { email?: string } }>('GET', `/pipeline-items/${(other as { output: { itemId: string } }).output.itemId}`, roles.member)).contact).toEqual({ name: 'Sloppy', email: 'sloppy@shop' });

    const unknown = await tools.execute('pipeline_assign', { pipeline: 'Nope', title: 'x' }, { ...ctx, toolCallId: randomUUID() });
    expect(unknown).toMatchObject({ ok: false, error: { code: 'not_found' } });
    expect((unknown as { error: { message: string } }).error.message).toMatch(/No pipeline "Nope"; the pipelines are .*"Deals"/);
    const badStage = await tools.execute('pipeline_assign', { pipeline: 'Deals', stage: 'Limbo', title: 'x' }, { ...ctx, toolCallId: randomUUID() });
    expect((badStage as { error: { message: string } }).error.message).toBe('No stage "Limbo" in "Deals"; its stages are "New", "Working", "Won", "Lost"');
    const badStaff = await tools.execute('pipeline_assign', { pipeline: 'Deals', title: 'x', assigneeId: randomUUID() }, { ...ctx, toolCallId: randomUUID() });
    expect(badStaff).toMatchObject({ ok: false, error: { code: 'invalid_arguments', issues: [{ path: 'input.assigneeId' }] } });

    const moved = await tools.execute('pipeline_move_item', { itemId, stage: 'WON', note: 'signed' }, ctx);
    expect(moved).toMatchObject({ ok: true, output: { itemId, stageName: 'Won', assignee: { id: closer.id } } });
    expect((await ok<Item>('GET', `/pipeline-items/${itemId}`, roles.member)).history.at(-1)).toMatchObject({ fromStage: { name: 'Working' }, toStage: { name: 'Won' }, note: 'signed', actor: { kind: 'agent' } });
    const stranger = await tools.execute('pipeline_move_item', { itemId, stage: 'Won' }, toolContext({ app: t.ctx, orgId: roles.stranger.orgId }));
    expect(stranger).toMatchObject({ ok: false, error: { code: 'not_found' } });

    const overview = await tools.execute('pipeline_overview', {}, ctx);
    expect(overview).toEqual({ ok: true, output: await t.ctx.services.pipelines.contextOf(roles.owner.orgId) });
    expect((overview as { output: { pipelines: { name: string }[] } }).output.pipelines.map((x) => x.name)).toContain('Deals');
  });

  it('a staff member of another organization is nobody here', async () => {
    const theirs = await seedMember(t.ctx, 'owner');
    const res = await call('POST', '/staff', theirs, { name: 'Their rep', roles: ['sales'] });
    const p = await pipeline('Cross', { mode: 'none' });
    const cross = await call('POST', `/pipelines/${p.id}/items`, roles.member, { title: 'x', assigneeId: json<{ id: string }>(res).id });
    expect(cross.statusCode).toBe(400);
    expect(cross.body).toContain('body.assigneeId');
  });
});
