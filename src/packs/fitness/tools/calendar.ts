import { and, asc, eq, gte, inArray, lt, lte, ne, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Database, Tx } from '../../../db/client.js';
import { UUID_RE } from '../../../shared/ids.js';
import { defineTool } from '../../../tools/define.js';
import { ToolError } from '../../../tools/errors.js';
import { fitnessBookings, fitnessClasses, fitnessContacts, fitnessSessions, fitnessStaff } from '../crm/schema.js';
import { contactIn, crmOf, fullName, idSchema, timeSchema, toolActor, toToolError } from './common.js';
import { availability, sessionIn, sessionLines } from './classes.js';

// The calendar: what happens when (sessions, trials, tours), and booking trials and tours.

const DAY = 86_400_000;
/** How long a facility tour takes: bookings keep a start only, so conflicts assume this length. */
export const TOUR_MINUTES = 45;
const TOUR_MS = TOUR_MINUTES * 60_000;

const EVENT_KINDS = ['class', 'trial', 'facility_tour'] as const;

export const viewCalendarEvents = defineTool({
  name: 'view_calendar_events',
  category: 'automation',
  description:
    "The gym's calendar between two times (default the next 7 days, at most 31): class sessions (with places booked), trial classes and " +
    'facility tours (who, with which staff member), in time order. Filter by kind or staff member.',
  inputSchema: z.object({
    from: timeSchema.optional().describe('Default now'),
    to: timeSchema.optional().describe('Default from + 7 days'),
    kinds: z.array(z.enum(EVENT_KINDS)).min(1).max(3).default([...EVENT_KINDS]),
    staffId: z.uuid().optional().describe('Only what this staff member teaches or gives'),
    includeCancelled: z.boolean().default(false),
    limit: z.number().int().min(1).max(300).default(100),
  }),
  grantRoles: ['member', 'admin', 'owner'],
  requiresApproval: false,
  idempotent: true,
  timeoutMs: 15_000,
  async execute(input, ctx) {
    const from = input.from ? new Date(input.from) : new Date();
    const to = input.to ? new Date(input.to) : new Date(from.getTime() + 7 * DAY);
    if (to < from || to.getTime() - from.getTime() > 31 * DAY) throw new ToolError('to must be after from and at most 31 days later', 'invalid_arguments', [{ path: 'input.to', message: 'not within 31 days after from' }]);
    return ctx.database.withOrg(ctx.orgId, async (tx) => {
      const events: { type: string; startsAt: string; [k: string]: unknown }[] = [];
      if (input.kinds.includes('class')) {
        const sessions = await sessionLines(
          tx,
          ctx.orgId,
          [
            gte(fitnessSessions.startsAt, from),
            lte(fitnessSessions.startsAt, to),
            input.staffId ? eq(fitnessSessions.instructorId, input.staffId) : undefined,
            input.includeCancelled ? undefined : eq(fitnessSessions.status, 'scheduled'),
          ].filter((w): w is SQL => w !== undefined),
          input.limit,
        );
        for (const { id, ...s } of sessions) events.push({ type: 'class', sessionId: id, ...s });
      }
      const kinds = input.kinds.filter((k) => k !== 'class');
      if (kinds.length) {
        const b = fitnessBookings;
        const rows = await tx
          .select({
            id: b.id,
            kind: b.kind,
            status: b.status,
            startsAt: b.startsAt,
            contactId: b.contactId,
            firstName: fitnessContacts.firstName,
            lastName: fitnessContacts.lastName,
            staffId: b.staffId,
            staff: fitnessStaff.name,
            sessionId: b.sessionId,
            className: fitnessClasses.name,
          })
          .from(b)
          .innerJoin(fitnessContacts, eq(fitnessContacts.id, b.contactId))
          .leftJoin(fitnessStaff, eq(fitnessStaff.id, b.staffId))
          .leftJoin(fitnessSessions, eq(fitnessSessions.id, b.sessionId))
          .leftJoin(fitnessClasses, eq(fitnessClasses.id, fitnessSessions.classId))
          .where(
            and(
              eq(b.orgId, ctx.orgId),
              inArray(b.kind, kinds),
              gte(b.startsAt, from),
              lte(b.startsAt, to),
              input.staffId ? eq(b.staffId, input.staffId) : undefined,
              input.includeCancelled ? undefined : ne(b.status, 'cancelled'),
            ),
          )
          .orderBy(asc(b.startsAt), asc(b.id))
          .limit(input.limit);
        for (const r of rows) {
          events.push({
            type: r.kind,
            bookingId: r.id,
            status: r.status,
            startsAt: r.startsAt.toISOString(),
            endsAt: r.kind === 'facility_tour' ? new Date(r.startsAt.getTime() + TOUR_MS).toISOString() : undefined,
            contactId: r.contactId,
            contact: fullName(r),
            staffId: r.staffId,
            staff: r.staff,
            sessionId: r.sessionId,
            className: r.className,
          });
        }
      }
      events.sort((a, b) => a.startsAt.localeCompare(b.startsAt));
      return { from: from.toISOString(), to: to.toISOString(), count: Math.min(events.length, input.limit), events: events.slice(0, input.limit) };
    });
  },
});

