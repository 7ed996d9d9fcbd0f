import { and, desc, eq, gte, inArray, lte, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { defineTool } from '../../../tools/define.js';
import { listContactsQuery } from '../crm/dto/people.js';
import { BOOKING_KINDS, BOOKING_STATUSES, CONTACT_STATUSES, MEMBER_STATUSES, PAYMENT_STATUSES } from '../crm/enums.js';
import { fitnessBookings, fitnessPayments } from '../crm/schema.js';
import { contactIn, contactLine, crmOf, fullName, idSchema, limitSchema, loadContact, nextOffset, offsetSchema, timeSchema, toolActor, viaCrm } from './common.js';
import { bookingLines, contactProfile, paymentLine, paymentTotals } from './profile.js';

// The CRM's members ("clients"): search, profile, bookings, payments, status.

const READ = { grantRoles: ['member', 'admin', 'owner'] as const, requiresApproval: false, idempotent: true, timeoutMs: 15_000 };
const days = z.number().int().min(1).max(3650);
const ago = (n: number) => new Date(Date.now() - n * 86_400_000).toISOString();

/** Filters shared by search_clients and search_leads, mapped onto the CRM's contact list. */
export const contactSearchFields = {
  query: z.string().trim().min(1).max(200).optional().describe('Words of the name, email, phone digits or external id ("jane", "jane.doe@", "+1 555")'),
  tag: z.string().trim().toLowerCase().min(1).max(50).optional().describe('Only contacts carrying this tag'),
  notVisitedForDays: days.optional().describe('Only contacts with no visit in this many days (never visited included)'),
  visitedWithinDays: days.optional().describe('Only contacts who visited in this many days'),
  consent: z.enum(['email', 'sms', 'marketing']).optional().describe('Only contacts who agreed to this and have not opted out'),
  sort: z.enum(['newest', 'name']).default('newest'),
  limit: limitSchema(),
  offset: offsetSchema,
};
type SearchInput = z.output<z.ZodObject<typeof contactSearchFields>>;

/** The CRM list query for a search (validated by the CRM's own schema: one search semantics for API and tools). */
export function contactListQuery(input: SearchInput, extra: Record<string, unknown>) {
  return listContactsQuery.parse({
    q: input.query,
    tag: input.tag,
    consent: input.consent,
    notVisitedSince: input.notVisitedForDays ? ago(input.notVisitedForDays) : undefined,
    visitedSince: input.visitedWithinDays ? ago(input.visitedWithinDays) : undefined,
    limit: input.limit,
    offset: input.offset,
    sortBy: input.sort === 'name' ? 'name' : 'createdAt',
    sortOrder: input.sort === 'name' ? 'asc' : 'desc',
    ...extra,
  });
}

export const searchClients = defineTool({
  name: 'search_clients',
  category: 'crm',
  description:
    "Searches the gym's members (clients) by name, email, phone or tag, status, last visit and consent. Returns compact rows " +
    '(id, name, status, email, phone, tags, lastVisitAt, visits30d), the total matching, and nextOffset for the next page. ' +
    'Members by default (statuses active, frozen, cancelled, former); use search_leads for prospects.',
  inputSchema: z.object({
    ...contactSearchFields,
    status: z.array(z.enum(CONTACT_STATUSES)).min(1).max(6).optional().describe('Only these statuses (default: every member status)'),
  }),
  ...READ,
  async execute(input, ctx) {
    const q = contactListQuery(input, { status: input.status ?? [...MEMBER_STATUSES] });
    const page = await viaCrm(() => crmOf(ctx).contacts.list(toolActor(ctx), q));
    return { total: page.total, items: page.items.map(contactLine), nextOffset: nextOffset(input.offset, page.items.length, page.total) };
  },
});

export const viewClientProfile = defineTool({
  name: 'view_client_profile',
  category: 'crm',
  description:
    "One member's (or lead's) profile: contact details, consents, status, memberships with plan and price, payment totals and the latest " +
    'payments, upcoming bookings and the last 90 days of attendance, active goals, latest measurements, recent notes and messages.',
  inputSchema: z.object({ clientId: idSchema('client (contact)') }),
  ...READ,
  async execute(input, ctx) {
    return ctx.database.withOrg(ctx.orgId, async (tx) => contactProfile(tx, ctx.orgId, await contactIn(tx, ctx.orgId, input.clientId, 'Client')));
  },
});

export const viewClientBookings = defineTool({
  name: 'view_client_bookings',
  category: 'crm',
  description:
    "A member's bookings (classes, trials, facility tours) with the class name, time, room and status (booked, attended, no_show, cancelled). " +
    'Newest first; upcomingOnly lists the next ones soonest first.',
  inputSchema: z.object({
    clientId: idSchema('client (contact)'),
    upcomingOnly: z.boolean().default(false),
    from: timeSchema.optional().describe('Bookings starting at or after this time'),
    to: timeSchema.optional().describe('Bookings starting at or before this time'),
    status: z.array(z.enum(BOOKING_STATUSES)).min(1).max(4).optional(),
    kind: z.enum(BOOKING_KINDS).optional(),
    limit: limitSchema(),
    offset: offsetSchema,
  }),
  ...READ,
  async execute(input, ctx) {
    return ctx.database.withOrg(ctx.orgId, async (tx) => {
      const client = await contactIn(tx, ctx.orgId, input.clientId, 'Client');
      const b = fitnessBookings;
      const where: SQL[] = [eq(b.contactId, client.id)];
      if (input.upcomingOnly) where.push(gte(b.startsAt, new Date()));
      if (input.from) where.push(gte(b.startsAt, new Date(input.from)));
      if (input.to) where.push(lte(b.startsAt, new Date(input.to)));
      if (input.status) where.push(inArray(b.status, input.status));
      if (input.kind) where.push(eq(b.kind, input.kind));
      // One row more than asked tells whether another page exists (a full last page is not followed by an empty one).
      const rows = await bookingLines(tx, ctx.orgId, where, input.upcomingOnly ? 'asc' : 'desc', input.limit + 1, input.offset);
      const items = rows.slice(0, input.limit);
      return { client: { id: client.id, name: fullName(client) }, count: items.length, items, nextOffset: rows.length > input.limit ? input.offset + items.length : null };
    });
  },
});

export const viewClientPayments = defineTool({
  name: 'view_client_payments',
  category: 'crm',
  description:
    "A member's payments, newest first, with totals over the same filters: collected, refunded, net and failed. Money is given as " +
    'micro-dollars and as dollars ("$49.00").',
  inputSchema: z.object({
    clientId: idSchema('client (contact)'),
    from: timeSchema.optional().describe('Paid (or attempted) at or after this time'),
    to: timeSchema.optional().describe('Paid (or attempted) at or before this time'),
    status: z.array(z.enum(PAYMENT_STATUSES)).min(1).max(4).optional(),
    limit: limitSchema(),
    offset: offsetSchema,
  }),
  ...READ,
  async execute(input, ctx) {
    return ctx.database.withOrg(ctx.orgId, async (tx) => {
      const client = await contactIn(tx, ctx.orgId, input.clientId, 'Client');
      const p = fitnessPayments;
      const where = and(
        eq(p.orgId, ctx.orgId),
        eq(p.contactId, client.id),
        input.from ? gte(p.paidAt, new Date(input.from)) : undefined,
        input.to ? lte(p.paidAt, new Date(input.to)) : undefined,
        input.status ? inArray(p.status, input.status) : undefined,
      )!;
      const [totals, rows] = await Promise.all([paymentTotals(tx, where), tx.select().from(p).where(where).orderBy(desc(p.paidAt), desc(p.id)).limit(input.limit).offset(input.offset)]);
      return { client: { id: client.id, name: fullName(client) }, totals, items: rows.map(paymentLine), nextOffset: nextOffset(input.offset, rows.length, totals.payments) };
    });
  },
});

export const updateClientStatus = defineTool({
  name: 'update_client_status',
  category: 'crm',
  description:
    "Changes a contact's status (lead, trial, active, frozen, cancelled, former) and, when it changed, leaves a note with the reason. " +
    "It does not touch their subscriptions or payments. Setting the status it already has changes nothing.",
  inputSchema: z.object({
    clientId: idSchema('client (contact)'),
    status: z.enum(CONTACT_STATUSES),
    reason: z.string().trim().min(1).max(1000).optional().describe('Why: kept as a note on the contact'),
  }),
  outputSchema: z.object({ id: z.string(), name: z.string(), previousStatus: z.enum(CONTACT_STATUSES), status: z.enum(CONTACT_STATUSES), changed: z.boolean(), noteId: z.string().nullable() }),
  grantRoles: ['member', 'admin', 'owner'],
  requiresApproval: false,
  // Setting a status is the same change made twice; the note is written only when it changed.
  idempotent: true,
  timeoutMs: 15_000,
  describe: (input) => `Set the contact's status to ${input.status}${input.reason ? `: ${input.reason}` : ''}`,
  async execute(input, ctx) {
    const actor = toolActor(ctx);
    const before = await loadContact(ctx, input.clientId, 'Client');
    const crm = crmOf(ctx);
    if (before.status === input.status) return { id: before.id, name: fullName(before), previousStatus: before.status, status: input.status, changed: false, noteId: null };
    await viaCrm(() => crm.contacts.update(actor, before.id, { status: input.status }));
    const body = `Status changed from ${before.status} to ${input.status} by an agent${input.reason ? `: ${input.reason}` : '.'}`;
    const note = await viaCrm(() => crm.notes.create(actor, { contactId: before.id, body, authorStaffId: null }));
    return { id: before.id, name: fullName(before), previousStatus: before.status, status: input.status, changed: true, noteId: note.id };
  },
});
