import { z } from 'zod';
import { AppError } from '../shared/errors.js';
import { defineTool, type ToolContext, type ToolDefinition } from '../tools/define.js';
import { ToolError } from '../tools/errors.js';
import { attendeeSchema } from './dto.js';
import { DEFAULT_DURATION_MINUTES } from './enums.js';
import { CalendarConflict, type Booked, type CalendarService } from './service.js';

const reminders = z
  .array(z.number().int().min(1).max(60 * 24 * 60))
  .max(10)
  .describe('Minutes before the start to remind attendees; default [1440, 60]; [] for none');
const start = z.iso.datetime({ offset: true }).describe('ISO date-time with an offset, e.g. 2026-12-08T10:00:00+01:00');
const duration = z.number().int().min(5).max(24 * 60);

const bookedOutput = z.object({
  eventId: z.string(),
  calendarId: z.string(),
  start: z.string(),
  end: z.string(),
  reminders: z.array(z.string()).describe('When the pending reminders go out (ISO)'),
  moved: z.boolean().describe('next_slot moved it from the requested start'),
  created: z.boolean().describe('false: this call had already booked it'),
});
const view = (b: Booked) => ({
  eventId: b.event.id,
  calendarId: b.event.calendarId,
  start: b.event.startAt.toISOString(),
  end: b.event.endAt.toISOString(),
  reminders: b.reminders.filter((r) => r.kind === 'reminder' && r.status === 'pending').map((r) => r.remindAt.toISOString()),
  moved: b.moved,
  created: b.created,
});

/** The service's errors as the model reads them: a clash lists what it clashes with and the free slots to pick from. */
async function asTool<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof CalendarConflict) {
      const clashes = err.conflicts.map((c) => `"${c.title}" ${c.startAt} to ${c.endAt}`);
      const why = [...clashes, ...(err.reasons.includes('break') ? ['a break'] : []), ...(err.reasons.includes('outside_hours') ? ['outside working hours'] : [])];
      const slots = err.alternatives.length ? `Free alternatives (start to end): ${err.alternatives.map((s) => `${s.start} to ${s.end}`).join('; ')}.` : 'No free slot in the next 60 days.';
      throw new ToolError(`The time clashes with ${why.join(', ')}. ${slots} Call again with one of them as start, or with onConflict "next_slot".`, 'conflict');
    }
    if (err instanceof AppError && err.status === 404) throw new ToolError(err.message, 'not_found');
    if (err instanceof AppError && err.status < 500) throw new ToolError(err.message, err.status === 409 ? 'conflict' : 'invalid_arguments');
    throw err;
  }
}

const origin = (ctx: ToolContext) => ({ createdBy: { kind: ctx.agentId ? ('agent' as const) : ('system' as const), id: ctx.agentId }, runId: ctx.runId, toolCallId: ctx.toolCallId });

/**
 * The calendars' tools (issue 16; docs/calendars.md): what a decision's actions book, move and
 * cancel. Each is keyed by its tool call: the same call made again (a retry after a crash) books
 * nothing more and answers what the first did.
 */
export function calendarTools(calendars: CalendarService): ToolDefinition[] {
  const createEvent = defineTool({
    name: 'calendar_create_event',
    category: 'scheduling',
    description:
      'Books an event in a calendar (a staff member or a room, by id or name), checking clashes with other events, working hours and breaks. ' +
      'Default 30 minutes, reminders 24 h and 1 h before, a confirmation mail with an invitation to attendees with an address. ' +
      'A clash fails with the free alternatives, unless onConflict is "next_slot" (booked at the first free slot at or after start; moved: true).',
    inputSchema: z.object({
      calendar: z.string().min(1).max(200).describe('Calendar id or name'),
      title: z.string().trim().min(1).max(500),
      start,
      durationMinutes: duration.default(DEFAULT_DURATION_MINUTES),
      attendees: z.array(attendeeSchema).max(100).default([]),
      description: z.string().max(20_000).optional(),
      location: z.string().max(500).optional(),
      reminders: reminders.optional(),
      sendConfirmation: z.boolean().optional().describe('Default true when an attendee has an address'),
      onConflict: z.enum(['reject', 'next_slot']).default('reject'),
    }),
    outputSchema: bookedOutput,
    grantRoles: ['member', 'admin', 'owner'],
    requiresApproval: false,
    idempotent: false,
    keyedByCall: true,
    timeoutMs: 15_000,
    describe: (i) => `Book "${i.title}" in ${i.calendar} at ${i.start} (${i.durationMinutes} min)`,
    async execute(input, ctx) {
      const { calendar, ...rest } = input;
      return view(await asTool(() => calendars.createEvent(ctx.orgId, calendar, rest, origin(ctx))));
    },
  });

  const updateEvent = defineTool({
    name: 'calendar_update_event',
    category: 'scheduling',
    description: 'Moves or changes a booked event (by its id). Its pending reminders move with it; attendees are mailed the change. A clash fails with free alternatives unless onConflict is "next_slot".',
    inputSchema: z.object({
      eventId: z.uuid(),
      start: start.optional(),
      durationMinutes: duration.optional(),
      title: z.string().trim().min(1).max(500).optional(),
      description: z.string().max(20_000).optional(),
      location: z.string().max(500).optional(),
      attendees: z.array(attendeeSchema).max(100).optional(),
      reminders: reminders.optional(),
      onConflict: z.enum(['reject', 'next_slot']).default('reject'),
    }),
    outputSchema: bookedOutput,
    grantRoles: ['member', 'admin', 'owner'],
    requiresApproval: false,
    // Setting the same fields again gives the same event (only its SEQUENCE counts up).
    idempotent: true,
    timeoutMs: 15_000,
    async execute(input, ctx) {
      const { eventId, ...patch } = input;
      return view(await asTool(() => calendars.updateEvent(ctx.orgId, eventId, patch)));
    },
  });

  const cancelEvent = defineTool({
    name: 'calendar_cancel_event',
    category: 'scheduling',
    description: 'Cancels a booked event (by its id) and its reminders; attendees are mailed the cancellation. Cancelling a cancelled event changes nothing.',
    inputSchema: z.object({ eventId: z.uuid(), reason: z.string().max(2000).optional() }),
    outputSchema: z.object({ eventId: z.string(), status: z.string() }),
    grantRoles: ['member', 'admin', 'owner'],
    requiresApproval: false,
    idempotent: true,
    timeoutMs: 15_000,
    async execute(input, ctx) {
      const e = await asTool(() => calendars.cancelEvent(ctx.orgId, input.eventId, { reason: input.reason }));
      return { eventId: e.id, status: e.status };
    },
  });

  const findSlots = defineTool({
    name: 'calendar_find_slots',
    category: 'scheduling',
    description: "Lists the next free slots of a calendar (id or name) of the given length, at or after `from` (default now), inside its working hours and out of its breaks.",
    inputSchema: z.object({
      calendar: z.string().min(1).max(200),
      from: start.optional(),
      durationMinutes: duration.default(DEFAULT_DURATION_MINUTES),
      count: z.number().int().min(1).max(20).default(5),
    }),
    outputSchema: z.object({ calendarId: z.string(), timeZone: z.string(), slots: z.array(z.object({ start: z.string(), end: z.string() })) }),
    grantRoles: ['viewer', 'member', 'admin', 'owner'],
    requiresApproval: false,
    idempotent: true,
    timeoutMs: 15_000,
    async execute(input, ctx) {
      return asTool(() => calendars.freeSlots(ctx.orgId, input.calendar, input));
    },
  });

  return [createEvent, updateEvent, cancelEvent, findSlots];
}