export const bookTrialClass = defineTool({
  name: 'book_trial_class',
  category: 'automation',
  description:
    'Books a contact (usually a lead) into a class session as a trial. Checks the place like the front desk does: a full session ' +
    '(session_full), a cancelled one, one that has started, or one at the time of another class, trial or tour the contact has ' +
    'booked is refused. A lead with status lead becomes trial. Booking a session the contact already holds a place in answers that ' +
    'booking again (alreadyBooked).',
  inputSchema: z.object({ contactId: idSchema('contact'), sessionId: idSchema('session') }),
  outputSchema: z.object({
    bookingId: z.string(),
    alreadyBooked: z.boolean(),
    contact: z.object({ id: z.string(), name: z.string(), status: z.string() }),
    session: z.object({ id: z.string(), className: z.string(), startsAt: z.string(), endsAt: z.string(), room: z.string().nullable(), spotsLeft: z.number().int() }),
  }),
  grantRoles: ['member', 'admin', 'owner'],
  requiresApproval: false,
  // Booking the same session twice answers the first booking.
  idempotent: true,
  timeoutMs: 15_000,
  describe: (input) => `Book contact ${input.contactId.slice(0, 8)}… into session ${input.sessionId.slice(0, 8)}… as a trial`,
  async execute(input, ctx) {
    const { contact, session } = await ctx.database.withOrg(ctx.orgId, async (tx) => ({
      contact: await contactIn(tx, ctx.orgId, input.contactId),
      session: await sessionIn(tx, ctx.orgId, input.sessionId),
    }));
    const held = await heldBooking(ctx.database, ctx.orgId, contact.id, session.id);
    if (!held) {
      const open = availability(session);
      // Full and cancelled sessions are also refused by the CRM under the session's lock; a started one only here.
      if (!open.bookable && open.reason!.startsWith('started')) throw new ToolError(`${open.reason}; choose a later session`, 'conflict');
      // A person cannot be in two places: another class, trial or tour booked over the session's time is refused.
      const [clash] = await ctx.database.withOrg(ctx.orgId, (tx) => overlapping(tx, ctx.orgId, eq(fitnessBookings.contactId, contact.id), new Date(session.startsAt), new Date(session.endsAt)));
      if (clash) throw new ToolError(`${fullName(contact)} already has a ${clash.className ?? clash.kind.replace('_', ' ')} booked at ${when(clash.startsAt)}; choose another session`, 'conflict');
    }
    const crm = crmOf(ctx);
    const actor = toolActor(ctx);
    let bookingId = held;
    if (!bookingId) {
      try {
        bookingId = (await crm.bookings.create(actor, { contactId: contact.id, sessionId: session.id, kind: 'trial', status: 'booked', staffId: null })).id;
      } catch (err) {
        const again = await heldBooking(ctx.database, ctx.orgId, contact.id, session.id);
        if (!again) throw toToolError(err);
        bookingId = again;
      }
    }
    let status = contact.status;
    if (contact.status === 'lead') {
      await crm.contacts.update(actor, contact.id, { status: 'trial' }).catch((err: unknown) => {
        throw toToolError(err);
      });
      status = 'trial';
    }
    const now = await ctx.database.withOrg(ctx.orgId, (tx) => sessionIn(tx, ctx.orgId, session.id));
    return {
      bookingId,
      alreadyBooked: held !== null,
      contact: { id: contact.id, name: fullName(contact), status },
      session: { id: now.id, className: now.className, startsAt: now.startsAt, endsAt: now.endsAt, room: now.room, spotsLeft: now.spotsLeft },
    };
  },
});

