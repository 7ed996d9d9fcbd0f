import { randomUUID } from 'node:crypto';
import { and, asc, eq, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, json, seedMember, type TestApp } from '../../../../test/helpers/app.js';
import type { DbKind } from '../../../../test/helpers/databases.js';
import { toolContext } from '../../../../test/helpers/tool-context.js';
import { organizations } from '../../../auth/schema.js';
import { schedules } from '../../../schedules/schema.js';
import { tasks } from '../../../tasks/schema.js';
import type { ToolContext } from '../../../tools/define.js';
import { executeTool } from '../../../tools/execute.js';
import { followUps, notifications, outboxEmails } from '../../../tools/schema.js';
import { parseCsv } from '../crm/csv-parse.js';
import {
  fitnessBookings,
  fitnessCommunications,
  fitnessContacts,
  fitnessNotes,
  fitnessPayments,
  fitnessSessions,
  fitnessSubscriptions,
  fitnessWorkoutPlans,
} from '../crm/schema.js';
import type { DemoContact, DemoGym, DemoSession } from '../demo/rows.js';
import { fillDemoGym } from '../demo/service.js';
import { truthEngagementOf } from '../demo/truth-activity.js';
import { truthOf } from '../demo/truth.js';
import { cmp, count, DAY, fullName, GymTruth, isLead, iso, leastSquares, MINUTE, money, newYork, newYorkSlot, reachOf, timeAway, type ContactFilter } from './demo-truth.test-helpers.js';
import { fitnessTools } from './index.js';
import { fitnessCampaignRecipients, fitnessCampaigns, fitnessSmsOutbox, fitnessSocialPosts } from './schema.js';
import { failed, ok } from './test-fixtures.js';

/*
 * Every fitness tool (CRM, messaging, automation, fitness) on a demo gym of a few hundred members,
 * through the real executor, against what the generator's rows say (demo-truth.test-helpers.ts):
 * filters, totals to the micro-dollar, order and paging, time zones, consent. A second gym in
 * another organization must never show up, and no write may touch it.
 *
 * The tools read the wall clock ("the next 7 days", "30 days before now"), and the gym's history is
 * generated up to a fixed asOf. So the process's Date is set to the gym's "now", a few hours after
 * asOf (vi.useFakeTimers fakes Date only; timers run as usual), which makes every figure below
 * reproducible. The database's own clock is not moved: only the created_at and updated_at defaults of
 * rows the tools write read it, and no answer below depends on those.
 */

const AS_OF = new Date('2026-03-15T00:00:00Z');
const NOW = new Date('2026-03-15T09:10:00Z');
const GYM = 'Ironwood Fitness';
const UUIDS = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

type Row = Record<string, unknown>;
type List = { total: number; items: Row[]; nextOffset: number | null };
const plain = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;
const MEMBER_STATUSES = ['active', 'frozen', 'cancelled', 'former'];

/** What every case works with: the app, both gyms, the truth of the big one. */
interface Env {
  t: TestApp;
  gym: DemoGym;
  small: DemoGym;
  truth: GymTruth;
  smallIds: Set<string>;
  agentId: string;
}

/** Calls a tool through the executor as an agent of the gym's organization (or `orgId`'s). */
function caller(env: Env) {
  const run = (name: string, args: unknown, over: Partial<ToolContext> = {}) => {
    const def = env.t.ctx.services.tools.get(name);
    if (!def) throw new Error(`${name} is not registered`);
    return executeTool(def, args, toolContext({ app: env.t.ctx, orgId: env.gym.orgId, followUpTask: env.t.ctx.services.tools.followUpTask ?? undefined, ...over }));
  };
  /** A successful answer that names nothing of the other gym. */
  const read = async <T = Row>(name: string, args: unknown, over: Partial<ToolContext> = {}): Promise<T> => {
    const out = ok<T>(await run(name, args, over));
    const foreign = (JSON.stringify(out).match(UUIDS) ?? []).filter((id) => env.smallIds.has(id));
    expect(foreign, `${name} answered with the other gym's ids`).toEqual([]);
    return out;
  };
  /** The call made in the other gym's organization: anything of this gym is not found there. */
  const elsewhere = async (name: string, args: unknown) => expect(failed(await run(name, args, { orgId: env.small.orgId })).code, `${name} in the other organization`).toBe('not_found');
  return { run, read, elsewhere };
}

/** Rows of a table in one organization, by id. */
async function rowsOf<T extends PgTable>(env: Env, orgId: string, table: T, where?: ReturnType<typeof eq>): Promise<T['$inferSelect'][]> {
  const t = table as unknown as typeof fitnessContacts;
  return env.t.ctx.database.withOrg(orgId, (tx) =>
    tx
      .select()
      .from(t)
      .where(and(eq(t.orgId, orgId), where))
      .orderBy(asc(t.id)),
  ) as Promise<T['$inferSelect'][]>;
}

/** The other gym's rows are exactly what its generator made, and the tools wrote nothing for it. */
async function expectSmallUntouched(env: Env) {
  const orgId = env.small.orgId;
  const byId = <T extends { id?: string | null }>(rows: T[]) => plain([...rows].sort((a, b) => cmp(a.id!, b.id!)));
  const tables = { contacts: fitnessContacts, bookings: fitnessBookings, sessions: fitnessSessions, notes: fitnessNotes, subscriptions: fitnessSubscriptions, payments: fitnessPayments } as const;
  const written = [fitnessCommunications, fitnessSmsOutbox, fitnessCampaigns, fitnessCampaignRecipients, fitnessSocialPosts, fitnessWorkoutPlans, outboxEmails, notifications, followUps, tasks];
  const { rows, counts } = await env.t.ctx.database.withOrg(orgId, async (tx) => {
    const rows: Record<string, unknown[]> = {};
    for (const [name, table] of Object.entries(tables)) rows[name] = await tx.select().from(table).where(eq(table.orgId, orgId)).orderBy(asc(table.id));
    const counts = await tx.execute(sql.join([sql`select`, sql.join(written.map((t, i) => sql`(select count(*) from ${t} where org_id = ${orgId})::int as ${sql.identifier(`t${i}`)}`), sql`, `)], sql` `));
    return { rows, counts: counts.rows[0]! };
  });
  for (const name of Object.keys(tables) as (keyof typeof tables)[]) expect(plain(rows[name]), `the other gym's ${name}`).toEqual(byId(env.small.rows[name] as { id?: string | null }[]));
  expect(Object.values(counts).map(Number), 'rows the tools wrote for the other gym').toEqual(written.map(() => 0));
}

/** A page of a sorted list as the tools page it: the slice, and the next offset while rows remain. */
const page = <T>(all: T[], offset: number, limit: number) => ({ slice: all.slice(offset, offset + limit), nextOffset: offset + limit < all.length ? offset + limit : null });

/** The first of `list` that `pred` holds for; fails the test (the gym no longer has such a row) otherwise. */
function pick<T>(list: T[], pred: (x: T) => boolean, what: string): T {
  const found = list.find(pred);
  if (!found) throw new Error(`the demo gym has no ${what}`);
  return found;
}

/**
 * One case per tool, reads before writes (writes change what later answers must be). Each takes the
 * environment and checks the tool's answers, and for writes the rows written and the other gym.
 */
