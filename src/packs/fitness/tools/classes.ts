import { and, asc, eq, gte, ilike, inArray, lte, or, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Tx } from '../../../db/client.js';
import { likePattern } from '../../../shared/pagination.js';
import { UUID_RE } from '../../../shared/ids.js';
import { defineTool } from '../../../tools/define.js';
import { ToolError } from '../../../tools/errors.js';
import { BOOKING_STATUSES } from '../crm/enums.js';
import { bookedPlaces } from '../crm/resources/classes.js';
import { fitnessBookings, fitnessClasses, fitnessContacts, fitnessSessions, fitnessStaff } from '../crm/schema.js';
import { fullName, idSchema, limitSchema, timeSchema } from './common.js';

// Classes and their sessions: what there is, when, how full, who is coming.

const READ = { grantRoles: ['member', 'admin', 'owner'] as const, requiresApproval: false, idempotent: true, timeoutMs: 15_000 };
const DAY = 86_400_000;

/** Sessions with their class, instructor and places (booked = bookings holding a place). */
export async function sessionLines(tx: Tx, orgId: string, where: SQL[], limit: number) {
  const rows = await tx
    .select({
      id: fitnessSessions.id,
      classId: fitnessSessions.classId,
      className: fitnessClasses.name,
      category: fitnessClasses.category,
      startsAt: fitnessSessions.startsAt,
      endsAt: fitnessSessions.endsAt,
      room: fitnessSessions.room,
      instructorId: fitnessSessions.instructorId,
      instructor: fitnessStaff.name,
      capacity: fitnessSessions.capacity,
      status: fitnessSessions.status,
      booked: bookedPlaces,
    })
    .from(fitnessSessions)
    .innerJoin(fitnessClasses, eq(fitnessClasses.id, fitnessSessions.classId))
    .leftJoin(fitnessStaff, eq(fitnessStaff.id, fitnessSessions.instructorId))
    .where(and(eq(fitnessSessions.orgId, orgId), ...where))
    .orderBy(asc(fitnessSessions.startsAt), asc(fitnessSessions.id))
    .limit(limit);
  return rows.map((r) => ({
    id: r.id,
    classId: r.classId,
    className: r.className,
    category: r.category || null,
    startsAt: r.startsAt.toISOString(),
    endsAt: r.endsAt.toISOString(),
    room: r.room || null,
    instructorId: r.instructorId,
    instructor: r.instructor,
    status: r.status,
    capacity: r.capacity,
    booked: r.booked,
    spotsLeft: Math.max(0, r.capacity - r.booked),
  }));
}
export type SessionLine = Awaited<ReturnType<typeof sessionLines>>[number];

/** Whether a new booking can take a place, and if not why (the CRM's own rules answer the same at booking time). */
export function availability(s: SessionLine, now = new Date()) {
  if (s.status === 'cancelled') return { bookable: false, reason: 'session_cancelled: the session is cancelled' };
  if (new Date(s.startsAt) <= now) return { bookable: false, reason: 'started: the session has already started' };
  if (s.spotsLeft <= 0) return { bookable: false, reason: `session_full: all ${s.capacity} places are taken` };
  return { bookable: true, reason: null };
}

/** The organization's session (not another's: not_found). */
export async function sessionIn(tx: Tx, orgId: string, id: string): Promise<SessionLine> {
  const [s] = UUID_RE.test(id) ? await sessionLines(tx, orgId, [eq(fitnessSessions.id, id)], 1) : [];
  if (!s) throw new ToolError('Session not found in this organization', 'not_found');
  return s;
}

/** A class by id or name (any case) in the organization. */
async function classIn(tx: Tx, orgId: string, ref: { classId?: string; className?: string }) {
  const where = ref.classId ? eq(fitnessClasses.id, ref.classId) : sql`lower(${fitnessClasses.name}) = lower(${ref.className!})`;
  const [c] = await tx
    .select()
    .from(fitnessClasses)
    .where(and(eq(fitnessClasses.orgId, orgId), where));
  if (!c) throw new ToolError(`Class ${ref.classId ? 'id' : `"${ref.className}"`} not found in this organization; search_classes lists them`, 'not_found');
  return c;
}