/** The contact's live booking (booked or attended) of this session, if any. */
async function heldBooking(database: Database, orgId: string, contactId: string, sessionId: string): Promise<string | null> {
  const [row] = await database.withOrg(orgId, (tx) =>
    tx
      .select({ id: fitnessBookings.id })
      .from(fitnessBookings)
      .where(and(eq(fitnessBookings.orgId, orgId), eq(fitnessBookings.contactId, contactId), eq(fitnessBookings.sessionId, sessionId), inArray(fitnessBookings.status, ['booked', 'attended']))),
  );
  return row?.id ?? null;
}

/** Live bookings (booked) of a contact or staff member overlapping [start, end); a session booking lasts its session, a tour TOUR_MINUTES. */
async function overlapping(tx: Tx, orgId: string, who: SQL, start: Date, end: Date) {
  const b = fitnessBookings;
  const ends = sql`coalesce(${fitnessSessions.endsAt}, ${b.startsAt} + ${`${TOUR_MINUTES} minutes`}::interval)`;
  return tx
    .select({ id: b.id, kind: b.kind, startsAt: b.startsAt, className: fitnessClasses.name })
    .from(b)
    .leftJoin(fitnessSessions, eq(fitnessSessions.id, b.sessionId))
    .leftJoin(fitnessClasses, eq(fitnessClasses.id, fitnessSessions.classId))
    .where(and(eq(b.orgId, orgId), who, eq(b.status, 'booked'), lt(b.startsAt, end), sql`${ends} > ${start.toISOString()}::timestamptz`))
    .limit(3);
}

const when = (d: Date) => d.toISOString().replace(':00.000Z', 'Z');

