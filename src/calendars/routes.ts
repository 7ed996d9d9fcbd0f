import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import { actorOf } from '../http/access.js';
import { problemResponses, problemSchema } from '../http/problem.js';
import type { Actor } from '../shared/roles.js';
import {
  bookedEventSchema,
  calendarEventSchema,
  calendarEventWithRemindersSchema,
  calendarSchema,
  cancelEventBody,
  conflictProblemSchema,
  createCalendarBody,
  createEventBody,
  eventsQuery,
  freeSlotsQuery,
  icsTokenSchema,
  listCalendarsQuery,
  slotSchema,
  updateCalendarBody,
  updateEventBody,
} from './dto.js';
import { CalendarConflict, type CalendarRow, type CreatedBy } from './service.js';

const idParams = z.object({ id: z.string().max(100) });
const tags = ['calendars'];
const calendarView = (row: CalendarRow) => ({ ...row, kind: row.kind as 'staff' | 'room', hasFeed: row.icsTokenHash !== null });
const createdByOf = (actor: Actor): CreatedBy => (actor.userId ? { kind: 'user', id: actor.userId } : { kind: 'api_key', id: actor.apiKeyId });
const withConflicts = { ...problemResponses, 409: conflictProblemSchema.or(problemSchema) };

/** A clash as a 409 problem carrying the clashing events and the free alternatives. */
function sendConflict(reply: FastifyReply, err: CalendarConflict) {
  const body = {
    type: `urn:troupe:error:${err.code}`,
    title: 'Conflict',
    status: 409,
    detail: err.message,
    code: err.code,
    requestId: String(reply.request.id),
    reasons: err.reasons,
    conflicts: err.conflicts,
    alternatives: err.alternatives,
  };
  return reply.code(409).type('application/problem+json').serializer(JSON.stringify).send(body);
}
async function orConflict<T>(reply: FastifyReply, fn: () => Promise<T>): Promise<T | FastifyReply> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CalendarConflict) return sendConflict(reply, err);
    throw err;
  }
}