export const searchClasses = defineTool({
  name: 'search_classes',
  category: 'crm',
  description:
    "Finds the gym's classes (programs such as Yoga, HIIT, Spin) by name or category, with their usual capacity and length, how many " +
    'sessions are scheduled in the next 14 days and when the next one starts.',
  inputSchema: z.object({
    query: z.string().trim().min(1).max(200).optional().describe('Name or category contains this'),
    category: z.string().trim().min(1).max(100).optional(),
    includeInactive: z.boolean().default(false),
    limit: limitSchema(50),
  }),
  ...READ,
  async execute(input, ctx) {
    const c = fitnessClasses;
    const now = new Date().toISOString();
    const soon = new Date(Date.now() + 14 * DAY).toISOString();
    // The subqueries name fitness_classes.id in full: Drizzle leaves a single-table select's columns unqualified.
    const rows = await ctx.database.withOrg(ctx.orgId, (tx) =>
      tx
        .select({
          id: c.id,
          name: c.name,
          category: c.category,
          description: c.description,
          defaultCapacity: c.defaultCapacity,
          durationMinutes: c.durationMinutes,
          active: c.active,
          upcoming: sql<number>`(select count(*) from fitness_sessions s where s.class_id = fitness_classes.id and s.status = 'scheduled' and s.starts_at >= ${now}::timestamptz and s.starts_at < ${soon}::timestamptz)`.mapWith(Number),
          nextAt: sql<string | null>`(select to_char(min(s.starts_at) at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') from fitness_sessions s where s.class_id = fitness_classes.id and s.status = 'scheduled' and s.starts_at >= ${now}::timestamptz)`,
        })
        .from(c)
        .where(
          and(
            eq(c.orgId, ctx.orgId),
            input.includeInactive ? undefined : eq(c.active, true),
            input.category ? sql`lower(${c.category}) = lower(${input.category})` : undefined,
            input.query ? or(ilike(c.name, likePattern(input.query)), ilike(c.category, likePattern(input.query))) : undefined,
          ),
        )
        .orderBy(asc(sql`lower(${c.name})`))
        .limit(input.limit),
    );
    return {
      count: rows.length,
      items: rows.map(({ upcoming, nextAt, ...r }) => ({ ...r, category: r.category || null, description: r.description.slice(0, 300) || null, sessionsNext14Days: upcoming, nextSessionAt: nextAt })),
    };
  },
});

export const viewClassSchedule = defineTool({
  name: 'view_class_schedule',
  category: 'crm',
  description:
    'The class timetable between two times (default: the next 7 days): each session with its class, start and end, room, instructor, ' +
    'capacity, places booked and spots left. Filter by class, instructor or room; onlyWithSpace keeps sessions that can still be booked.',
  inputSchema: z.object({
    from: timeSchema.optional().describe('Default now'),
    to: timeSchema.optional().describe('Default from + 7 days; at most 31 days after from'),
    classId: z.uuid().optional(),
    className: z.string().trim().min(1).max(200).optional().describe("Or the class's name"),
    instructorId: z.uuid().optional(),
    room: z.string().trim().min(1).max(100).optional(),
    includeCancelled: z.boolean().default(false),
    onlyWithSpace: z.boolean().default(false),
    limit: limitSchema(50, 200),
  }),
  ...READ,
  async execute(input, ctx) {
    const from = input.from ? new Date(input.from) : new Date();
    const to = input.to ? new Date(input.to) : new Date(from.getTime() + 7 * DAY);
    if (to < from) throw new ToolError('to must not be before from', 'invalid_arguments', [{ path: 'input.to', message: 'before from' }]);
    if (to.getTime() - from.getTime() > 31 * DAY) throw new ToolError('Ask for at most 31 days at a time', 'invalid_arguments', [{ path: 'input.to', message: 'more than 31 days after from' }]);
    return ctx.database.withOrg(ctx.orgId, async (tx) => {
      const cls = input.classId || input.className ? await classIn(tx, ctx.orgId, input) : null;
      const s = fitnessSessions;
      const where = [
        gte(s.startsAt, from),
        lte(s.startsAt, to),
        cls ? eq(s.classId, cls.id) : undefined,
        input.instructorId ? eq(s.instructorId, input.instructorId) : undefined,
        input.room ? eq(s.room, input.room) : undefined,
        input.includeCancelled ? undefined : eq(s.status, 'scheduled'),
        input.onlyWithSpace ? sql`${s.capacity} > ${bookedPlaces}` : undefined,
      ].filter((w): w is SQL => w !== undefined);
      const items = await sessionLines(tx, ctx.orgId, where, input.limit);
      return { from: from.toISOString(), to: to.toISOString(), count: items.length, items };
    });
  },
});