export const scheduleFacilityTour = defineTool({
  name: 'schedule_facility_tour',
  category: 'automation',
  description:
    `Books a facility tour (${TOUR_MINUTES} minutes) for a contact, usually a lead, at a time, optionally with a staff member. Refused with ` +
    'the reason when the contact already has something booked then, or the staff member teaches a class or gives another tour or trial then. ' +
    'Booking the same contact at the same time again answers that tour (alreadyBooked).',
  inputSchema: z.object({
    contactId: idSchema('contact'),
    startsAt: timeSchema,
    staffId: z.uuid().optional().describe('Who gives the tour'),
  }),
  outputSchema: z.object({
    bookingId: z.string(),
    alreadyBooked: z.boolean(),
    contact: z.object({ id: z.string(), name: z.string() }),
    startsAt: z.string(),
    endsAt: z.string(),
    staff: z.string().nullable(),
  }),
  grantRoles: ['member', 'admin', 'owner'],
  requiresApproval: false,
  idempotent: true,
  timeoutMs: 15_000,
  describe: (input) => `Book a facility tour at ${input.startsAt} for contact ${input.contactId.slice(0, 8)}…`,
  async execute(input, ctx) {
    const start = new Date(input.startsAt);
    const end = new Date(start.getTime() + TOUR_MS);
    if (start.getTime() <= Date.now()) throw new ToolError('startsAt must be in the future', 'invalid_arguments', [{ path: 'input.startsAt', message: 'must be in the future' }]);
    if (start.getTime() > Date.now() + 366 * DAY) throw new ToolError('startsAt must be within a year', 'invalid_arguments', [{ path: 'input.startsAt', message: 'must be within a year' }]);
    return ctx.database.withOrg(ctx.orgId, async (tx) => {
      const contact = await contactIn(tx, ctx.orgId, input.contactId);
      let staff: { id: string; name: string; active: boolean } | undefined;
      if (input.staffId) {
        [staff] = UUID_RE.test(input.staffId)
          ? await tx
              .select({ id: fitnessStaff.id, name: fitnessStaff.name, active: fitnessStaff.active })
              .from(fitnessStaff)
              .where(and(eq(fitnessStaff.orgId, ctx.orgId), eq(fitnessStaff.id, input.staffId)))
          : [];
        if (!staff) throw new ToolError('Staff member not found in this organization', 'not_found');
        if (!staff.active) throw new ToolError(`${staff.name} is not an active staff member`, 'conflict');
      }
      // Two tours for one person or one staff member cannot slip in side by side: the checks and the insert run under these locks.
      await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`fitness-calendar:${contact.id}`}, 0))`);
      if (staff) await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`fitness-calendar:${staff.id}`}, 0))`);
      const b = fitnessBookings;
      const [same] = await tx
        .select({ id: b.id, staffId: b.staffId })
        .from(b)
        .where(and(eq(b.orgId, ctx.orgId), eq(b.contactId, contact.id), eq(b.kind, 'facility_tour'), eq(b.status, 'booked'), eq(b.startsAt, start)));
      const staffName = staff?.name ?? null;
      if (same) return { bookingId: same.id, alreadyBooked: true, contact: { id: contact.id, name: fullName(contact) }, startsAt: start.toISOString(), endsAt: end.toISOString(), staff: staffName };
      const mine = await overlapping(tx, ctx.orgId, eq(b.contactId, contact.id), start, end);
      if (mine[0]) {
        throw new ToolError(`${fullName(contact)} already has a ${mine[0].className ?? mine[0].kind.replace('_', ' ')} booked at ${when(mine[0].startsAt)}; choose another time`, 'conflict');
      }
      if (staff) {
        const teaching = await tx
          .select({ startsAt: fitnessSessions.startsAt, className: fitnessClasses.name })
          .from(fitnessSessions)
          .innerJoin(fitnessClasses, eq(fitnessClasses.id, fitnessSessions.classId))
          .where(and(eq(fitnessSessions.orgId, ctx.orgId), eq(fitnessSessions.instructorId, staff.id), eq(fitnessSessions.status, 'scheduled'), lt(fitnessSessions.startsAt, end), sql`${fitnessSessions.endsAt} > ${start.toISOString()}::timestamptz`))
          .limit(1);
        if (teaching[0]) throw new ToolError(`${staff.name} teaches ${teaching[0].className} at ${when(teaching[0].startsAt)}; choose another time or staff member`, 'conflict');
        const busy = await overlapping(tx, ctx.orgId, eq(b.staffId, staff.id), start, end);
        if (busy[0]) throw new ToolError(`${staff.name} already gives a ${busy[0].kind.replace('_', ' ')} at ${when(busy[0].startsAt)}; choose another time or staff member`, 'conflict');
      }
      const [row] = await tx.insert(b).values({ orgId: ctx.orgId, contactId: contact.id, kind: 'facility_tour', status: 'booked', startsAt: start, staffId: staff?.id ?? null }).returning({ id: b.id });
      return { bookingId: row!.id, alreadyBooked: false, contact: { id: contact.id, name: fullName(contact) }, startsAt: start.toISOString(), endsAt: end.toISOString(), staff: staffName };
    });
  },
});
