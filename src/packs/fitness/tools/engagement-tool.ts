import { and, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import { defineTool } from '../../../tools/define.js';
import { ToolError } from '../../../tools/errors.js';
import { engagementOf } from '../analytics/engagement.js';
import { fitnessContacts } from '../crm/schema.js';
import { fullName } from './common.js';

/** Bands people read: 70 and up engaged, 40 to 69 drifting, under 40 at risk. */
export const band = (score: number) => (score >= 70 ? 'high' : score >= 40 ? 'medium' : 'low');

const FORMULA =
  'score 0-100 from the 30 days before now = recency (0-40: 40 for a visit in the last 2 days, 2 fewer per day after) + frequency ' +
  '(0-30: 2.5 per check-in, full at 12) + reliability (0-20: 5 off per no-show) + payments (0-10: 5 off per failed payment)';

/**
 * The engagement score of the analytics (src/packs/fitness/analytics/engagement.ts): one formula for
 * this tool, member engagement and at-risk members.
 */
export const calculateEngagementScore = defineTool({
  name: 'calculate_engagement_score',
  category: 'crm',
  description:
    `The engagement score (0-100) of one or more members, with its parts and the figures behind them. ${FORMULA}. Band: high (70+), ` +
    'medium (40-69), low (under 40: at risk).',
  inputSchema: z.object({
    clientIds: z.array(z.uuid()).min(1).max(50).describe('One or more client (contact) ids'),
  }),
  grantRoles: ['member', 'admin', 'owner'],
  requiresApproval: false,
  idempotent: true,
  timeoutMs: 15_000,
  async execute(input, ctx) {
    const asOf = new Date();
    return ctx.database.withOrg(ctx.orgId, async (tx) => {
      const ids = [...new Set(input.clientIds)];
      const contacts = await tx
        .select({ id: fitnessContacts.id, firstName: fitnessContacts.firstName, lastName: fitnessContacts.lastName, status: fitnessContacts.status })
        .from(fitnessContacts)
        .where(and(eq(fitnessContacts.orgId, ctx.orgId), inArray(fitnessContacts.id, ids)));
      if (contacts.length === 0) throw new ToolError(`${ids.length === 1 ? 'Client' : 'None of these clients'} found in this organization`, 'not_found');
      const scores = await engagementOf(tx, ctx.orgId, contacts.map((c) => c.id), asOf);
      const found = new Set(contacts.map((c) => c.id));
      return {
        asOf: asOf.toISOString(),
        formula: FORMULA,
        items: contacts.map((c) => {
          const e = scores.get(c.id)!;
          return {
            clientId: c.id,
            name: fullName(c),
            status: c.status,
            score: e.score,
            band: band(e.score),
            parts: { recency: e.recency, frequency: e.frequency, reliability: e.reliability, payments: e.payments },
            inputs: { daysSinceLastVisit: e.daysSinceLastVisit, visits30d: e.visits30d, noShows30d: e.noShows30d, failedPayments30d: e.failedPayments30d },
          };
        }),
        notFound: ids.filter((id) => !found.has(id)),
      };
    });
  },
});
