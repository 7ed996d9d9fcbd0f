import { z } from 'zod';
import { defineTool } from '../define.js';
import { TICKET_PRIORITIES, Tickets } from '../tickets.js';

/** A person to get back to; every field optional, none invented by the schema. */
export const contactSchema = z
  .object({
    name: z.string().max(200).optional(),
    email: z.email().max(254).optional(),
    phone: z.string().max(50).optional(),
    note: z.string().max(1_000).optional(),
  })
  .describe('Who to get back to');

/** Opens a ticket people work on at /tickets. Internal only, so members may grant it too. */
export const createSupportTicket = defineTool({
  name: 'create_support_ticket',
  category: 'support',
  description: "Opens a support ticket for the organization's staff (status open) and returns its id.",
  inputSchema: z.object({
    subject: z.string().min(1).max(300),
    description: z.string().max(20_000).default(''),
    priority: z.enum(TICKET_PRIORITIES).default('normal'),
    requester: contactSchema.optional(),
  }),
  outputSchema: z.object({ id: z.string(), status: z.literal('open'), priority: z.enum(TICKET_PRIORITIES) }),
  grantRoles: ['member', 'admin', 'owner'],
  requiresApproval: false,
  idempotent: false,
  // One ticket per tool call (a unique key), so a call interrupted mid-way is simply made again.
  keyedByCall: true,
  timeoutMs: 10_000,
  async execute(input, ctx) {
    const row = await new Tickets(ctx.database, ctx.engineEvents).create(ctx.orgId, { ...input, agentId: ctx.agentId, runId: ctx.runId, toolCallId: ctx.toolCallId });
    return { id: row.id, status: 'open' as const, priority: input.priority };
  },
});