const CASES: Record<string, (env: Env) => Promise<void>> = {
  async search_clients(env) {
    const { read } = caller(env);
    const { truth } = env;
    const check = async (args: Row, filter: Omit<ContactFilter, 'statuses'> & { statuses?: string[] } = {}) => {
      const all = truth.searchContacts({ statuses: MEMBER_STATUSES, ...filter }, args.sort === 'name' ? 'name' : 'newest');
      const p = page(all, (args.offset as number) ?? 0, (args.limit as number) ?? 20);
      expect(await read<List>('search_clients', args), JSON.stringify(args)).toEqual({ total: all.length, items: p.slice.map((c) => truth.contactLine(c)), nextOffset: p.nextOffset });
      return all;
    };
    expect((await check({})).length).toBe(truth.rows.contacts.filter((c) => !isLead(c)).length);
    // Every page by name: the whole membership in order, nothing twice.
    const byName = truth.searchContacts({ statuses: MEMBER_STATUSES }, 'name');
    const seen: unknown[] = [];
    for (let offset: number | null = 0; offset !== null; ) {
      const got: List = await read<List>('search_clients', { sort: 'name', limit: 100, offset });
      seen.push(...got.items.map((c) => c.id));
      offset = got.nextOffset;
    }
    expect(seen).toEqual(byName.map((c) => c.id));

    const someone = pick(truth.rows.contacts, (c) => !isLead(c) && truth.rows.contacts.filter((x) => x.lastName === c.lastName && !isLead(x)).length >= 3, 'shared last name');
    const phone = pick(truth.rows.contacts, (c) => !isLead(c) && c.phone !== null && truth.rows.contacts.filter((x) => x.phone === c.phone && !isLead(x)).length >= 3, 'shared phone').phone!;
    expect((await check({ query: someone.lastName.toUpperCase() }, { query: someone.lastName })).length).toBeGreaterThanOrEqual(3);
    expect(await check({ query: `${someone.firstName} ${someone.lastName.slice(0, 3)}` }, { query: `${someone.firstName} ${someone.lastName.slice(0, 3)}` })).toContain(someone);
    expect((await check({ query: phone, sort: 'name' }, { query: phone })).length).toBeGreaterThanOrEqual(3);
    expect((await check({ tag: ' VIP ' }, { tag: 'vip' })).length).toBeGreaterThan(5);
    expect((await check({ notVisitedForDays: 14, consent: 'sms', sort: 'name', limit: 7, offset: 7 }, { notVisitedForDays: 14, consent: 'sms' })).length).toBeGreaterThan(14);
    expect((await check({ visitedWithinDays: 2, consent: 'marketing' }, { visitedWithinDays: 2, consent: 'marketing' })).length).toBeGreaterThan(5);
    expect((await check({ status: ['frozen', 'cancelled'], limit: 5, offset: 5 }, { statuses: ['frozen', 'cancelled'] })).length).toBeGreaterThan(10);
    // Leads are not clients unless asked for by status.
    const lead = pick(truth.rows.contacts, (c) => c.status === 'lead', 'lead');
    expect(await read<List>('search_clients', { query: lead.email ?? lead.externalId! })).toMatchObject({ total: 0 });
    await check({ status: ['lead'], query: lead.externalId! }, { statuses: ['lead'], query: lead.externalId! });
  },

  async search_leads(env) {
    const { read } = caller(env);
    const { truth } = env;
    const line = (c: DemoContact) => ({ ...truth.contactLine(c), source: c.source, stage: c.leadStageId ? truth.stages.get(c.leadStageId)!.name : null, createdAt: iso(c.createdAt) });
    const check = async (args: Row, filter: Omit<ContactFilter, 'statuses'> & { statuses?: string[] } = {}) => {
      const all = truth.searchContacts({ statuses: ['lead', 'trial'], ...filter }, args.sort === 'name' ? 'name' : 'newest');
      const p = page(all, (args.offset as number) ?? 0, (args.limit as number) ?? 20);
      expect(await read<List>('search_leads', args), JSON.stringify(args)).toEqual({ total: all.length, items: p.slice.map(line), nextOffset: p.nextOffset });
      return all;
    };
    expect((await check({ limit: 100 })).length).toBe(truth.gym.leads);
    const stage = (name: string) => [...truth.stages.values()].find((s) => s.name === name)!.id!;
    expect((await check({ stage: 'CONTACTED', sort: 'name' }, { leadStageId: stage('Contacted') })).length).toBeGreaterThan(3);
    expect((await check({ stage: stage('Lost'), limit: 10, offset: 10 }, { leadStageId: stage('Lost') })).length).toBeGreaterThan(20);
    expect((await check({ source: 'website', consent: 'email' }, { source: 'website', consent: 'email' })).length).toBeGreaterThan(3);
    const sales = truth.rows.staff.find((s) => s.role === 'sales')!;
    expect((await check({ ownerStaffId: sales.id, notVisitedForDays: 30 }, { ownerStaffId: sales.id!, notVisitedForDays: 30 })).length).toBeGreaterThan(10);
    expect((await check({ status: ['trial'] }, { statuses: ['trial'] })).length).toBeGreaterThan(0);
    expect(failed(await caller(env).run('search_leads', { stage: 'Signed' }))).toMatchObject({ code: 'not_found', message: expect.stringContaining('"New", "Contacted", "Trial booked", "Toured", "Negotiating", "Won", "Lost"') });
  },

  async view_client_profile(env) {
    const { read, elsewhere, run } = caller(env);
    const { truth } = env;
    const rows = truth.rows;
    const withGoal = pick(rows.contacts, (c) => rows.goals.some((g) => g.contactId === c.id && g.status === 'active') && rows.measurements.filter((m) => m.contactId === c.id).length > 3 && rows.notes.some((n) => n.contactId === c.id), 'member with a goal, measurements and notes');
    const switched = pick(rows.contacts, (c) => c.status === 'active' && rows.subscriptions.filter((s) => s.contactId === c.id).length >= 2, 'member who changed plans');
    const busy = pick(rows.contacts, (c) => (truth.bookingsOf.get(c.id!) ?? []).filter((b) => b.startsAt >= NOW && b.status === 'booked').length >= 6, 'member with six bookings ahead');
    const former = pick(rows.contacts, (c) => c.status === 'former' && rows.payments.some((p) => p.contactId === c.id && p.refundedMicros > 0), 'former member with a refund');
    const owned = pick(rows.contacts, (c) => c.ownerStaffId !== null && c.leadStageId !== null && !isLead(c), 'member with an owner and a stage');
    for (const c of [withGoal, switched, busy, former, owned]) expect(await read('view_client_profile', { clientId: c.id }), fullName(c)).toEqual(plain(truth.profile(c)));
    await elsewhere('view_client_profile', { clientId: busy.id });
    expect(failed(await run('view_client_profile', { clientId: env.small.rows.contacts[0]!.id })).code).toBe('not_found');
  },

  async view_client_bookings(env) {
    const { read, elsewhere } = caller(env);
    const { truth } = env;
    const busiest = [...truth.rows.contacts].sort((a, b) => (truth.bookingsOf.get(b.id!)?.length ?? 0) - (truth.bookingsOf.get(a.id!)?.length ?? 0) || cmp(a.id!, b.id!))[0]!;
    const all = [...truth.bookingsOf.get(busiest.id!)!].sort((a, b) => b.startsAt.getTime() - a.startsAt.getTime() || cmp(a.id!, b.id!));
    expect(all.length).toBeGreaterThan(100);
    const client = { id: busiest.id, name: fullName(busiest) };
    const check = async (args: Row, list: typeof all) => {
      const p = page(list, (args.offset as number) ?? 0, (args.limit as number) ?? 20);
      expect(await read('view_client_bookings', { clientId: busiest.id, ...args }), JSON.stringify(args)).toEqual({ client, count: p.slice.length, items: p.slice.map((b) => truth.bookingLine(b)), nextOffset: p.nextOffset });
    };
    for (let offset = 0; offset < all.length; offset += 40) await check({ limit: 40, offset }, all);
    // A page that ends exactly at the last booking says there is no next one.
    await check({ limit: 100, offset: all.length - 100 }, all);
    const ahead = all.filter((b) => b.startsAt >= NOW).reverse();
    expect(ahead.length).toBeGreaterThan(0);
    await check({ upcomingOnly: true }, ahead);
    const from = new Date('2026-01-01T00:00:00-05:00');
    const to = new Date('2026-02-28T23:59:59-05:00');
    await check({ from: '2026-01-01T00:00:00-05:00', to: '2026-02-28T23:59:59-05:00', status: ['no_show', 'attended'], kind: 'class', limit: 100 }, all.filter((b) => b.startsAt >= from && b.startsAt <= to && (b.status === 'no_show' || b.status === 'attended') && b.kind === 'class'));
    await elsewhere('view_client_bookings', { clientId: busiest.id });
  },

  async view_client_payments(env) {
    const { read, elsewhere } = caller(env);
    const { truth } = env;
    const paid = count(truth.rows.payments, (p) => p.contactId);
    const payer = truth.contact(Object.entries(paid).sort((a, b) => b[1] - a[1] || cmp(a[0], b[0]))[0]![0]);
    const failing = pick(truth.rows.contacts, (c) => truth.rows.payments.filter((p) => p.contactId === c.id && p.status === 'failed').length >= 2, 'member with failed payments');
    const check = async (c: DemoContact, args: Row, keep: (p: (typeof truth.rows.payments)[number]) => boolean = () => true) => {
      const list = truth.rows.payments.filter((p) => p.contactId === c.id && keep(p)).sort((a, b) => b.paidAt.getTime() - a.paidAt.getTime() || cmp(b.id!, a.id!));
      const p = page(list, (args.offset as number) ?? 0, (args.limit as number) ?? 20);
      expect(await read('view_client_payments', { clientId: c.id, ...args })).toEqual({ client: { id: c.id, name: fullName(c) }, totals: truth.paymentTotals(list), items: p.slice.map((x) => truth.paymentLine(x)), nextOffset: p.nextOffset });
      return list;
    };
    expect((await check(payer, {})).length).toBeGreaterThan(20);
    await check(payer, { limit: 5, offset: 10 });
    const from = new Date('2025-10-01T00:00:00+01:00');
    await check(payer, { from: '2025-10-01T00:00:00+01:00', status: ['succeeded', 'partially_refunded', 'refunded'] }, (p) => p.paidAt >= from && p.status !== 'failed');
    expect((await check(failing, { status: ['failed'] }, (p) => p.status === 'failed')).length).toBeGreaterThanOrEqual(2);
    await elsewhere('view_client_payments', { clientId: payer.id });
  },

  async search_classes(env) {
    const { read } = caller(env);
    const { truth } = env;
    const soon = truth.ahead(14);
    const line = (c: (typeof truth.rows.classes)[number]) => {
      const next = truth.rows.sessions.filter((s) => s.classId === c.id && s.status === 'scheduled' && s.startsAt >= NOW);
      const first = next.map((s) => s.startsAt.getTime()).sort((a, b) => a - b)[0];
      return {
        id: c.id,
        name: c.name,
        category: c.category || null,
        description: c.description.slice(0, 300) || null,
        defaultCapacity: c.defaultCapacity,
        durationMinutes: c.durationMinutes,
        active: c.active,
        sessionsNext14Days: next.filter((s) => s.startsAt < soon).length,
        nextSessionAt: first === undefined ? null : new Date(first).toISOString().replace('.000Z', 'Z'),
      };
    };
    const check = async (args: Row, keep: (c: (typeof truth.rows.classes)[number]) => boolean) => {
      const list = truth.rows.classes.filter(keep).sort((a, b) => cmp(a.name.toLowerCase(), b.name.toLowerCase()));
      const items = list.slice(0, (args.limit as number) ?? 50).map(line);
      expect(await read('search_classes', args), JSON.stringify(args)).toEqual({ count: items.length, items });
      return items;
    };
    const all = await check({}, () => true);
    expect(all.reduce((a, c) => a + c.sessionsNext14Days, 0)).toBe(truth.rows.sessions.filter((s) => s.status === 'scheduled' && s.startsAt >= NOW).length);
    expect((await check({ category: 'MIND_BODY' }, (c) => c.category === 'mind_body')).length).toBe(3);
    expect((await check({ query: 'in' }, (c) => c.name.toLowerCase().includes('in') || c.category.includes('in'))).length).toBeGreaterThan(3);
    await check({ limit: 3 }, () => true);
  },

  async view_class_schedule(env) {
    const { read, run } = caller(env);
    const { truth } = env;
    const check = async (args: Row, from: Date, to: Date, keep: (s: DemoSession) => boolean) => {
      const items = truth.sessionsBetween(from, to, keep).slice(0, (args.limit as number) ?? 50).map((s) => truth.sessionLine(s));
      expect(await read('view_class_schedule', args), JSON.stringify(args)).toEqual({ from: from.toISOString(), to: to.toISOString(), count: items.length, items });
      return items;
    };
    const scheduled = (s: DemoSession) => s.status === 'scheduled';
    expect((await check({}, NOW, truth.ahead(7), scheduled)).length).toBeGreaterThan(20);
    await check({ limit: 5 }, NOW, truth.ahead(7), scheduled);
    // A past week, cancelled sessions included: places are the bookings that came (attended) or never were marked.
    const from = new Date('2026-02-01T00:00:00-05:00');
    const to = new Date('2026-02-08T00:00:00-05:00');
    const week = await check({ from: '2026-02-01T00:00:00-05:00', to: '2026-02-08T00:00:00-05:00', includeCancelled: true, limit: 200 }, from, to, () => true);
    expect(week.some((s) => s.booked > 0)).toBe(true);
    // A class by its name in any case, only the sessions that can still be booked: one of its sessions is full.
    const cls = truth.classes.get(pick(truth.sessionsBetween(NOW, truth.ahead(14)), (s) => truth.booked(s.id!) >= s.capacity, 'full session ahead').classId)!;
    const all = truth.sessionsBetween(NOW, truth.ahead(14)).filter((s) => s.classId === cls.id);
    const withSpace = await check({ className: cls.name.toUpperCase(), onlyWithSpace: true, to: truth.ahead(14).toISOString() }, NOW, truth.ahead(14), (s) => scheduled(s) && s.classId === cls.id && truth.booked(s.id!) < s.capacity);
    expect(withSpace.length).toBeGreaterThan(0);
    expect(withSpace.length).toBeLessThan(all.length);
    const trainer = truth.rows.sessions.find((s) => s.startsAt > NOW)!.instructorId!;
    const room = truth.rows.sessions.find((s) => s.startsAt > NOW && s.instructorId === trainer)!.room;
    expect((await check({ instructorId: trainer, room, to: truth.ahead(14).toISOString() }, NOW, truth.ahead(14), (s) => scheduled(s) && s.instructorId === trainer && s.room === room)).length).toBeGreaterThan(0);
    expect(failed(await run('view_class_schedule', { from: '2026-03-20T00:00:00Z', to: '2026-03-10T00:00:00Z' })).code).toBe('invalid_arguments');
    expect(failed(await run('view_class_schedule', { from: '2026-01-01T00:00:00Z', to: '2026-03-01T00:00:00Z' })).code).toBe('invalid_arguments');
  },

  async check_class_availability(env) {
    const { read, elsewhere } = caller(env);
    const { truth } = env;
    const future = truth.rows.sessions.filter((s) => s.startsAt > NOW && s.status === 'scheduled');
    const full = pick(future, (s) => truth.booked(s.id!) >= s.capacity, 'full session ahead');
    const open = pick(future, (s) => truth.booked(s.id!) < s.capacity && truth.booked(s.id!) > 0, 'session ahead with space');
    const past = pick(truth.rows.sessions, (s) => s.startsAt < NOW && s.status === 'scheduled', 'past session');
    const cancelled = pick(truth.rows.sessions, (s) => s.status === 'cancelled', 'cancelled session');
    expect(await read('check_class_availability', { sessionId: full.id })).toEqual({ session: truth.sessionLine(full), bookable: false, reason: `session_full: all ${full.capacity} places are taken` });
    expect(await read('check_class_availability', { sessionId: open.id })).toEqual({ session: truth.sessionLine(open), bookable: true, reason: null });
    expect(await read('check_class_availability', { sessionId: past.id })).toEqual({ session: truth.sessionLine(past), bookable: false, reason: 'started: the session has already started' });
    expect(await read('check_class_availability', { sessionId: cancelled.id })).toEqual({ session: truth.sessionLine(cancelled), bookable: false, reason: 'session_cancelled: the session is cancelled' });
    for (const [args, cls, days] of [
      [{ className: 'hiit' }, truth.rows.classes.find((c) => c.name === 'HIIT')!, 7],
      [{ classId: full.classId, days: 14 }, truth.classes.get(full.classId)!, 14],
    ] as const) {
      const sessions = truth.sessionsBetween(NOW, truth.ahead(days)).filter((s) => s.classId === cls.id);
      const open = sessions.filter((s) => truth.booked(s.id!) < s.capacity);
      expect(await read('check_class_availability', args)).toEqual({ class: { id: cls.id, name: cls.name }, days, sessions: sessions.length, withSpace: open.length, items: open.slice(0, 20).map((s) => truth.sessionLine(s)) });
    }
    await elsewhere('check_class_availability', { sessionId: open.id });
  },

  async view_class_bookings(env) {
    const { read, elsewhere } = caller(env);
    const { truth } = env;
    const mixed = pick(truth.rows.sessions, (s) => new Set((truth.bookingsIn.get(s.id!) ?? []).map((b) => b.status)).size >= 3, 'session with bookings of three statuses');
    const full = pick(truth.rows.sessions, (s) => s.startsAt > NOW && truth.booked(s.id!) >= s.capacity, 'full session ahead');
    const check = async (s: DemoSession, args: Row, keep: (status: string) => boolean = () => true) => {
      const list = (truth.bookingsIn.get(s.id!) ?? []).filter((b) => keep(b.status)).sort((a, b) => a.bookedAt.getTime() - b.bookedAt.getTime() || cmp(a.id!, b.id!));
      const items = list.slice(0, (args.limit as number) ?? 100);
      const expected = {
        session: truth.sessionLine(s),
        counts: count(items, (b) => b.status),
        items: items.map((b) => ({ bookingId: b.id, contactId: b.contactId, name: fullName(truth.contact(b.contactId)), contactStatus: truth.contact(b.contactId).status, kind: b.kind, status: b.status, bookedAt: iso(b.bookedAt) })),
      };
      expect(await read('view_class_bookings', { sessionId: s.id, ...args })).toEqual(expected);
    };
    await check(mixed, {});
    await check(mixed, { status: ['no_show', 'cancelled'] }, (x) => x === 'no_show' || x === 'cancelled');
    await check(full, { limit: 5 });
    await elsewhere('view_class_bookings', { sessionId: full.id });
  },

  async query_payments(env) {
    const { read, elsewhere } = caller(env);
    const { truth } = env;
    const all = truth.rows.payments;
    const line = (p: (typeof all)[number]) => ({ ...truth.paymentLine(p), clientId: p.contactId, clientName: fullName(truth.contact(p.contactId)) });
    const orders = {
      newest: (a: (typeof all)[number], b: (typeof all)[number]) => b.paidAt.getTime() - a.paidAt.getTime() || cmp(a.id!, b.id!),
      oldest: (a: (typeof all)[number], b: (typeof all)[number]) => a.paidAt.getTime() - b.paidAt.getTime() || cmp(a.id!, b.id!),
      largest: (a: (typeof all)[number], b: (typeof all)[number]) => b.amountMicros - a.amountMicros || b.paidAt.getTime() - a.paidAt.getTime() || cmp(a.id!, b.id!),
    };
    const check = async (args: Row, keep: (p: (typeof all)[number]) => boolean = () => true) => {
      const list = all.filter(keep).sort(orders[((args.sort as string) ?? 'newest') as keyof typeof orders]);
      const p = page(list, (args.offset as number) ?? 0, (args.limit as number) ?? 20);
      expect(await read('query_payments', args), JSON.stringify(args)).toEqual({ totals: truth.paymentTotals(list), items: p.slice.map(line), nextOffset: p.nextOffset });
      return list;
    };
    // The whole ledger to the micro-dollar, and every page of it oldest first.
    await check({});
    const seen: unknown[] = [];
    for (let offset: number | null = 0; offset !== null; ) {
      const got: { items: Row[]; nextOffset: number | null } = await read('query_payments', { sort: 'oldest', limit: 100, offset });
      seen.push(...got.items.map((p) => p.id));
      offset = got.nextOffset;
    }
    expect(seen).toEqual([...all].sort(orders.oldest).map((p) => p.id));
    expect((await check({ sort: 'largest', status: ['refunded', 'partially_refunded'], limit: 100 }, (p) => p.status === 'refunded' || p.status === 'partially_refunded')).length).toBeGreaterThan(20);
    // December in New York: the first and last instants are the offsets', not UTC's.
    const from = new Date('2025-12-01T00:00:00-05:00');
    const to = new Date('2025-12-31T23:59:59.999-05:00');
    expect((await check({ from: '2025-12-01T00:00:00-05:00', to: '2025-12-31T23:59:59.999-05:00', method: 'direct_debit', limit: 50, offset: 10 }, (p) => p.paidAt >= from && p.paidAt <= to && p.method === 'direct_debit')).length).toBeGreaterThan(10);
    expect((await check({ minAmountMicros: 79_000_000, maxAmountMicros: 199_000_000, sort: 'oldest', status: ['failed'] }, (p) => p.amountMicros >= 79_000_000 && p.amountMicros <= 199_000_000 && p.status === 'failed')).length).toBeGreaterThan(5);
    const client = all[all.length - 1]!.contactId;
    await check({ clientId: client, limit: 100 }, (p) => p.contactId === client);
    await elsewhere('query_payments', { clientId: client });
    // The other gym's ledger is its own.
    const small = new GymTruth(env.small, NOW, 'other');
    expect(ok<{ totals: Row }>(await caller(env).run('query_payments', {}, { orgId: env.small.orgId })).totals).toEqual(small.paymentTotals(env.small.rows.payments));
  },

  async query_subscriptions(env) {
    const { read, run } = caller(env);
    const { truth } = env;
    const all = truth.rows.subscriptions;
    const check = async (args: Row, keep: (s: (typeof all)[number]) => boolean = () => true) => {
      const list = all.filter(keep).sort((a, b) => b.startedAt.getTime() - a.startedAt.getTime() || cmp(a.id!, b.id!));
      const p = page(list, (args.offset as number) ?? 0, (args.limit as number) ?? 20);
      expect(await read('query_subscriptions', args), JSON.stringify(args)).toEqual({
        total: list.length,
        byStatus: count(list, (s) => s.status),
        byPlan: count(list, (s) => truth.plans.get(s.planId)!.name),
        items: p.slice.map((s) => truth.subscriptionLine(s)),
        nextOffset: p.nextOffset,
      });
      return list;
    };
    await check({});
    await check({ limit: 100, offset: 200 });
    const from = new Date('2025-10-01T00:00:00Z');
    const to = new Date('2026-01-01T00:00:00Z');
    expect((await check({ status: ['cancelled'], cancelledFrom: from.toISOString(), cancelledTo: to.toISOString(), limit: 100 }, (s) => s.status === 'cancelled' && s.cancelledAt !== null && s.cancelledAt >= from && s.cancelledAt <= to)).length).toBeGreaterThan(5);
    const annual = truth.rows.plans.find((p) => p.name === 'Annual Unlimited')!;
    const quarterly = truth.rows.plans.find((p) => p.intervalCount === 3)!;
    expect((await check({ plan: 'annual UNLIMITED' }, (s) => s.planId === annual.id)).length).toBeGreaterThan(3);
    const started = new Date('2025-09-01T00:00:00+02:00');
    await check({ plan: quarterly.id, startedFrom: '2025-09-01T00:00:00+02:00', status: ['active', 'past_due', 'paused'] }, (s) => s.planId === quarterly.id && s.startedAt >= started && s.status !== 'cancelled');
    const switcher = pick(truth.rows.contacts, (c) => all.filter((s) => s.contactId === c.id).length >= 2, 'member with two subscriptions');
    await check({ clientId: switcher.id }, (s) => s.contactId === switcher.id);
    expect(failed(await run('query_subscriptions', { plan: 'Platinum' })).code).toBe('not_found');
  },

  async calculate_engagement_score(env) {
    const { run, elsewhere } = caller(env);
    const { truth } = env;
    const active = truthEngagementOf(truth.gym, NOW).sort((a, b) => cmp(a.contactId, b.contactId));
    expect(new Set(active.map((e) => e.score)).size).toBeGreaterThan(15);
    const others = ['lead', 'former', 'frozen', 'cancelled'].map((status) => pick(truth.rows.contacts, (c) => c.status === status && truth.rows.checkIns.some((x) => x.contactId === c.id), `${status} who came once`).id!);
    const foreign = env.small.rows.contacts[0]!.id!;
    for (const chunk of [active.slice(0, 45).map((e) => e.contactId), active.slice(45, 90).map((e) => e.contactId), others]) {
      // The other gym's contact is only named back as not found.
      const out = ok<{ asOf: string; items: Row[]; notFound: string[] }>(await run('calculate_engagement_score', { clientIds: [...chunk, foreign] }));
      expect(out.asOf).toBe(NOW.toISOString());
      expect(out.notFound).toEqual([foreign]);
      const expected = chunk.map((id) => {
        const e = truth.engagement(id);
        const c = truth.contact(id);
        return {
          clientId: id,
          name: fullName(c),
          status: c.status,
          score: e.score,
          band: e.score >= 70 ? 'high' : e.score >= 40 ? 'medium' : 'low',
          parts: { recency: e.recency, frequency: e.frequency, reliability: e.reliability, payments: e.payments },
          inputs: { daysSinceLastVisit: e.daysSinceLastVisit, visits30d: e.visits30d, noShows30d: e.noShows30d, failedPayments30d: e.failedPayments30d },
        };
      });
      expect([...out.items].sort((a, b) => cmp(a.clientId as string, b.clientId as string))).toEqual(expected.sort((a, b) => cmp(a.clientId, b.clientId)));
    }
    await elsewhere('calculate_engagement_score', { clientIds: [active[0]!.contactId] });
  },

  async view_lead_profile(env) {
    const { read, elsewhere } = caller(env);
    const { truth } = env;
    const leads = truth.rows.contacts.filter(isLead);
    const toured = pick(leads, (c) => (truth.bookingsOf.get(c.id!) ?? []).some((b) => b.kind === 'facility_tour'), 'lead who toured');
    const trial = pick(leads, (c) => c.status === 'trial', 'lead on trial');
    const paid = pick(leads, (c) => truth.rows.payments.some((p) => p.contactId === c.id), 'lead with a drop-in payment');
    for (const c of [toured, trial, paid]) {
      expect(await read('view_lead_profile', { leadId: c.id }), fullName(c)).toEqual(plain({ ...truth.profile(c), trialsAndTours: truth.trialsAndTours(c), pipeline: truth.pipeline() }));
    }
    await elsewhere('view_lead_profile', { leadId: toured.id });
  },

  async view_calendar_events(env) {
    const { read, run } = caller(env);
    const { truth } = env;
    const classEvent = (s: DemoSession) => {
      const { id, ...line } = truth.sessionLine(s);
      return { type: 'class', sessionId: id, ...line };
    };
    const bookingEvent = (b: (typeof truth.rows.bookings)[number]) => {
      const s = b.sessionId ? truth.sessions.get(b.sessionId)! : null;
      return {
        type: b.kind,
        bookingId: b.id,
        status: b.status,
        startsAt: iso(b.startsAt),
        ...(b.kind === 'facility_tour' ? { endsAt: new Date(b.startsAt.getTime() + 45 * MINUTE).toISOString() } : {}),
        contactId: b.contactId,
        contact: fullName(truth.contact(b.contactId)),
        staffId: b.staffId,
        staff: b.staffId ? truth.staff.get(b.staffId)!.name : null,
        sessionId: b.sessionId,
        className: s ? truth.classes.get(s.classId)!.name : null,
      };
    };
    /** In time order; at one time classes before trials and tours, each by id. */
    const check = async (args: Row, from: Date, to: Date, o: { kinds?: string[]; cancelled?: boolean; staffId?: string; limit?: number } = {}) => {
      const kinds = o.kinds ?? ['class', 'trial', 'facility_tour'];
      const live = (status: string) => o.cancelled || status !== 'cancelled';
      const sessions = kinds.includes('class') ? truth.sessionsBetween(from, to, (s) => live(s.status) && (!o.staffId || s.instructorId === o.staffId)) : [];
      const bookings = truth.rows.bookings.filter((b) => b.kind !== 'class' && kinds.includes(b.kind) && b.startsAt >= from && b.startsAt <= to && live(b.status) && (!o.staffId || b.staffId === o.staffId));
      const events = [...sessions.map((s) => ({ at: s.startsAt.getTime(), rank: 0, id: s.id!, event: classEvent(s) })), ...bookings.map((b) => ({ at: b.startsAt.getTime(), rank: 1, id: b.id!, event: bookingEvent(b) }))]
        .sort((a, b) => a.at - b.at || a.rank - b.rank || cmp(a.id, b.id))
        .slice(0, o.limit ?? 100)
        .map((e) => e.event);
      expect(await read('view_calendar_events', args), JSON.stringify(args)).toEqual({ from: from.toISOString(), to: to.toISOString(), count: events.length, events });
      return events;
    };
    expect((await check({}, NOW, truth.ahead(7))).length).toBeGreaterThan(20);
    await check({ limit: 7 }, NOW, truth.ahead(7), { limit: 7 });
    // The month before: trials and tours (with who gives them), then everything, cancelled too.
    const monthAgo = truth.ago(30);
    expect((await check({ from: monthAgo.toISOString(), to: NOW.toISOString(), kinds: ['trial', 'facility_tour'] }, monthAgo, NOW, { kinds: ['trial', 'facility_tour'] })).length).toBeGreaterThan(5);
    await check({ from: monthAgo.toISOString(), to: NOW.toISOString(), includeCancelled: true, limit: 300 }, monthAgo, NOW, { cancelled: true, limit: 300 });
    const seller = pick(truth.rows.staff, (s) => truth.rows.bookings.some((b) => b.staffId === s.id && b.startsAt >= truth.ago(31)), 'staff member giving tours');
    await check({ from: truth.ago(31).toISOString(), to: NOW.toISOString(), kinds: ['facility_tour'], staffId: seller.id }, truth.ago(31), NOW, { kinds: ['facility_tour'], staffId: seller.id! });
    const teacher = truth.rows.sessions.find((s) => s.startsAt > NOW)!.instructorId!;
    await check({ staffId: teacher, kinds: ['class', 'facility_tour'] }, NOW, truth.ahead(7), { staffId: teacher, kinds: ['class', 'facility_tour'] });
    expect(failed(await run('view_calendar_events', { from: NOW.toISOString(), to: truth.ahead(40).toISOString() })).code).toBe('invalid_arguments');
  },

  async generate_social_content(env) {
    const { read } = caller(env);
    const { truth } = env;
    const sessions = truth.sessionsBetween(NOW, truth.ahead(7)).map((s) => truth.sessionLine(s));
    const slot = (s: (typeof sessions)[number]) => `${newYorkSlot(new Date(s.startsAt!))} ${s.className}${s.instructor ? ` with ${s.instructor}` : ''}`;
    const classes = new Map<string, { name: string; sessions: number; booked: number }>();
    for (const s of sessions) {
      const c = classes.get(s.classId) ?? { name: s.className, booked: 0, sessions: 0 };
      classes.set(s.classId, { ...c, booked: c.booked + s.booked, sessions: c.sessions + 1 });
    }
    const featured = [...classes.values()].sort((a, b) => b.booked - a.booked || cmp(a.name, b.name))[0]!.name;
    const out = await read<{ gym: string; facts: Row; drafts: string[]; hashtags: string[] }>('generate_social_content', { kind: 'weekly_schedule', timeZone: 'America/New_York' });
    expect(out.gym).toBe(GYM);
    expect(out.facts).toEqual({
      timeZone: 'America/New_York',
      sessionsComing: sessions.length,
      sessionsWithSpace: sessions.filter((s) => s.spotsLeft > 0).length,
      classes: [...classes.values()],
      featuredClass: { name: featured, description: null, next: sessions.filter((s) => s.className === featured).slice(0, 5).map(slot) },
      nextSessions: sessions.slice(0, 15).map((s) => ({ when: slot(s), spotsLeft: s.spotsLeft, capacity: s.capacity, room: s.room })),
      theme: null,
      details: null,
    });
    expect(out.drafts).toEqual([
      `This week at ${GYM}:\n${sessions.slice(0, 12).map(slot).join('\n')}\nBook your spot now!`,
      `${sessions.length} classes in the next 7 days at ${GYM}. Which one are you taking? ${[...classes.values()].map((c) => c.name).join(', ')}.`,
    ]);
    expect(out.hashtags[0]).toBe('#IronwoodFitness');
    // One class in the spotlight, over two weeks, in London's time (UTC in March).
    const yoga = truth.rows.classes.find((c) => c.name === 'Yoga Flow')!;
    const spot = await read<{ facts: { featuredClass: Row } }>('generate_social_content', { kind: 'class_spotlight', className: 'yoga flow', days: 14, timeZone: 'Europe/London' });
    const london = (iso: string) => {
      const d = new Date(iso);
      return `${['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'][d.getUTCDay()]} ${iso.slice(11, 16)}`;
    };
    const yogaNext = truth.sessionsBetween(NOW, truth.ahead(14)).filter((s) => s.classId === yoga.id).slice(0, 5).map((s) => truth.sessionLine(s));
    expect(spot.facts.featuredClass).toEqual({ name: 'Yoga Flow', description: yoga.description, next: yogaNext.map((s) => `${london(s.startsAt!)} Yoga Flow with ${s.instructor}`) });
  },

  async generate_hashtags(env) {
    const { read } = caller(env);
    expect(await read('generate_hashtags', { topic: 'New early morning spin class', classNames: ['Spin'], location: 'Portland', count: 8 })).toEqual({
      platform: 'instagram',
      hashtags: ['#IronwoodFitness', '#Portland', '#PortlandFitness', '#Spin', '#spinclass', '#indoorcycling', '#cycling', '#cardio'],
      text: '#IronwoodFitness #Portland #PortlandFitness #Spin #spinclass #indoorcycling #cycling #cardio',
    });
    // The other organization's name, not this one's.
    expect(await read('generate_hashtags', { topic: 'yoga', platform: 'x' }, { orgId: env.small.orgId })).toMatchObject({ hashtags: ['#ElsewhereGym', '#yoga'] });
  },

  async predict_progress(env) {
    const { read } = caller(env);
    const { truth } = env;
    const verdict = (c: DemoContact) => {
      const goal = truth.goalsOf(c.id!).find((g) => g.status === 'active')!;
      const metric = goal.kind === 'pr' ? goal.metric! : goal.kind;
      const points = truth.rows.measurements
        .filter((m) => m.contactId === c.id && m.measuredAt >= truth.ago(365) && m.measuredAt <= NOW && (metric === 'weight' ? m.weightKg !== null : m.metric === metric && m.value !== null))
        .map((m) => ({ at: m.measuredAt, value: (metric === 'weight' ? m.weightKg : m.value)! }))
        .sort((a, b) => a.at.getTime() - b.at.getTime());
      const first = points[0];
      const latest = points.at(-1);
      const base = {
        points: points.length,
        first: first ? { at: iso(first.at), value: first.value } : null,
        latest: latest ? { at: iso(latest.at), value: latest.value } : null,
        target: goal.targetValue,
        targetDate: goal.targetDate,
      };
      const r = (v: number, places: number) => Math.round(v * 10 ** places) / 10 ** places;
      if (points.length < 3 || (latest!.at.getTime() - first!.at.getTime()) / DAY < 7) return { ...base, status: 'insufficient_data', trend: null, predictedDate: null, predictedAtTargetDate: null };
      const fit = leastSquares(points);
      const x = (t: number) => (t - fit.t0) / DAY;
      const trend = { perWeek: r(fit.slope * 7, 3), r2: r(fit.r2, 3), fittedNow: r(fit.intercept + fit.slope * x(NOW.getTime()), 2) };
      const atDate = goal.targetDate ? r(fit.intercept + fit.slope * x(Date.parse(`${goal.targetDate}T00:00:00Z`)), 2) : null;
      const direction = Math.sign(goal.targetValue - (goal.startValue ?? first!.value)) || Math.sign(goal.targetValue - latest!.value);
      const out = { ...base, trend, predictedAtTargetDate: atDate };
      if (direction === 0 || (direction > 0 ? latest!.value >= goal.targetValue : latest!.value <= goal.targetValue)) return { ...out, status: 'achieved', predictedDate: null };
      if (Math.sign(fit.slope) !== direction) return { ...out, status: 'not_on_track', predictedDate: null };
      const reach = fit.t0 + Math.max((goal.targetValue - fit.intercept) / fit.slope, x(NOW.getTime())) * DAY;
      if ((reach - NOW.getTime()) / DAY > 3 * 365) return { ...out, status: 'not_on_track', predictedDate: null };
      const date = new Date(reach).toISOString().slice(0, 10);
      return { ...out, predictedDate: date, status: goal.targetDate && date > goal.targetDate ? 'behind' : 'on_track' };
    };
    // Two members for each verdict the gym's goals come to (weight and strength goals alike).
    const tried = new Map<string, number>();
    for (const c of truth.rows.contacts.filter((x) => truth.goalsOf(x.id!).some((g) => g.status === 'active'))) {
      const expected = verdict(c);
      if ((tried.get(expected.status) ?? 0) >= 2) continue;
      tried.set(expected.status, (tried.get(expected.status) ?? 0) + 1);
      const goal = truth.goalsOf(c.id!).find((g) => g.status === 'active')!;
      const out = await read<Row>('predict_progress', { clientId: c.id });
      expect(out, `${fullName(c)}: ${goal.title}`).toMatchObject({ client: { id: c.id, name: fullName(c) }, goal: { id: goal.id, title: goal.title, targetValue: goal.targetValue }, ...expected });
    }
    // At least a trend that reaches its target, one that does not, and a goal without enough measurements.
    expect([...tried.keys()]).toEqual(expect.arrayContaining(['on_track', 'insufficient_data']));
    expect(tried.size).toBeGreaterThanOrEqual(3);
  },

  async suggest_schedule(env) {
    const { read } = caller(env);
    const { truth } = env;
    const lookback = 90;
    const since = truth.ago(lookback);
    const hours = new Map(truth.rows.contacts.filter((c) => c.status === 'active').map((c) => [c.id!, truth.visitHours(c.id!, since).length]));
    const regular = truth.contact([...hours].sort((a, b) => b[1] - a[1] || cmp(a[0], b[0]))[0]![0]);
    const visits = truth.visitHours(regular.id!, since);
    const grid = Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
    for (const v of visits) grid[newYork(v).weekday]![newYork(v).hour]! += 1;
    const attended = (truth.bookingsOf.get(regular.id!) ?? []).filter((b) => b.status === 'attended' && b.sessionId && b.startsAt >= since && b.startsAt <= NOW);
    const classCounts = count(attended, (b) => truth.classes.get(truth.sessions.get(b.sessionId!)!.classId)!.name);
    const top = Math.max(0, ...Object.values(classCounts));
    const at = (wd: number, h: number) => (h >= 0 && h < 24 ? grid[wd]![h]! : 0);
    const near = (wd: number, h: number) => at(wd, h) + 0.5 * (at(wd, h - 1) + at(wd, h + 1));
    const best = Math.max(...grid.flatMap((hours, wd) => hours.map((_, h) => near(wd, h))));
    const mine = new Set((truth.bookingsOf.get(regular.id!) ?? []).filter((b) => b.startsAt >= NOW && (b.status === 'booked' || b.status === 'attended')).map((b) => b.sessionId));
    const days = ['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'];
    const suggestions = truth
      .sessionsBetween(NOW, truth.ahead(14))
      .filter((s) => !mine.has(s.id!) && truth.booked(s.id!) < s.capacity)
      .map((s) => {
        const line = truth.sessionLine(s);
        const { weekday, hour } = newYork(s.startsAt);
        const affinity = near(weekday, hour) / best;
        const score = Math.round((0.6 * affinity + 0.4 * ((classCounts[line.className] ?? 0) / top)) * 1000) / 1000;
        const reason = [
          affinity > 0 ? `usually visits on ${days[weekday]}s around ${String(hour).padStart(2, '0')}:00` : null,
          classCounts[line.className] ? `attended ${line.className} ${classCounts[line.className]} times in ${lookback} days` : null,
        ].filter(Boolean);
        return { sessionId: line.id, className: line.className, startsAt: line.startsAt, room: line.room, instructor: line.instructor, spotsLeft: line.spotsLeft, score, reason: reason.join('; ') || 'has space at a time they have not come yet' };
      })
      .sort((a, b) => b.score - a.score || cmp(a.startsAt!, b.startsAt!));
    const topSlots = grid
      .flatMap((hours, wd) => hours.map((n, hour) => ({ weekday: ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'][wd], hour, count: n })))
      .filter((s) => s.count > 0)
      .sort((a, b) => b.count - a.count)
      .slice(0, 5);
    const out = await read<{ history: { visits: number; topSlots: Row[]; topClasses: { name: string; attended: number }[] }; suggestions: Row[] }>('suggest_schedule', { clientId: regular.id, timeZone: 'America/New_York', limit: 8 });
    expect(out.history.visits).toBe(visits.length);
    expect(out.history.visits).toBeGreaterThan(20);
    expect(out.history.topSlots).toEqual(topSlots);
    // The five classes attended most (which of equals comes first is not promised).
    expect(out.history.topClasses.map((c) => c.attended)).toEqual(Object.values(classCounts).sort((a, b) => b - a).slice(0, 5));
    for (const c of out.history.topClasses) expect(c.attended, c.name).toBe(classCounts[c.name]);
    expect(out.suggestions).toEqual(suggestions.slice(0, 8));
  },

  // ---- writes (each checks the rows it wrote and that the other gym is untouched) ----

  async export_data(env) {
    const { read } = caller(env);
    const { truth } = env;
    const contacts = await read<Row>('export_data', { entity: 'contacts' });
    expect(contacts).toMatchObject({ entity: 'contacts', rows: truth.rows.contacts.length, status: 'kept', filename: 'contacts-2026-03-15.csv' });
    const [mail] = await rowsOf(env, env.gym.orgId, outboxEmails, eq(outboxEmails.id, contacts.outboxId as string));
    const table = parseCsv(mail!.attachments[0]!.content);
    const col = (name: string) => table.header.indexOf(name);
    const inOrder = [...truth.rows.contacts].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || cmp(a.id!, b.id!));
    expect(table.records.map((r) => r.cells[col('id')])).toEqual(inOrder.map((c) => c.id));
    expect(table.records.map((r) => [r.cells[col('status')], r.cells[col('tags')], r.cells[col('leadStage')], r.cells[col('ownerStaffEmail')], r.cells[col('lastVisitAt')]])).toEqual(
      inOrder.map((c) => [c.status, c.tags.join('; '), c.leadStageId ? truth.stages.get(c.leadStageId)!.name : '', c.ownerStaffId ? truth.staff.get(c.ownerStaffId)!.email : '', iso(c.lastVisitAt) ?? '']),
    );
    // Payments: more than one page of the export, every one once, amounts adding up to the ledger.
    const payments = await read<Row>('export_data', { entity: 'payments' });
    expect(payments).toMatchObject({ rows: truth.rows.payments.length, filename: 'payments-2026-03-15.csv' });
    const [paid] = await rowsOf(env, env.gym.orgId, outboxEmails, eq(outboxEmails.id, payments.outboxId as string));
    const ledger = parseCsv(paid!.attachments[0]!.content);
    const at = (name: string) => ledger.header.indexOf(name);
    expect(ledger.records.map((r) => r.cells[at('id')])).toEqual([...truth.rows.payments].sort((a, b) => a.paidAt.getTime() - b.paidAt.getTime() || cmp(a.id!, b.id!)).map((p) => p.id));
    const kept = ledger.records.filter((r) => r.cells[at('status')] !== 'failed');
    expect(kept.reduce((a, r) => a + Number(r.cells[at('amountMicros')]) - Number(r.cells[at('refundedMicros')]), 0)).toBe(truth.paymentTotals(truth.rows.payments).net.micros);
    await expectSmallUntouched(env);
  },

  async update_client_status(env) {
    const { read, elsewhere } = caller(env);
    const { truth } = env;
    const frozen = pick(truth.rows.contacts, (c) => c.status === 'frozen', 'frozen member');
    await elsewhere('update_client_status', { clientId: frozen.id, status: 'active' });
    const out = await read<Row>('update_client_status', { clientId: frozen.id, status: 'active', reason: 'Back from travelling' });
    expect(out).toEqual({ id: frozen.id, name: fullName(frozen), previousStatus: 'frozen', status: 'active', changed: true, noteId: expect.any(String) });
    const [row] = await rowsOf(env, env.gym.orgId, fitnessContacts, eq(fitnessContacts.id, frozen.id!));
    expect(plain({ ...row, updatedAt: null })).toEqual(plain({ ...frozen, status: 'active', updatedAt: null }));
    const notes = await rowsOf(env, env.gym.orgId, fitnessNotes, eq(fitnessNotes.contactId, frozen.id!));
    expect(notes.map((n) => n.body).sort()).toEqual([...truth.rows.notes.filter((n) => n.contactId === frozen.id).map((n) => n.body), 'Status changed from frozen to active by an agent: Back from travelling'].sort());
    expect(await read('update_client_status', { clientId: frozen.id, status: 'active' })).toMatchObject({ previousStatus: 'active', changed: false, noteId: null });
    // The profile reads the change.
    const after = { ...frozen, status: 'active' as const };
    const profile = await read<Row>('view_client_profile', { clientId: frozen.id });
    expect(profile).toMatchObject({ status: 'active', kind: 'member', recentNotes: [{ body: 'Status changed from frozen to active by an agent: Back from travelling' }, ...plain(truth.profile(after).recentNotes.slice(0, 2))] });
    frozen.status = 'active';
    await expectSmallUntouched(env);
  },

  async update_lead_status(env) {
    const { read, elsewhere } = caller(env);
    const { truth } = env;
    const contacted = [...truth.stages.values()].find((s) => s.name === 'Contacted')!;
    const toured = [...truth.stages.values()].find((s) => s.name === 'Toured')!;
    const lead = pick(truth.rows.contacts, (c) => c.status === 'lead' && c.leadStageId === contacted.id, 'contacted lead');
    await elsewhere('update_lead_status', { leadId: lead.id, stage: 'Toured' });
    const out = await read<Row>('update_lead_status', { leadId: lead.id, stage: 'TOURED', status: 'trial', note: 'Came in on Saturday' });
    expect(out).toEqual({ id: lead.id, name: fullName(lead), status: 'trial', stage: 'Toured', changed: true, noteId: expect.any(String) });
    const [row] = await rowsOf(env, env.gym.orgId, fitnessContacts, eq(fitnessContacts.id, lead.id!));
    expect(plain({ ...row, updatedAt: null })).toEqual(plain({ ...lead, status: 'trial', leadStageId: toured.id, updatedAt: null }));
    lead.status = 'trial';
    lead.leadStageId = toured.id!;
    const profile = await read<Row & { recentNotes: Row[] }>('view_lead_profile', { leadId: lead.id });
    expect(profile).toMatchObject({ status: 'trial', leadStage: { id: toured.id, name: 'Toured' } });
    expect(profile.recentNotes[0]).toMatchObject({ body: 'Moved to stage "Toured" and status trial by an agent. Came in on Saturday' });
    expect(await read('update_lead_status', { leadId: lead.id, stage: toured.id })).toMatchObject({ changed: false, noteId: null, stage: 'Toured' });
    await expectSmallUntouched(env);
  },

  async update_client_tags(env) {
    const { read, elsewhere } = caller(env);
    const { truth } = env;
    const tagged = pick(truth.rows.contacts, (c) => c.tags.length === 2 && !c.tags.includes('vip'), 'member with two tags');
    const [keep, drop] = tagged.tags as [string, string];
    await elsewhere('update_client_tags', { clientId: tagged.id, add: ['x'] });
    const out = await read('update_client_tags', { clientId: tagged.id, add: ['VIP', keep, 'comeback'], remove: [drop, 'never-had'] });
    const tags = [keep, 'vip', 'comeback'].sort();
    expect(out).toEqual({ id: tagged.id, name: fullName(tagged), tags, added: ['comeback', 'vip'], removed: [drop] });
    const [row] = await rowsOf(env, env.gym.orgId, fitnessContacts, eq(fitnessContacts.id, tagged.id!));
    expect(plain({ ...row, updatedAt: null })).toEqual(plain({ ...tagged, tags, updatedAt: null }));
    tagged.tags = tags;
    // A search by the new tag finds them among the gym's VIPs.
    expect((await read<List>('search_clients', { tag: 'vip', limit: 100 })).items.map((c) => c.id)).toEqual(truth.searchContacts({ statuses: MEMBER_STATUSES, tag: 'vip' }).map((c) => c.id));
    await expectSmallUntouched(env);
  },

  async send_sms(env) {
    const { run, elsewhere } = caller(env);
    const { truth } = env;
    const c = truth.rows.contacts;
    // Several of each: consent to SMS with a phone, no consent, opted out, consent without a phone; as service and as marketing.
    const sample = [
      ...c.filter((x) => x.smsConsent && !x.optedOut && x.phone).slice(0, 4),
      ...c.filter((x) => !x.smsConsent && !x.optedOut && x.phone).slice(0, 3),
      ...c.filter((x) => x.optedOut && x.smsConsent).slice(0, 2),
      ...c.filter((x) => x.smsConsent && !x.optedOut && !x.phone).slice(0, 2),
    ];
    expect(new Set(sample).size).toBeGreaterThanOrEqual(10);
    await elsewhere('send_sms', { contactId: sample[0]!.id, body: 'Hi' });
    for (const [i, contact] of sample.entries()) {
      const purpose = i % 2 ? 'marketing' : 'service';
      const runId = randomUUID();
      const res = await run('send_sms', { contactId: contact.id, body: 'Hi {{first_name}}, {{gym_name}} opens at 6 tomorrow.', purpose }, { runId });
      const reach = reachOf(contact, 'sms', purpose);
      const logged = await rowsOf(env, env.gym.orgId, fitnessCommunications, eq(fitnessCommunications.runId, runId));
      if (!reach.ok) {
        expect(failed(res), `${fullName(contact)} (${purpose})`).toMatchObject({ code: 'refused', message: expect.stringContaining(fullName(contact)) });
        expect(logged).toEqual([]);
        continue;
      }
      const body = `Hi ${contact.firstName}, ${GYM} opens at 6 tomorrow.`;
      const out = ok<Row>(res);
      expect(out, fullName(contact)).toEqual({ communicationId: expect.any(String), channel: 'sms', status: 'queued', to: contact.phone, subject: null, body, outboxId: expect.any(String) });
      expect(logged).toMatchObject([{ id: out.communicationId, contactId: contact.id, channel: 'sms', direction: 'outbound', status: 'queued', subject: null, body }]);
      const sms = await rowsOf(env, env.gym.orgId, fitnessSmsOutbox, eq(fitnessSmsOutbox.runId, runId));
      expect(sms).toMatchObject([{ id: out.outboxId, contactId: contact.id, communicationId: out.communicationId, to: reach.address, from: null, body, status: 'kept' }]);
    }
    await expectSmallUntouched(env);
  },

  async send_message_to_client(env) {
    const { run } = caller(env);
    const { truth } = env;
    const members = truth.rows.contacts.filter((x) => !isLead(x));
    const sample = [
      ...members.filter((x) => x.emailConsent && x.email && !x.optedOut).slice(0, 3),
      ...members.filter((x) => !x.emailConsent && x.smsConsent && x.phone && !x.optedOut).slice(0, 3),
      ...members.filter((x) => !x.emailConsent && !x.smsConsent && !x.optedOut).slice(0, 2),
      ...members.filter((x) => x.optedOut).slice(0, 1),
    ];
    for (const [i, contact] of sample.entries()) {
      const purpose = i % 3 === 2 ? 'marketing' : 'service';
      const runId = randomUUID();
      const res = await run('send_message_to_client', { clientId: contact.id, subject: 'For {{full_name}}', body: 'Your {{gym_name}} membership: see you soon, {{first_name}}!', purpose }, { runId });
      const reach = reachOf(contact, 'auto', purpose);
      if (!reach.ok) {
        expect(failed(res)).toMatchObject({ code: 'refused' });
        expect(await rowsOf(env, env.gym.orgId, fitnessCommunications, eq(fitnessCommunications.runId, runId))).toEqual([]);
        continue;
      }
      const body = `Your ${GYM} membership: see you soon, ${contact.firstName}!`;
      const subject = reach.channel === 'email' ? `For ${fullName(contact)}` : null;
      const out = ok<Row>(res);
      expect(out, fullName(contact)).toEqual({ communicationId: expect.any(String), channel: reach.channel, status: 'queued', to: reach.channel === 'email' ? contact.email : contact.phone, subject, body, outboxId: expect.any(String) });
      expect(await rowsOf(env, env.gym.orgId, fitnessCommunications, eq(fitnessCommunications.runId, runId))).toMatchObject([{ contactId: contact.id, channel: reach.channel, subject, body, status: 'queued' }]);
      if (reach.channel === 'email') expect(await rowsOf(env, env.gym.orgId, outboxEmails, eq(outboxEmails.runId, runId))).toMatchObject([{ to: [contact.email], subject, text: body, status: 'kept' }]);
      else expect(await rowsOf(env, env.gym.orgId, fitnessSmsOutbox, eq(fitnessSmsOutbox.runId, runId))).toMatchObject([{ to: reach.address, body, status: 'kept' }]);
    }
    const lead = pick(truth.rows.contacts, (x) => x.status === 'lead', 'lead');
    expect(failed(await run('send_message_to_client', { clientId: lead.id, body: 'Hi' }))).toMatchObject({ code: 'invalid_arguments', message: expect.stringContaining('use send_message_to_lead') });
    await expectSmallUntouched(env);
  },

  async send_message_to_lead(env) {
    const { run, elsewhere } = caller(env);
    const { truth } = env;
    const leads = truth.rows.contacts.filter(isLead);
    const sample = [...leads.filter((x) => x.emailConsent && x.email && !x.optedOut).slice(0, 2), ...leads.filter((x) => !x.emailConsent && x.smsConsent && !x.optedOut).slice(0, 2), ...leads.filter((x) => x.status === 'trial').slice(0, 2)];
    await elsewhere('send_message_to_lead', { leadId: sample[0]!.id, body: 'Hi' });
    for (const contact of sample) {
      const runId = randomUUID();
      const res = await run('send_message_to_lead', { leadId: contact.id, body: 'Your free trial at {{gym_name}} is waiting, {{first_name}}.', channel: 'auto' }, { runId });
      const reach = reachOf(contact, 'auto', 'service');
      if (!reach.ok) {
        expect(failed(res).code).toBe('refused');
        continue;
      }
      expect(ok(res), fullName(contact)).toMatchObject({ channel: reach.channel, body: `Your free trial at ${GYM} is waiting, ${contact.firstName}.` });
      expect(await rowsOf(env, env.gym.orgId, fitnessCommunications, eq(fitnessCommunications.runId, runId))).toMatchObject([{ contactId: contact.id, channel: reach.channel }]);
    }
    const member = pick(truth.rows.contacts, (x) => x.status === 'active', 'member');
    expect(failed(await run('send_message_to_lead', { leadId: member.id, body: 'Hi' }))).toMatchObject({ code: 'invalid_arguments', message: expect.stringContaining('use send_message_to_client') });
    await expectSmallUntouched(env);
  },

  async send_retention_message(env) {
    const { run } = caller(env);
    const { truth } = env;
    const members = truth.rows.contacts.filter((x) => x.status === 'active');
    const yesterday = truth.ago(1);
    // Never came, came yesterday, away a while; and someone who did not agree to marketing.
    const sample = [
      pick(members, (x) => x.lastVisitAt === null && reachOf(x, 'auto', 'marketing').ok, 'active member who never came'),
      pick(members, (x) => x.lastVisitAt !== null && x.lastVisitAt > truth.ago(2) && x.lastVisitAt < yesterday && reachOf(x, 'auto', 'marketing').ok, 'member who came the day before yesterday'),
      pick(members, (x) => x.lastVisitAt !== null && x.lastVisitAt < truth.ago(20) && reachOf(x, 'email', 'marketing').ok, 'member away for weeks'),
      pick(members, (x) => x.lastVisitAt !== null && x.lastVisitAt < truth.ago(5) && reachOf(x, 'sms', 'marketing').ok, 'member away, reachable by SMS'),
      pick(members, (x) => !x.marketingConsent && !x.optedOut, 'member without marketing consent'),
    ];
    for (const [i, contact] of sample.entries()) {
      const channel = i === 3 ? 'sms' : 'auto';
      const res = await run('send_retention_message', { clientId: contact.id, template: 'we_miss_you', channel });
      const reach = reachOf(contact, channel, 'marketing');
      if (!reach.ok) {
        expect(failed(res)).toMatchObject({ code: 'refused', message: expect.stringContaining('has not agreed to marketing messages') });
        continue;
      }
      const away = timeAway(contact, NOW);
      expect(ok(res), fullName(contact)).toMatchObject({
        template: 'we_miss_you',
        channel: reach.channel,
        subject: reach.channel === 'email' ? `We miss you, ${contact.firstName}!` : null,
        body: expect.stringContaining(reach.channel === 'email' ? `We haven't seen you at ${GYM} ${away}, and we miss having you around.` : `Hi ${contact.firstName}, we haven't seen you at ${GYM} ${away} and we miss you!`),
      });
    }
    expect(sample.map((x) => timeAway(x, NOW))).toEqual(['in a while', 'since yesterday', expect.stringMatching(/^in \d+ days$/), expect.stringMatching(/^in \d+ days$/), expect.any(String)]);
    await expectSmallUntouched(env);
  },

  async send_report_email(env) {
    const { read } = caller(env);
    const mrr = truthOf(env.gym, 'calculate_mrr', { asOf: NOW.toISOString() }) as { mrr: { micros: number }; history: { at: string; activeSubscriptions: number; mrr: { micros: number } }[] };
    const rows = mrr.history.map((h) => [h.at.slice(0, 7), h.activeSubscriptions, h.mrr.micros / 1_000_000]);
    const out = await read<Row>('send_report_email', { to: ['owner@ironwood.example'], subject: 'MRR, last 12 months', summary: `MRR today: ${money(mrr.mrr.micros).usd}`, columns: ['Month', 'Active subscriptions', 'MRR (USD)'], rows });
    expect(out).toMatchObject({ status: 'queued', rows: rows.length, attachment: 'MRR-last-12-months.csv' });
    const [mail] = await rowsOf(env, env.gym.orgId, outboxEmails, eq(outboxEmails.id, out.outboxId as string));
    const csv = ['Month,Active subscriptions,MRR (USD)', ...rows.map((r) => r.join(','))].join('\r\n') + '\r\n';
    expect(mail).toMatchObject({ to: ['owner@ironwood.example'], subject: 'MRR, last 12 months', status: 'kept', attachments: [{ filename: 'MRR-last-12-months.csv', contentType: 'text/csv', content: csv }] });
    expect(mail!.html).toContain(`<p>MRR today: ${money(mrr.mrr.micros).usd}</p>`);
    await expectSmallUntouched(env);
  },

  async preview_bulk_message(env) {
    const { read } = caller(env);
    const { truth } = env;
    const audience = (list: DemoContact[], channel: 'auto' | 'email' | 'sms', purpose: 'service' | 'marketing') => {
      const sorted = [...list].sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || cmp(a.id!, b.id!));
      const eligible = sorted.flatMap((c) => {
        const r = reachOf(c, channel, purpose);
        return r.ok ? [{ contact: c, channel: r.channel }] : [];
      });
      const excluded = count(
        sorted.flatMap((c) => {
          const r = reachOf(c, channel, purpose);
          return r.ok ? [] : [r.reasons.join('+')];
        }),
        (x) => x,
      );
      return { eligible, excluded, matched: sorted.length };
    };
    const check = async (args: Row, list: DemoContact[], channel: 'auto' | 'email' | 'sms', purpose: 'service' | 'marketing') => {
      const a = audience(list, channel, purpose);
      const out = await read<Row & { example: Row | null }>('preview_bulk_message', args);
      expect(out, JSON.stringify(args)).toMatchObject({
        matched: a.matched,
        expectedRecipients: a.eligible.length,
        byChannel: { email: a.eligible.filter((e) => e.channel === 'email').length, sms: a.eligible.filter((e) => e.channel === 'sms').length },
        excluded: a.excluded,
        overLimit: null,
        sample: a.eligible.slice(0, 10).map((e) => ({ id: e.contact.id, name: fullName(e.contact), channel: e.channel })),
      });
      return { a, out };
    };
    const away = truth.searchContacts({ statuses: ['active'], notVisitedForDays: 14 });
    const { a, out } = await check({ segment: { status: ['active'], notVisitedForDays: 14 }, template: 'we_miss_you' }, away, 'auto', 'marketing');
    expect(a.eligible.length).toBeGreaterThan(5);
    expect(Object.keys(a.excluded).length).toBeGreaterThanOrEqual(3);
    const first = a.eligible[0]!;
    expect(out.example).toMatchObject({ to: fullName(first.contact), channel: first.channel, body: expect.stringContaining(`${GYM} ${timeAway(first.contact, NOW)}`) });
    await check({ segment: { tags: ['VIP', 'morning'], status: ['active', 'frozen'] }, channel: 'sms', purpose: 'service' }, truth.searchContacts({ statuses: ['active', 'frozen'], tag: 'vip' }).filter((c) => c.tags.includes('morning')), 'sms', 'service');
    const negotiating = [...truth.stages.values()].find((s) => s.name === 'Negotiating')!.id!;
    await check({ segment: { leadStage: 'negotiating', status: ['lead', 'trial'] }, purpose: 'service', channel: 'email' }, truth.searchContacts({ statuses: ['lead', 'trial'], leadStageId: negotiating }), 'email', 'service');
    const recent = truth.searchContacts({ statuses: ['active'], visitedWithinDays: 3 });
    await check({ segment: { visitedWithinDays: 3, source: 'referral' } }, recent.filter((c) => c.source === 'referral'), 'auto', 'marketing');
  },

  async send_bulk_message(env) {
    const { run, read } = caller(env);
    const { truth } = env;
    const segment = { status: ['frozen', 'cancelled'], notVisitedForDays: 7 };
    const list = truth.searchContacts({ statuses: ['frozen', 'cancelled'], notVisitedForDays: 7 }).sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime() || cmp(a.id!, b.id!));
    const reached = list.flatMap((c) => {
      const r = reachOf(c, 'auto', 'service');
      return r.ok ? [{ c, r }] : [];
    });
    expect(reached.length).toBeGreaterThan(3);
    expect(reached.length).toBeLessThan(list.length);
    const args = { segment, purpose: 'service', subject: 'News from {{gym_name}}', body: 'Hi {{first_name}}, your {{gym_name}} account has news.' };
    // A segment larger than the number approved is refused, and nothing is written.
    const tooFew = randomUUID();
    expect(failed(await run('send_bulk_message', { ...args, expectedRecipients: reached.length - 1 }, { runId: tooFew })).code).toBe('conflict');
    expect(await rowsOf(env, env.gym.orgId, fitnessCampaigns, eq(fitnessCampaigns.runId, tooFew))).toEqual([]);
    const runId = randomUUID();
    const out = await read<Row>('send_bulk_message', { ...args, expectedRecipients: reached.length }, { runId });
    const excluded = count(
      list.flatMap((c) => {
        const r = reachOf(c, 'auto', 'service');
        return r.ok ? [] : [r.reasons.join('+')];
      }),
      (x) => x,
    );
    expect(out).toEqual({ campaignId: expect.any(String), name: `News from {{gym_name}}`, segment: 'status frozen/cancelled; no visit for 7+ days', recipients: reached.length, sent: 0, queued: reached.length, failed: 0, excluded, failures: [] });
    const [campaign] = await rowsOf(env, env.gym.orgId, fitnessCampaigns, eq(fitnessCampaigns.runId, runId));
    expect(campaign).toMatchObject({ id: out.campaignId, kind: 'bulk', recipients: reached.length, excluded, status: 'done' });
    const recipients = await rowsOf(env, env.gym.orgId, fitnessCampaignRecipients, eq(fitnessCampaignRecipients.campaignId, campaign!.id));
    expect(recipients.map((r) => [r.contactId, r.channel, r.status]).sort()).toEqual(reached.map(({ c, r }) => [c.id, r.channel, 'queued']).sort());
    const logged = await rowsOf(env, env.gym.orgId, fitnessCommunications, eq(fitnessCommunications.runId, runId));
    expect(logged.map((l) => [l.contactId, l.channel, l.body, l.subject]).sort()).toEqual(
      reached.map(({ c, r }) => [c.id, r.channel, `Hi ${c.firstName}, your ${GYM} account has news.`, r.channel === 'email' ? `News from ${GYM}` : null]).sort(),
    );
    await expectSmallUntouched(env);
  },

  async create_retention_campaign(env) {
    const { read } = caller(env);
    const { truth } = env;
    const away = truth.searchContacts({ statuses: ['active'], notVisitedForDays: 14 });
    const reached = away.flatMap((c) => {
      const r = reachOf(c, 'auto', 'marketing');
      return r.ok ? [{ c, r }] : [];
    });
    expect(reached.length).toBeGreaterThan(5);
    const runId = randomUUID();
    const out = await read<Row>('create_retention_campaign', { name: 'March check-in', template: 'check_in', expectedRecipients: reached.length }, { runId });
    expect(out).toMatchObject({ template: 'check_in', recipients: reached.length, queued: reached.length, sent: 0, failed: 0, segment: 'status active; no visit for 14+ days' });
    const logged = await rowsOf(env, env.gym.orgId, fitnessCommunications, eq(fitnessCommunications.runId, runId));
    const expected = reached.map(({ c, r }) =>
      r.channel === 'email'
        ? [c.id, 'email', `How is your training going, ${c.firstName}?`, `Hi ${c.firstName},\n\nJust checking in: how is your training going?`]
        : [c.id, 'sms', null, `Hi ${c.firstName}, how is your training going? Reply if you would like a new plan or a session with a coach. ${GYM}`],
    );
    expect(logged.map((l) => [l.contactId, l.channel, l.subject, l.channel === 'email' ? l.body.split(' If you would')[0] : l.body]).sort()).toEqual(expected.sort());

    // Every message the tools sent in this gym so far: to someone who agreed to that channel and had not opted out, and each SMS in the outbox once.
    const all = await rowsOf(env, env.gym.orgId, fitnessCommunications);
    expect(all.length).toBeGreaterThan(30);
    for (const m of all) {
      const c = truth.contact(m.contactId);
      expect(c.optedOut || (m.channel === 'email' ? !c.emailConsent || !c.email : !c.smsConsent || !c.phone), `${m.channel} to ${fullName(c)}`).toBe(false);
    }
    const sms = await rowsOf(env, env.gym.orgId, fitnessSmsOutbox);
    expect(sms.map((x) => x.communicationId).sort()).toEqual(all.filter((m) => m.channel === 'sms').map((m) => m.id).sort());
    await expectSmallUntouched(env);
  },

  async schedule_task(env) {
    const { read, run } = caller(env);
    const { truth } = env;
    const member = pick(truth.rows.contacts, (c) => c.status === 'active' && c.email !== null && c.phone !== null, 'member with email and phone');
    const runId = randomUUID();
    const out = await read<Row>('schedule_task', { instructions: 'Ask how the new plan is going', runAt: '2026-03-16T09:00:00-04:00', contactId: member.id, agentId: env.agentId }, { runId });
    expect(out).toEqual({ taskId: expect.any(String), agentId: env.agentId, runAt: '2026-03-16T13:00:00.000Z' });
    const [task] = await rowsOf(env, env.gym.orgId, tasks, eq(tasks.id, out.taskId as string));
    expect(task).toMatchObject({ agentId: env.agentId, instructions: 'Ask how the new plan is going', createdByRunId: runId, context: { contact: { id: member.id, name: fullName(member), email: member.email, phone: member.phone } } });
    const [schedule] = await rowsOf(env, env.gym.orgId, schedules, eq(schedules.taskId, task!.id));
    expect(schedule).toMatchObject({ onceAt: new Date('2026-03-16T13:00:00Z'), nextFireAt: new Date('2026-03-16T13:00:00Z') });
    expect(failed(await run('schedule_task', { instructions: 'x', inMinutes: 5, contactId: env.small.rows.contacts[0]!.id, agentId: env.agentId })).code).toBe('not_found');
    expect(failed(await run('schedule_task', { instructions: 'x', inMinutes: 5, agentId: env.agentId }, { orgId: env.small.orgId })).code).toBe('not_found');
    expect(failed(await run('schedule_task', { instructions: 'x', runAt: '2026-03-15T09:00:00Z', agentId: env.agentId })).code).toBe('invalid_arguments');
    await expectSmallUntouched(env);
  },

  async create_lead_task(env) {
    const { read, run, elsewhere } = caller(env);
    const { truth } = env;
    const lead = pick(truth.rows.contacts, (c) => isLead(c) && c.ownerStaffId !== null && c.phone !== null && c.email !== null, 'lead with an owner, phone and email');
    const owner = truth.staff.get(lead.ownerStaffId!)!;
    const name = fullName(lead);
    await elsewhere('create_lead_task', { leadId: lead.id, title: 'x' });
    const runId = randomUUID();
    const dueAt = '2026-03-17T10:00:00-04:00';
    const due = '2026-03-17T14:00:00.000Z';
    const out = await read<Row>('create_lead_task', { leadId: lead.id, title: 'Call back about the family plan', details: 'Prefers evenings', dueAt }, { runId });
    expect(out).toEqual({ noteId: expect.any(String), notificationId: expect.any(String), followUpId: expect.any(String), assignedTo: owner.name });
    const [note] = await rowsOf(env, env.gym.orgId, fitnessNotes, eq(fitnessNotes.id, out.noteId as string));
    expect(note).toMatchObject({ contactId: lead.id, body: `Task for ${owner.name}: Call back about the family plan (due ${due})\nPrefers evenings` });
    const [notification] = await rowsOf(env, env.gym.orgId, notifications, eq(notifications.id, out.notificationId as string));
    expect(notification).toMatchObject({ title: 'Lead task: Call back about the family plan', level: 'info', userId: null, runId, body: `${name}, ${lead.phone}, ${lead.email} (due ${due})\nPrefers evenings` });
    const [followUp] = await rowsOf(env, env.gym.orgId, followUps, eq(followUps.id, out.followUpId as string));
    expect(followUp).toMatchObject({ dueAt: new Date(due), note: `Call back about the family plan (lead ${name}), for ${owner.name}`, contact: { id: lead.id, name, email: lead.email, phone: lead.phone } });
    const trainer = pick(truth.rows.staff, (s) => s.role === 'trainer', 'trainer');
    expect(await read('create_lead_task', { leadId: lead.id, title: 'Show the weights floor', assignToStaffId: trainer.id, priority: 'urgent' })).toMatchObject({ assignedTo: trainer.name, followUpId: null });
    expect(failed(await run('create_lead_task', { leadId: lead.id, title: 'x', assignToStaffId: env.small.rows.staff[0]!.id })).code).toBe('not_found');
    await expectSmallUntouched(env);
  },

  async schedule_social_post(env) {
    const { read, run } = caller(env);
    const runId = randomUUID();
    const content = `Spin this week at ${GYM}: grab a bike!`;
    const out = await read<Row>('schedule_social_post', { platform: 'instagram', content, hashtags: ['Spin', '#IndoorCycling', 'Spin'], scheduledFor: '2026-03-16T08:00:00-04:00' }, { runId });
    expect(out).toEqual({ postId: expect.any(String), platform: 'instagram', scheduledFor: '2026-03-16T12:00:00.000Z', status: 'scheduled', characters: content.length + 1 + '#Spin #IndoorCycling'.length });
    expect(await rowsOf(env, env.gym.orgId, fitnessSocialPosts, eq(fitnessSocialPosts.runId, runId))).toMatchObject([{ id: out.postId, content, hashtags: ['#Spin', '#IndoorCycling'], scheduledFor: new Date('2026-03-16T12:00:00Z'), status: 'scheduled' }]);
    expect(failed(await run('schedule_social_post', { platform: 'x', content: 'Yesterday', scheduledFor: '2026-03-15T09:00:00Z' })).code).toBe('invalid_arguments');
    await expectSmallUntouched(env);
  },

  async book_trial_class(env) {
    const { read, run, elsewhere } = caller(env);
    const { truth } = env;
    const future = truth.rows.sessions.filter((s) => s.startsAt > NOW && s.status === 'scheduled');
    const heldBy = (s: DemoSession) => new Set((truth.bookingsIn.get(s.id!) ?? []).filter((b) => b.status === 'booked' || b.status === 'attended').map((b) => b.contactId));
    const overlaps = (a: DemoSession, b: DemoSession) => a.id !== b.id && a.startsAt < b.endsAt && b.startsAt < a.endsAt;
    const freeAt = (c: DemoContact, s: DemoSession) => !(truth.bookingsOf.get(c.id!) ?? []).some((b) => b.status === 'booked' && b.sessionId && overlaps(truth.sessions.get(b.sessionId)!, s));
    const leads = truth.rows.contacts.filter((c) => c.status === 'lead');
    const full = pick(future, (s) => truth.booked(s.id!) >= s.capacity, 'full session ahead');
    const open = pick(future, (s) => truth.booked(s.id!) < s.capacity - 1 && truth.booked(s.id!) > 0, 'session ahead with two places');
    const lead = pick(leads, (c) => freeAt(c, open) && !heldBy(open).has(c.id!), 'lead free at that time');
    const count = async () => (await rowsOf(env, env.gym.orgId, fitnessBookings)).length;
    const before = await count();

    // Full: refused by the session's capacity from the generated bookings.
    expect(failed(await run('book_trial_class', { contactId: lead.id, sessionId: full.id }))).toMatchObject({ code: 'conflict', message: expect.stringMatching(/^session_full: /) });
    // A member already booked into a class then: refused, a person cannot be in two places.
    const [busy, clash] = (() => {
      for (const s of future) {
        for (const contactId of heldBy(s)) {
          const other = future.find((x) => overlaps(x, s) && truth.booked(x.id!) < x.capacity && !heldBy(x).has(contactId));
          if (other && (truth.bookingsOf.get(contactId) ?? []).some((b) => b.sessionId === s.id && b.status === 'booked')) return [truth.contact(contactId), other] as const;
        }
      }
      throw new Error('the demo gym has no member booked at the time of another session with space');
    })();
    expect(failed(await run('book_trial_class', { contactId: busy.id, sessionId: clash.id })), `${fullName(busy)} into ${clash.id}`).toMatchObject({ code: 'conflict', message: expect.stringContaining(`${fullName(busy)} already has`) });
    // Started: refused.
    const past = pick(truth.rows.sessions, (s) => s.startsAt < NOW && s.status === 'scheduled' && truth.booked(s.id!) < s.capacity, 'past session with space');
    expect(failed(await run('book_trial_class', { contactId: lead.id, sessionId: past.id }))).toMatchObject({ code: 'conflict', message: expect.stringMatching(/already started/) });
    expect(await count()).toBe(before);
    await elsewhere('book_trial_class', { contactId: lead.id, sessionId: open.id });

    const out = await read<Row>('book_trial_class', { contactId: lead.id, sessionId: open.id });
    const cls = truth.classes.get(open.classId)!;
    expect(out).toEqual({
      bookingId: expect.any(String),
      alreadyBooked: false,
      contact: { id: lead.id, name: fullName(lead), status: 'trial' },
      session: { id: open.id, className: cls.name, startsAt: iso(open.startsAt), endsAt: iso(open.endsAt), room: open.room, spotsLeft: open.capacity - truth.booked(open.id!) - 1 },
    });
    const [row] = await rowsOf(env, env.gym.orgId, fitnessBookings, eq(fitnessBookings.id, out.bookingId as string));
    expect(row).toMatchObject({ contactId: lead.id, sessionId: open.id, kind: 'trial', status: 'booked', startsAt: open.startsAt });
    const [contact] = await rowsOf(env, env.gym.orgId, fitnessContacts, eq(fitnessContacts.id, lead.id!));
    expect(contact!.status).toBe('trial');
    truth.addBooking(row!);
    lead.status = 'trial';
    expect(await read('check_class_availability', { sessionId: open.id })).toMatchObject({ session: truth.sessionLine(open) });
    expect(await read('book_trial_class', { contactId: lead.id, sessionId: open.id })).toMatchObject({ bookingId: out.bookingId, alreadyBooked: true });
    expect(await count()).toBe(before + 1);
    await expectSmallUntouched(env);
  },

  async schedule_facility_tour(env) {
    const { read, run, elsewhere } = caller(env);
    const { truth } = env;
    const future = truth.rows.sessions.filter((s) => s.startsAt > NOW && s.status === 'scheduled');
    const booking = pick(truth.rows.bookings, (b) => b.startsAt > NOW && b.status === 'booked' && b.sessionId !== null, 'class booked ahead');
    const member = truth.contact(booking.contactId);
    const session = truth.sessions.get(booking.sessionId!)!;
    const cls = truth.classes.get(session.classId)!;
    const when = (d: Date) => d.toISOString().replace(':00.000Z', 'Z');
    // The member is in a class then; a trainer teaches one.
    expect(failed(await run('schedule_facility_tour', { contactId: member.id, startsAt: new Date(session.startsAt.getTime() + 15 * MINUTE).toISOString() }))).toMatchObject({
      code: 'conflict',
      message: `${fullName(member)} already has a ${cls.name} booked at ${when(session.startsAt)}; choose another time`,
    });
    // A session whose trainer teaches nothing else in the 45 minutes from half an hour before it.
    const tourAt = (s: DemoSession) => s.startsAt.getTime() - 30 * MINUTE;
    const taught = pick(future, (s) => future.filter((x) => x.instructorId === s.instructorId && x.startsAt.getTime() < tourAt(s) + 45 * MINUTE && x.endsAt.getTime() > tourAt(s)).length === 1, 'session whose trainer has no other class around it');
    const teacher = truth.staff.get(taught.instructorId!)!;
    const lead = pick(truth.rows.contacts, (c) => c.status === 'lead' && !(truth.bookingsOf.get(c.id!) ?? []).some((b) => b.startsAt > NOW), 'lead with nothing booked');
    expect(failed(await run('schedule_facility_tour', { contactId: lead.id, startsAt: new Date(taught.startsAt.getTime() - 30 * MINUTE).toISOString(), staffId: teacher.id }))).toMatchObject({
      code: 'conflict',
      message: `${teacher.name} teaches ${truth.classes.get(taught.classId)!.name} at ${when(taught.startsAt)}; choose another time or staff member`,
    });
    await elsewhere('schedule_facility_tour', { contactId: lead.id, startsAt: '2026-03-17T15:00:00Z' });

    const seller = pick(truth.rows.staff, (s) => s.role === 'sales', 'sales staff');
    const startsAt = '2026-03-17T11:00:00-04:00';
    const out = await read<Row>('schedule_facility_tour', { contactId: lead.id, startsAt, staffId: seller.id });
    expect(out).toEqual({ bookingId: expect.any(String), alreadyBooked: false, contact: { id: lead.id, name: fullName(lead) }, startsAt: '2026-03-17T15:00:00.000Z', endsAt: '2026-03-17T15:45:00.000Z', staff: seller.name });
    const [row] = await rowsOf(env, env.gym.orgId, fitnessBookings, eq(fitnessBookings.id, out.bookingId as string));
    expect(row).toMatchObject({ contactId: lead.id, kind: 'facility_tour', status: 'booked', startsAt: new Date('2026-03-17T15:00:00Z'), staffId: seller.id, sessionId: null });
    truth.addBooking(row!);
    expect(await read('schedule_facility_tour', { contactId: lead.id, startsAt, staffId: seller.id })).toMatchObject({ bookingId: out.bookingId, alreadyBooked: true });
    const another = pick(truth.rows.contacts, (c) => c.status === 'lead' && c.id !== lead.id && !(truth.bookingsOf.get(c.id!) ?? []).some((b) => b.startsAt > NOW), 'another free lead');
    expect(failed(await run('schedule_facility_tour', { contactId: another.id, startsAt: '2026-03-17T15:20:00Z', staffId: seller.id })).message).toContain(`${seller.name} already gives a facility tour`);
    expect(failed(await run('schedule_facility_tour', { contactId: another.id, startsAt: '2026-03-15T09:00:00Z' })).code).toBe('invalid_arguments');
    // The calendar shows the tour with who gives it.
    const cal = await read<{ events: Row[] }>('view_calendar_events', { from: '2026-03-17T00:00:00Z', to: '2026-03-18T00:00:00Z', kinds: ['facility_tour'] });
    expect(cal.events).toEqual([expect.objectContaining({ type: 'facility_tour', bookingId: out.bookingId, contact: fullName(lead), staff: seller.name, endsAt: '2026-03-17T15:45:00.000Z' })]);
    await expectSmallUntouched(env);
  },

  async generate_workout_plan(env) {
    const { read, elsewhere } = caller(env);
    const { truth } = env;
    const member = pick(
      truth.rows.contacts,
      (c) => c.status === 'active' && truth.goalsOf(c.id!).some((g) => g.status === 'active' && g.kind === 'weight') && truth.rows.checkIns.filter((x) => x.contactId === c.id && x.at >= truth.ago(56)).length >= 8,
      'active member losing weight who comes often',
    );
    await elsewhere('generate_workout_plan', { clientId: member.id });
    const goals = truth.goalsOf(member.id!).filter((g) => g.status === 'active');
    const latest = truth.rows.measurements.filter((m) => m.contactId === member.id).sort((a, b) => b.measuredAt.getTime() - a.measuredAt.getTime()).slice(0, 10);
    const visits = truth.rows.checkIns.filter((x) => x.contactId === member.id && x.at >= truth.ago(56) && x.at <= NOW).length;
    const perWeek = Math.round((visits / 8) * 10) / 10;
    const months = Math.floor((NOW.getTime() - member.joinedAt!.getTime()) / (30.44 * DAY));
    const basis = {
      goals: goals.map((g) => ({ id: g.id, kind: g.kind, title: g.title, metric: g.metric, startValue: g.startValue, targetValue: g.targetValue, targetDate: g.targetDate, unit: g.unit })),
      weightKg: latest.find((m) => m.weightKg !== null)?.weightKg ?? null,
      bodyFatPct: latest.find((m) => m.bodyFatPct !== null)?.bodyFatPct ?? null,
      visitsPerWeek: perWeek,
      memberMonths: months,
    };
    const level = months < 3 || perWeek < 1 ? 'beginner' : months >= 12 && perWeek >= 3 ? 'advanced' : 'intermediate';
    const days = Math.min(5, Math.max(2, Math.round(perWeek) || 3));
    const runId = randomUUID();
    const out = await read<Row & { plan: Row }>('generate_workout_plan', { clientId: member.id, weeks: 6 }, { runId });
    expect(out).toMatchObject({ client: { id: member.id, name: fullName(member) }, focus: 'fat_loss', level, daysPerWeek: days, title: `6-week fat loss plan, ${days} days a week`, stored: 'generated' });
    expect(out.plan.basis).toEqual(basis);
    const [stored] = await rowsOf(env, env.gym.orgId, fitnessWorkoutPlans, eq(fitnessWorkoutPlans.runId, runId));
    expect(stored).toMatchObject({ id: out.planId, contactId: member.id, title: out.title, createdBy: 'agent', plan: out.plan });
    await expectSmallUntouched(env);
  },
};

describe.each<DbKind>(['postgres', 'pglite'])('every fitness tool on a demo gym (%s)', (kind) => {
  const env = {} as Env;

  beforeAll(async () => {
    // Only Date: timers, and the database's clock, run as usual.
    vi.useFakeTimers({ toFake: ['Date'], now: NOW });
    env.t = await createTestApp(kind);
    const db = env.t.ctx.database;
    const [a, b] = await db.system((tx) => tx.insert(organizations).values([{ name: GYM }, { name: 'Elsewhere Gym' }]).returning());
    env.gym = (await fillDemoGym(db, a!.id, { seed: 7, members: 300, asOf: AS_OF })).gym;
    env.small = (await fillDemoGym(db, b!.id, { seed: 11, members: 40, asOf: AS_OF })).gym;
    env.truth = new GymTruth(env.gym, NOW, GYM);
    env.smallIds = new GymTruth(env.small, NOW, 'Elsewhere Gym').ids();
    const owner = await seedMember(env.t.ctx, 'owner', env.gym.orgId);
    env.agentId = json<{ id: string }>(await env.t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: owner.headers, payload: { name: 'Retention Specialist', model: 'openai:gpt-4o-mini' } })).id;
  }, 180_000);
  afterAll(async () => {
    await env.t?.close();
    vi.useRealTimers();
  });

  it('has a case for every tool the pack registers, and the app registers them all', async () => {
    const names = fitnessTools().map((t) => t.name);
    expect(Object.keys(CASES).sort()).toEqual([...names].sort());
    for (const name of names) expect(env.t.ctx.services.tools.get(name), name).toBeDefined();
    // The fill wrote the other gym as generated (the baseline every write is checked against).
    await expectSmallUntouched(env);
  });

  for (const [name, run] of Object.entries(CASES)) it(name, () => run(env), 60_000);
});
