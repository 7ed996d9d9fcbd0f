import { z } from 'zod';
import { defineTool } from '../define.js';
import { ToolError } from '../errors.js';
import { EVENT_TYPE_HINT, EVENT_TYPE_RE } from '../../shared/event-type.js';

/**
 * Records an event for the organization (issue 16; docs/events.md): what an agent noticed becomes
 * an event its triggers act on (another agent, a workflow). Once per call: the event's dedupe key
 * is the calling run and tool call, so a call made again after a crash finds the event the first
 * made. Admin-granted, as trigger_workflow: an event may start any trigger's work.
 */
export const emitEvent = defineTool({
  name: 'emit_event',
  category: 'automation',
  description: "Records an event (a type such as lead.qualified, and a JSON payload) in the organization's event log; triggers listening for that type start their work.",
  inputSchema: z.object({
    type: z
      .string()
      .min(1)
      .max(200)
      .regex(EVENT_TYPE_RE, EVENT_TYPE_HINT)
      .describe('What happened, e.g. lead.qualified'),
    payload: z.record(z.string(), z.unknown()).default({}).describe('The details'),
  }),
  outputSchema: z.object({ eventId: z.string(), duplicate: z.boolean() }),
  grantRoles: ['admin', 'owner'],
  requiresApproval: false,
  idempotent: false,
  keyedByCall: true,
  timeoutMs: 10_000,
  async execute(input, ctx) {
    if (!ctx.eventEmitter) throw new ToolError('Events cannot be recorded in this process');
    return ctx.eventEmitter.emit(ctx.orgId, { type: input.type, payload: input.payload, dedupeKey: `tool:${ctx.runId}:${ctx.toolCallId}` });
  },
});
