import { and, asc, desc, eq, gte, inArray, lte, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Tx } from '../../../db/client.js';
import { UUID_RE } from '../../../shared/ids.js';
import { defineTool } from '../../../tools/define.js';
import { ToolError } from '../../../tools/errors.js';
import { PAYMENT_METHODS, PAYMENT_STATUSES, SUBSCRIPTION_STATUSES } from '../crm/enums.js';
import { fitnessContacts, fitnessPayments, fitnessPlans, fitnessSubscriptions } from '../crm/schema.js';
import { contactIn, fullName, limitSchema, nextOffset, offsetSchema, timeSchema } from './common.js';
import { paymentLine, paymentTotals, subscriptionLines } from './profile.js';

// Money across the organization: payments and subscriptions with totals.

const READ = { grantRoles: ['member', 'admin', 'owner'] as const, requiresApproval: false, idempotent: true, timeoutMs: 20_000 };
const micros = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

export const queryPayments = defineTool({
  name: 'query_payments',
  category: 'crm',
  description:
    "Lists the gym's payments with filters (time, status, method, client, amount) and totals over everything matching: count, " +
    'collected, refunded, net, failed. Money is given as micro-dollars and as dollars. Newest first by default.',
  inputSchema: z.object({
    from: timeSchema.optional().describe('Paid (or attempted) at or after this time'),
    to: timeSchema.optional().describe('Paid (or attempted) at or before this time'),
    status: z.array(z.enum(PAYMENT_STATUSES)).min(1).max(4).optional(),
    method: z.enum(PAYMENT_METHODS).optional(),
    clientId: z.uuid().optional(),
    minAmountMicros: micros.optional().describe('At least this much (micro-dollars: $49 = 49000000)'),
    maxAmountMicros: micros.optional(),
    sort: z.enum(['newest', 'oldest', 'largest']).default('newest'),
    limit: limitSchema(),
    offset: offsetSchema,
  }),
  ...READ,
  async execute(input, ctx) {
    return ctx.database.withOrg(ctx.orgId, async (tx) => {
      if (input.clientId) await contactIn(tx, ctx.orgId, input.clientId, 'Client');
      const p = fitnessPayments;
      const where = and(
        eq(p.orgId, ctx.orgId),
        input.from ? gte(p.paidAt, new Date(input.from)) : undefined,
        input.to ? lte(p.paidAt, new Date(input.to)) : undefined,
        input.status ? inArray(p.status, input.status) : undefined,
        input.method ? eq(p.method, input.method) : undefined,
        input.clientId ? eq(p.contactId, input.clientId) : undefined,
        input.minAmountMicros !== undefined ? gte(p.amountMicros, input.minAmountMicros) : undefined,
        input.maxAmountMicros !== undefined ? lte(p.amountMicros, input.maxAmountMicros) : undefined,
      )!;
      const order = input.sort === 'largest' ? [desc(p.amountMicros), desc(p.paidAt)] : input.sort === 'oldest' ? [asc(p.paidAt)] : [desc(p.paidAt)];
      const [totals, rows] = await Promise.all([
        paymentTotals(tx, where),
        tx
          .select({ p, firstName: fitnessContacts.firstName, lastName: fitnessContacts.lastName })
          .from(p)
          .innerJoin(fitnessContacts, eq(fitnessContacts.id, p.contactId))
          .where(where)
          .orderBy(...order, asc(p.id))
          .limit(input.limit)
          .offset(input.offset),
      ]);
      return {
        totals,
        items: rows.map((r) => ({ ...paymentLine(r.p), clientId: r.p.contactId, clientName: fullName(r) })),
        nextOffset: nextOffset(input.offset, rows.length, totals.payments),
      };
    });
  },
});

/** A plan by id or name (any case). */
async function planIn(tx: Tx, orgId: string, ref: string) {
  const where = UUID_RE.test(ref) ? eq(fitnessPlans.id, ref) : sql`lower(${fitnessPlans.name}) = lower(${ref})`;
  const [plan] = await tx
    .select({ id: fitnessPlans.id, name: fitnessPlans.name })
    .from(fitnessPlans)
    .where(and(eq(fitnessPlans.orgId, orgId), where));
  if (!plan) throw new ToolError(`Plan "${ref}" not found in this organization`, 'not_found');
  return plan;
}

export const querySubscriptions = defineTool({
  name: 'query_subscriptions',
  category: 'crm',
  description:
    "Lists memberships (subscriptions) with filters (status, plan, client, when started or cancelled) and counts over everything matching, " +
    'by status and by plan. Each row has the plan, price per period (micro-dollars and dollars), status, start and cancellation with its reason.',
  inputSchema: z.object({
    status: z.array(z.enum(SUBSCRIPTION_STATUSES)).min(1).max(4).optional(),
    plan: z.string().trim().min(1).max(200).optional().describe("A plan's name or id"),
    clientId: z.uuid().optional(),
    startedFrom: timeSchema.optional(),
    startedTo: timeSchema.optional(),
    cancelledFrom: timeSchema.optional(),
    cancelledTo: timeSchema.optional(),
    limit: limitSchema(),
    offset: offsetSchema,
  }),
  ...READ,
  async execute(input, ctx) {
    return ctx.database.withOrg(ctx.orgId, async (tx) => {
      if (input.clientId) await contactIn(tx, ctx.orgId, input.clientId, 'Client');
      const plan = input.plan ? await planIn(tx, ctx.orgId, input.plan) : null;
      const s = fitnessSubscriptions;
      const where = [
        input.status ? inArray(s.status, input.status) : undefined,
        plan ? eq(s.planId, plan.id) : undefined,
        input.clientId ? eq(s.contactId, input.clientId) : undefined,
        input.startedFrom ? gte(s.startedAt, new Date(input.startedFrom)) : undefined,
        input.startedTo ? lte(s.startedAt, new Date(input.startedTo)) : undefined,
        input.cancelledFrom ? gte(s.cancelledAt, new Date(input.cancelledFrom)) : undefined,
        input.cancelledTo ? lte(s.cancelledAt, new Date(input.cancelledTo)) : undefined,
      ].filter((w): w is SQL => w !== undefined);
      const [groups, items] = await Promise.all([
        tx
          .select({ status: s.status, plan: fitnessPlans.name, n: sql<number>`count(*)`.mapWith(Number) })
          .from(s)
          .innerJoin(fitnessPlans, eq(fitnessPlans.id, s.planId))
          .where(and(eq(s.orgId, ctx.orgId), ...where))
          .groupBy(s.status, fitnessPlans.name),
        subscriptionLines(tx, ctx.orgId, where, input.limit, input.offset),
      ]);
      const byStatus: Record<string, number> = {};
      const byPlan: Record<string, number> = {};
      let total = 0;
      for (const g of groups) {
        total += g.n;
        byStatus[g.status] = (byStatus[g.status] ?? 0) + g.n;
        byPlan[g.plan] = (byPlan[g.plan] ?? 0) + g.n;
      }
      return { total, byStatus, byPlan, items, nextOffset: nextOffset(input.offset, items.length, total) };
    });
  },
});
