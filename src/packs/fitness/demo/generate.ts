import { addDays, addMonths, DAY_MS, weekStart } from '../analytics/periods.js';
import { simulateLeads, simulateMembers } from './people.js';
import { finishVisits } from './visits.js';
import { CLASS_TYPES, FIRST_NAMES, GYM_DOMAIN, LAST_NAMES, LEAD_STAGES, SLOT_HOUR_WEIGHTS, SLOT_HOURS } from './names.js';
import { hash32, Rng } from './prng.js';
import type { DemoClass, DemoGym, DemoLeadStage, DemoPlan, DemoRows, DemoSession, DemoStaff } from './rows.js';

/**
 * The demo gym generator: a fictional gym with 12 months of history, made deterministically from
 * a seed and an `asOf` date (its "now"), so the same seed gives the same rows, and the ground truth
 * (truth.ts) can be computed from the rows themselves. Ids come from a stream seeded by the seed
 * and the organization, so two organizations can hold the same gym.
 *
 * What it models (people.ts for members and leads, billing.ts for their memberships and money,
 * visits.ts for their bookings and check-ins):
 * - staff (owner, managers, trainers, front desk, sales), the lead pipeline's stages, five plans
 *   (monthly, off-peak monthly, quarterly, annual, a weekly class pass), eight classes on a weekly
 *   timetable whose size grows with the membership, sessions from the history's start to two
 *   weeks after asOf (a few cancelled);
 * - members who sign up over the 12 months (a launch month and a January peak), pay each period
 *   (some charges fail and are retried, a few are refunded), cancel with reasons (more often
 *   when they stopped coming), switch plans, come back, pause, or fall past due;
 * - their visits: class bookings (attended, no-show, cancelled; booked ahead for the next two
 *   weeks) and open-gym check-ins, fading before a cancellation and for a share of members now;
 * - leads in the pipeline with sources, trial classes and facility tours, drop-in payments;
 * - goals with measurements, and notes, for some members.
 */

export interface DemoOptions {
  /** Default 1. */
  seed?: number;
  /** Members (contacts with a subscription); default 500. Leads come on top: 30% of this. */
  members?: number;
  /** The gym's "now"; default today 00:00 UTC (callers pass it: the generator reads no clock). */
  asOf: Date;
}

export const DEFAULT_DEMO_SEED = 1;
export const DEFAULT_DEMO_MEMBERS = 500;
/** History before asOf, in months. */
export const DEMO_HISTORY_MONTHS = 12;
/** Sessions (and bookings) scheduled after asOf, in days. */
export const DEMO_AHEAD_DAYS = 14;

/** What people.ts builds on: the gym's fixed parts and the shared streams. */
export interface GymFrame {
  orgId: string;
  asOf: Date;
  start: Date;
  /** asOf + DEMO_AHEAD_DAYS: nothing is scheduled at or after it. */
  horizon: Date;
  /** Ids, in creation order. */
  ids: Rng;
  rows: DemoRows;
  staff: { owner: DemoStaff; trainers: DemoStaff[]; frontDesk: DemoStaff[]; sales: DemoStaff[]; managers: DemoStaff[] };
  stages: Record<(typeof LEAD_STAGES)[number]['name'], DemoLeadStage>;
  plans: { monthly: DemoPlan; offPeak: DemoPlan; quarterly: DemoPlan; annual: DemoPlan; weekly: DemoPlan };
  /** The weekly timetable: slot → popularity (for members' favourites). */
  slotWeights: number[];
  /** sessionAt[week][slot]: that week's session of the slot, or null (before the history, after the horizon). */
  sessionAt: (DemoSession | null)[][];
  /** The Monday 00:00 UTC of week 0. */
  week0: Date;
  /** Places taken per session id (bookings not cancelled). */
  taken: Map<string, number>;
  /** Contacts holding a place, per session id. */
  holders: Map<string, Set<string>>;
}