export const checkClassAvailability = defineTool({
  name: 'check_class_availability',
  category: 'crm',
  description:
    'Whether a session can still be booked: give sessionId for one session (capacity, booked, spots left, bookable and why not), or a ' +
    'class (classId or className) for its next sessions with space in the coming days.',
  inputSchema: z
    .object({
      sessionId: z.uuid().optional(),
      classId: z.uuid().optional(),
      className: z.string().trim().min(1).max(200).optional(),
      days: z.number().int().min(1).max(31).default(7).describe('With a class: how many days ahead to look'),
    })
    .refine((i) => [i.sessionId, i.classId, i.className].filter((v) => v !== undefined).length === 1, { message: 'give exactly one of sessionId, classId or className', path: ['sessionId'] }),
  ...READ,
  async execute(input, ctx) {
    return ctx.database.withOrg(ctx.orgId, async (tx) => {
      const now = new Date();
      if (input.sessionId) {
        const s = await sessionIn(tx, ctx.orgId, input.sessionId);
        return { session: s, ...availability(s, now) };
      }
      const cls = await classIn(tx, ctx.orgId, input);
      const sessions = await sessionLines(
        tx,
        ctx.orgId,
        [eq(fitnessSessions.classId, cls.id), eq(fitnessSessions.status, 'scheduled'), gte(fitnessSessions.startsAt, now), lte(fitnessSessions.startsAt, new Date(now.getTime() + input.days * DAY))],
        100,
      );
      const open = sessions.filter((s) => s.spotsLeft > 0);
      return { class: { id: cls.id, name: cls.name }, days: input.days, sessions: sessions.length, withSpace: open.length, items: open.slice(0, 20) };
    });
  },
});

export const viewClassBookings = defineTool({
  name: 'view_class_bookings',
  category: 'crm',
  description: "Who is booked into a session: the session's details and each booking with the person's id and name, its status and when it was made.",
  inputSchema: z.object({
    sessionId: idSchema('session'),
    status: z.array(z.enum(BOOKING_STATUSES)).min(1).max(4).optional().describe('Default: every status'),
    limit: limitSchema(100, 500),
  }),
  ...READ,
  async execute(input, ctx) {
    return ctx.database.withOrg(ctx.orgId, async (tx) => {
      const session = await sessionIn(tx, ctx.orgId, input.sessionId);
      const b = fitnessBookings;
      const rows = await tx
        .select({ id: b.id, contactId: b.contactId, kind: b.kind, status: b.status, bookedAt: b.bookedAt, firstName: fitnessContacts.firstName, lastName: fitnessContacts.lastName, contactStatus: fitnessContacts.status })
        .from(b)
        .innerJoin(fitnessContacts, eq(fitnessContacts.id, b.contactId))
        .where(and(eq(b.orgId, ctx.orgId), eq(b.sessionId, session.id), input.status ? inArray(b.status, input.status) : undefined))
        .orderBy(asc(b.bookedAt), asc(b.id))
        .limit(input.limit);
      const byStatus: Record<string, number> = {};
      for (const r of rows) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1;
      return {
        session,
        counts: byStatus,
        items: rows.map((r) => ({ bookingId: r.id, contactId: r.contactId, name: fullName(r), contactStatus: r.contactStatus, kind: r.kind, status: r.status, bookedAt: r.bookedAt.toISOString() })),
      };
    });
  },
});
