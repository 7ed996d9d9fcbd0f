import { z } from 'zod';
import { defineTool } from '../define.js';
import { NOTIFICATION_LEVELS, Notifications } from '../notifications.js';

/**
 * Tells the organization's people something in the app (the bell in the dashboard). Internal
 * only, so members may grant it too.
 */
export const notifyStaff = defineTool({
  name: 'notify_staff',
  category: 'staff',
  description:
    'Sends an in-app notification to the staff of this organization (everyone, or one user by id). ' +
    'Use level "urgent" only for what needs a person now.',
  inputSchema: z.object({
    title: z.string().min(1).max(200),
    body: z.string().max(5_000).default(''),
    level: z.enum(NOTIFICATION_LEVELS).default('info'),
    userId: z.uuid().optional().describe('Only this user sees it; omit to notify everyone'),
  }),
  outputSchema: z.object({ id: z.string(), notified: z.enum(['everyone', 'user']) }),
  grantRoles: ['member', 'admin', 'owner'],
  requiresApproval: false,
  idempotent: false,
  timeoutMs: 10_000,
  describe: (input) => `Notify ${input.userId ? 'one staff member' : 'all staff'} (${input.level}): '${input.title}'`,
  async execute(input, ctx) {
    const row = await new Notifications(ctx.database).create(ctx.orgId, {
      ...input,
      data: { source: 'notify_staff', agentId: ctx.agentId, toolCallId: ctx.toolCallId },
      runId: ctx.runId,
    });
    return { id: row.id, notified: input.userId ? ('user' as const) : ('everyone' as const) };
  },
});
