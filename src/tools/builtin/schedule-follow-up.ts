import { z } from 'zod';
import { defineTool } from '../define.js';
import { FollowUps } from '../follow-ups.js';
import { contactSchema } from './create-support-ticket.js';

/** Furthest a follow-up may be scheduled: about five years. */
export const MAX_FOLLOW_UP_MINUTES = 5 * 366 * 24 * 60;

/**
 * Schedules something for later: a task for the calling agent that runs once at the due time
 * (plus a follow-up record). Give exactly one of `dueAt` (ISO time with offset, in the future) or
 * `inMinutes`. Internal only, so members may grant it too.
 */
export const scheduleFollowUp = defineTool({
  name: 'schedule_follow_up',
  category: 'scheduling',
  description: 'Schedules a follow-up for later: give dueAt (ISO 8601 with time zone offset) or inMinutes, and a note saying what to do.',
  inputSchema: z
    .object({
      dueAt: z.iso.datetime({ offset: true }).optional().describe('When, e.g. "2030-01-31T09:00:00+01:00"'),
      inMinutes: z.number().int().min(1).max(MAX_FOLLOW_UP_MINUTES).optional().describe('Or: this many minutes from now'),
      note: z.string().min(1).max(5_000).describe('What should happen then'),
      contact: contactSchema.optional(),
    })
    .superRefine((input, ctx) => {
      if ((input.dueAt === undefined) === (input.inMinutes === undefined)) {
        ctx.addIssue({ code: 'custom', path: ['dueAt'], message: 'give exactly one of dueAt or inMinutes' });
        return;
      }
      if (input.dueAt !== undefined) {
        const due = Date.parse(input.dueAt);
        if (due <= Date.now()) ctx.addIssue({ code: 'custom', path: ['dueAt'], message: 'must be in the future' });
        else if (due > Date.now() + MAX_FOLLOW_UP_MINUTES * 60_000) ctx.addIssue({ code: 'custom', path: ['dueAt'], message: 'must be within five years' });
      }
    }),
  outputSchema: z.object({ id: z.string(), dueAt: z.string(), status: z.literal('pending'), taskId: z.string().nullable() }),
  grantRoles: ['member', 'admin', 'owner'],
  requiresApproval: false,
  idempotent: false,
  timeoutMs: 10_000,
  async execute(input, ctx) {
    const dueAt = input.dueAt !== undefined ? new Date(input.dueAt) : new Date(Date.now() + input.inMinutes! * 60_000);
    // A task for this agent that runs once when the follow-up falls due; the follow-up row stays
    // as the record people list (GET /follow-ups).
    // A workflow's tool node has no agent to run it later: the follow-up is then a record only.
    const taskId = ctx.followUpTask && ctx.agentId ? await ctx.followUpTask.create(ctx.orgId, { agentId: ctx.agentId, runId: ctx.runId, dueAt, note: input.note, contact: input.contact }) : null;
    const row = await new FollowUps(ctx.database).create(ctx.orgId, { dueAt, note: input.note, contact: input.contact, agentId: ctx.agentId, runId: ctx.runId });
    return { id: row.id, dueAt: row.dueAt.toISOString(), status: 'pending' as const, taskId };
  },
});