export function generateDemoGym(orgId: string, options: DemoOptions): DemoGym {
  const seed = options.seed ?? DEFAULT_DEMO_SEED;
  const members = options.members ?? DEFAULT_DEMO_MEMBERS;
  if (!Number.isSafeInteger(seed) || seed < 0) throw new RangeError('seed must be a non-negative integer');
  if (!Number.isSafeInteger(members) || members < 1) throw new RangeError('members must be a positive integer');
  const asOf = options.asOf;
  if (Number.isNaN(asOf.getTime())) throw new RangeError('asOf must be a date');
  const root = new Rng(hash32(`troupe-demo-gym:${seed}`));
  const start = addMonths(asOf, -DEMO_HISTORY_MONTHS);
  const rows: DemoRows = { staff: [], leadStages: [], plans: [], classes: [], contacts: [], subscriptions: [], payments: [], sessions: [], bookings: [], checkIns: [], goals: [], measurements: [], notes: [] };
  const ids = new Rng(hash32(`${orgId}:${seed}`));
  // Set up a month before the history starts.
  const setUp = addDays(start, -30);

  const slots = Math.max(24, Math.ceil(members / 14));
  const staff = makeStaff(root.fork('staff'), ids, orgId, Math.max(6, Math.ceil(slots / 6)), setUp, rows);
  const stages = makeStages(ids, orgId, setUp, rows);
  const plans = makePlans(ids, orgId, setUp, rows);
  const classes = makeClasses(ids, orgId, setUp, rows);
  const horizon = addDays(asOf, DEMO_AHEAD_DAYS);
  const week0 = weekStart(start);
  const timetable = makeTimetable(root.fork('timetable'), slots, classes, staff.trainers);
  const sessionAt = makeSessions(root.fork('sessions'), ids, orgId, timetable, week0, start, asOf, horizon, setUp, rows);

  const frame: GymFrame = {
    orgId,
    asOf,
    start,
    horizon,
    ids,
    rows,
    staff,
    stages,
    plans,
    slotWeights: timetable.map((s) => s.weight),
    sessionAt,
    week0,
    taken: new Map(),
    holders: new Map(),
  };
  simulateMembers(frame, root.fork('members'), members);
  const leads = Math.round(members * 0.3);
  simulateLeads(frame, root.fork('leads'), leads, members);
  finishVisits(frame);
  inTimeOrder(rows);
  return { orgId, seed, asOf, start, members, leads, rows };
}

/**
 * Rows in the order a gym's system would have written them: by their time. Their tables are then
 * laid out on disk as real ones are (appended as things happen), so a report reading a month of
 * payments reads that month's pages, not every page. Array sort is stable: ties keep their order.
 */
function inTimeOrder(rows: DemoRows): void {
  const by = <T>(list: T[], time: (row: T) => Date) => list.sort((a, b) => time(a).getTime() - time(b).getTime());
  by(rows.contacts, (r) => r.createdAt);
  by(rows.subscriptions, (r) => r.startedAt);
  by(rows.payments, (r) => r.paidAt);
  by(rows.sessions, (r) => r.startsAt);
  by(rows.bookings, (r) => r.startsAt);
  by(rows.checkIns, (r) => r.at);
  by(rows.goals, (r) => r.createdAt);
  by(rows.measurements, (r) => r.measuredAt);
  by(rows.notes, (r) => r.createdAt);
}

function makeStaff(rng: Rng, ids: Rng, orgId: string, trainers: number, at: Date, rows: DemoRows): GymFrame['staff'] {
  const make = (role: DemoStaff['role'], n: number): DemoStaff => {
    const first = rng.pick(FIRST_NAMES);
    const last = rng.pick(LAST_NAMES);
    const row: DemoStaff = {
      id: ids.uuid(),
      orgId,
      name: `${first} ${last}`,
      email: `${first}.${last}.${n}@${GYM_DOMAIN}`.toLowerCase(),
      phone: `+1 555-01${String(n % 100).padStart(2, '0')}`,
      role,
      active: true,
      userId: null,
      createdAt: at,
      updatedAt: at,
    };
    rows.staff.push(row);
    return row;
  };
  let n = 0;
  const owner = make('owner', n++);
  const managers = [make('manager', n++), make('manager', n++)];
  const trainerRows = Array.from({ length: trainers }, () => make('trainer', n++));
  const frontDesk = [make('front_desk', n++), make('front_desk', n++), make('front_desk', n++)];
  const sales = [make('sales', n++), make('sales', n++)];
  return { owner, managers, trainers: trainerRows, frontDesk, sales };
}

function makeStages(ids: Rng, orgId: string, at: Date, rows: DemoRows): GymFrame['stages'] {
  const out = {} as GymFrame['stages'];
  LEAD_STAGES.forEach((s, position) => {
    const row: DemoLeadStage = { id: ids.uuid(), orgId, name: s.name, position, isWon: s.isWon, isLost: s.isLost, createdAt: at, updatedAt: at };
    rows.leadStages.push(row);
    out[s.name] = row;
  });
  return out;
}

