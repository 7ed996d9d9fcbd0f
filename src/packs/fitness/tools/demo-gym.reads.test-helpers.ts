import { expect } from 'vitest';
import type { DemoContact, DemoSession } from '../demo/rows.js';
import { truthEngagementOf } from '../demo/truth-activity.js';
import { cmp, count, fullName, GymTruth, isLead, iso, type ContactFilter } from './demo-truth.test-helpers.js';
import { failed, ok } from './test-fixtures.js';
import { NOW, plain, MEMBER_STATUSES, caller, page, pick, type Env, type Row, type List } from './demo-gym.env.test-helpers.js';

/**
 * One case per tool, reads before writes (writes change what later answers must be). Each takes the
 * environment and checks the tool's answers, and for writes the rows written and the other gym.
 */
/** The reading tools' cases (demo-gym.test.ts runs them). */
export const READ_CASES: Record<string, (env: Env) => Promise<void>> = {
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

};