/** Calendars, their events and free slots, and the ICS feed (issue 16; docs/calendars.md). */
export function registerCalendarRoutes(app: FastifyInstance, ctx: AppContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { calendars } = ctx.services;
  const base = (req: FastifyRequest) => ctx.config.TROUPE_PUBLIC_URL ?? `${req.protocol}://${req.host}`;

  r.get(
    '/calendars',
    { config: { access: 'viewer' }, schema: { tags, summary: "The organization's calendars (archived=true: the archived ones)", querystring: listCalendarsQuery, response: { 200: z.object({ items: z.array(calendarSchema) }), ...problemResponses } } },
    async (req) => ({ items: (await calendars.list(actorOf(req), req.query.archived)).map(calendarView) }),
  );
  r.post(
    '/calendars',
    {
      config: { access: 'admin', audit: { action: 'calendar.created', targetType: 'calendar' } },
      schema: { tags, summary: "A staff member's or a room's calendar, with working hours and breaks in its time zone", body: createCalendarBody, response: { 201: calendarSchema, ...problemResponses } },
    },
    async (req, reply) => reply.code(201).send(calendarView(await calendars.create(actorOf(req), req.body))),
  );
  r.get('/calendars/:id', { config: { access: 'viewer' }, schema: { tags, summary: 'One calendar', params: idParams, response: { 200: calendarSchema, ...problemResponses } } }, async (req) =>
    calendarView(await calendars.get(actorOf(req), req.params.id)),
  );
  r.patch(
    '/calendars/:id',
    {
      config: { access: 'admin', audit: { action: 'calendar.updated', targetType: 'calendar' } },
      schema: { tags, summary: 'Change a calendar (existing events stay where they are)', params: idParams, body: updateCalendarBody, response: { 200: calendarSchema, ...problemResponses } },
    },
    async (req) => calendarView(await calendars.update(actorOf(req), req.params.id, req.body)),
  );
  r.delete(
    '/calendars/:id',
    {
      config: { access: 'admin', audit: { action: 'calendar.archived', targetType: 'calendar' } },
      schema: { tags, summary: 'Archive a calendar: no new bookings; its events and feed stay', params: idParams, response: { 200: calendarSchema, ...problemResponses } },
    },
    async (req) => calendarView(await calendars.archive(actorOf(req), req.params.id)),
  );
  r.post(
    '/calendars/:id/ics-token',
    {
      config: { access: 'admin', audit: { action: 'calendar.feed_token_created', targetType: 'calendar' } },
      schema: { tags, summary: "A new ICS feed URL (shown once; the previous one stops working)", params: idParams, response: { 201: icsTokenSchema, ...problemResponses } },
    },
    async (req, reply) => {
      const token = await calendars.rotateFeedToken(actorOf(req), req.params.id);
      return reply.code(201).send({ token, url: `${base(req)}/ical/${req.params.id}.ics?token=${encodeURIComponent(token)}` });
    },
  );
  r.get(
    '/calendars/:id/free-slots',
    {
      config: { access: 'viewer' },
      schema: {
        tags,
        summary: 'The next free slots of a length, at or after from (default now), inside working hours and out of breaks',
        params: idParams,
        querystring: freeSlotsQuery,
        response: { 200: z.object({ calendarId: z.uuid(), timeZone: z.string(), slots: z.array(slotSchema) }), ...problemResponses },
      },
    },
    async (req) => {
      await calendars.get(actorOf(req), req.params.id);
      return calendars.freeSlots(actorOf(req).orgId, req.params.id, req.query);
    },
  );

  // ---- events ----
  r.get(
    '/calendars/:id/events',
    { config: { access: 'viewer' }, schema: { tags, summary: 'Events overlapping [from, to), by start', params: idParams, querystring: eventsQuery, response: { 200: z.object({ items: z.array(calendarEventSchema) }), ...problemResponses } } },
    async (req) => ({ items: await calendars.events(actorOf(req), req.params.id, req.query) }),
  );
  r.post(
    '/calendars/:id/events',
    {
      config: { access: 'member' },
      schema: {
        tags,
        summary: 'Book an event: a clash is a 409 with the clashing events and the next free slots (onConflict reject), moved (next_slot) or allowed',
        params: idParams,
        body: createEventBody,
        response: { 201: bookedEventSchema, ...withConflicts },
      },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      await calendars.get(actor, req.params.id);
      return orConflict(reply, async () => {
        const b = await calendars.createEvent(actor.orgId, req.params.id, req.body, { createdBy: createdByOf(actor) });
        return reply.code(201).send({ ...b.event, reminders: b.reminders, moved: b.moved });
      });
    },
  );
  r.get(
    '/calendar-events/:id',
    { config: { access: 'viewer' }, schema: { tags, summary: 'One event with its reminders and notices', params: idParams, response: { 200: calendarEventWithRemindersSchema, ...problemResponses } } },
    async (req) => calendars.event(actorOf(req).orgId, req.params.id),
  );
  r.patch(
    '/calendar-events/:id',
    {
      config: { access: 'member' },
      schema: { tags, summary: 'Move or change an event: pending reminders move with it; a clash as on booking', params: idParams, body: updateEventBody, response: { 200: bookedEventSchema, ...withConflicts } },
    },
    async (req, reply) =>
      orConflict(reply, async () => {
        const b = await calendars.updateEvent(actorOf(req).orgId, req.params.id, req.body);
        return { ...b.event, reminders: b.reminders, moved: b.moved };
      }),
  );
  r.post(
    '/calendar-events/:id/cancel',
    {
      config: { access: 'member' },
      schema: { tags, summary: 'Cancel an event and its pending reminders (attendees are mailed)', params: idParams, body: cancelEventBody.optional(), response: { 200: calendarEventWithRemindersSchema, ...problemResponses } },
    },
    async (req) => calendars.cancelEvent(actorOf(req).orgId, req.params.id, req.body ?? {}),
  );
}

/** `GET /ical/:calendarId.ics?token=…`: the calendar's feed for calendar clients (public; the token is the check). */
export function registerIcsFeedRoutes(app: FastifyInstance, ctx: AppContext): void {
  app.withTypeProvider<ZodTypeProvider>().get(
    '/ical/:file',
    {
      config: { access: 'public' },
      schema: {
        tags,
        summary: "A calendar's ICS feed (text/calendar); 404 for an unknown calendar or a wrong token",
        params: z.object({ file: z.string().max(100).describe('<calendarId>.ics') }),
        querystring: z.object({ token: z.string().max(200).default('') }),
        response: { 200: z.any().describe('text/calendar'), 404: problemSchema },
      },
    },
    async (req, reply) => {
      const id = req.params.file.endsWith('.ics') ? req.params.file.slice(0, -4) : '';
      const text = await ctx.services.calendars.feed(id, req.query.token);
      if (text === null) return reply.code(404).type('application/problem+json').serializer(JSON.stringify).send({ type: 'urn:troupe:error:not_found', title: 'Not Found', status: 404, detail: 'Calendar feed not found', code: 'not_found' });
      return reply.type('text/calendar; charset=utf-8').header('cache-control', 'private, max-age=60').serializer((s: unknown) => s as string).send(text);
    },
  );
}