function makePlans(ids: Rng, orgId: string, at: Date, rows: DemoRows): GymFrame['plans'] {
  const plan = (name: string, description: string, dollars: number, billingInterval: DemoPlan['billingInterval'], intervalCount = 1): DemoPlan => {
    const row: DemoPlan = {
      id: ids.uuid(),
      orgId,
      name,
      description,
      priceMicros: Math.round(dollars * 100) * 10_000,
      currency: 'USD',
      billingInterval,
      intervalCount,
      active: true,
      createdAt: at,
      updatedAt: at,
    };
    rows.plans.push(row);
    return row;
  };
  return {
    monthly: plan('Monthly Unlimited', 'Gym floor and every class, billed monthly', 79, 'month'),
    offPeak: plan('Off-Peak', 'Weekdays before 4 pm and weekends', 49, 'month'),
    quarterly: plan('Quarterly Flex', 'Unlimited, billed every three months', 199, 'month', 3),
    annual: plan('Annual Unlimited', 'Unlimited, one payment a year', 799, 'year'),
    weekly: plan('Class Pass Weekly', 'Classes only, billed weekly', 19, 'week'),
  };
}

function makeClasses(ids: Rng, orgId: string, at: Date, rows: DemoRows): DemoClass[] {
  return CLASS_TYPES.map((c) => {
    const row: DemoClass = {
      id: ids.uuid(),
      orgId,
      name: c.name,
      description: `${c.name}: ${c.minutes} minutes`,
      category: c.category,
      defaultCapacity: c.capacity,
      durationMinutes: c.minutes,
      active: true,
      createdAt: at,
      updatedAt: at,
    };
    rows.classes.push(row);
    return row;
  });
}

interface Slot {
  /** Days after Monday. */
  weekday: number;
  hour: number;
  minute: number;
  cls: DemoClass;
  room: string;
  instructor: DemoStaff;
  weight: number;
}

/** The weekly timetable: `count` slots over the week's popular hours, each class in its room (a second room of a kind when one is taken). */
function makeTimetable(rng: Rng, count: number, classes: DemoClass[], trainers: DemoStaff[]): Slot[] {
  const used = new Set<string>();
  const slots: Slot[] = [];
  for (let i = 0; i < count; i++) {
    const cls = classes[i % classes.length]!;
    const type = CLASS_TYPES.find((t) => t.name === cls.name)!;
    const weekday = rng.int(0, 6);
    const hourIndex = SLOT_HOURS.indexOf(rng.weighted(SLOT_HOURS, SLOT_HOUR_WEIGHTS));
    const hour = SLOT_HOURS[hourIndex]!;
    let room: string = type.room;
    for (let n = 2; used.has(`${weekday}:${hour}:${room}`); n++) room = `${type.room} ${n}`;
    used.add(`${weekday}:${hour}:${room}`);
    // Weekends and evenings draw more people.
    const weight = SLOT_HOUR_WEIGHTS[hourIndex]! * (weekday >= 5 ? 1.2 : 1);
    slots.push({ weekday, hour, minute: rng.chance(0.3) ? 30 : 0, cls, room, instructor: trainers[i % trainers.length]!, weight });
  }
  return slots;
}

function makeSessions(rng: Rng, ids: Rng, orgId: string, slots: Slot[], week0: Date, start: Date, asOf: Date, horizon: Date, setUp: Date, rows: DemoRows): (DemoSession | null)[][] {
  const sessionAt: (DemoSession | null)[][] = [];
  const weeks = Math.ceil((horizon.getTime() - week0.getTime()) / (7 * DAY_MS));
  for (let w = 0; w < weeks; w++) {
    const week: (DemoSession | null)[] = [];
    for (const slot of slots) {
      const startsAt = new Date(week0.getTime() + (w * 7 + slot.weekday) * DAY_MS + (slot.hour * 60 + slot.minute) * 60_000);
      if (startsAt < start || startsAt >= horizon) {
        week.push(null);
        continue;
      }
      const cancelled = rng.chance(0.015);
      // Scheduled four weeks ahead; a cancellation is a change made a day or two before.
      const createdAt = new Date(Math.max(setUp.getTime(), startsAt.getTime() - 28 * DAY_MS));
      const row: DemoSession = {
        id: ids.uuid(),
        orgId,
        classId: slot.cls.id!,
        startsAt,
        endsAt: new Date(startsAt.getTime() + slot.cls.durationMinutes * 60_000),
        room: slot.room,
        instructorId: slot.instructor.id,
        capacity: slot.cls.defaultCapacity,
        status: cancelled ? 'cancelled' : 'scheduled',
        createdAt,
        updatedAt: cancelled ? new Date(Math.max(createdAt.getTime(), Math.min(asOf.getTime(), startsAt.getTime() - rng.int(1, 2) * DAY_MS))) : createdAt,
      };
      rows.sessions.push(row);
      week.push(row);
    }
    sessionAt.push(week);
  }
  return sessionAt;
}
