import { expect } from 'vitest';
import type { DemoContact, DemoSession } from '../demo/rows.js';
import { cmp, count, DAY, fullName, iso, leastSquares, MINUTE, newYork, newYorkSlot } from './demo-truth.test-helpers.js';
import { failed } from './test-fixtures.js';
import { NOW, GYM, caller, pick, type Env, type Row } from './demo-gym.env.test-helpers.js';

/** The calendar, content and progress tools' cases (demo-gym.test.ts runs them). */
export const CALENDAR_CASES: Record<string, (env: Env) => Promise<void>> = {
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

};
