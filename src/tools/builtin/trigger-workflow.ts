import { z } from 'zod';
import { defineTool } from '../define.js';
import { ToolError } from '../errors.js';

/**
 * Starts a run of one of the organization's workflows (issue 15): an agent hands work to an
 * automation. The run is made once per call (its idempotency key is the calling run and tool call),
 * so a call made again after a crash answers the run the first made. Admin-granted: a workflow
 * may do anything its nodes do.
 */
export const triggerWorkflow = defineTool({
  name: 'trigger_workflow',
  category: 'automation',
  description:
    'Starts a run of one of the organization\'s workflows with an input object (checked against the workflow input schema). Returns the run id and its status; the workflow goes on in the background.',
  inputSchema: z.object({
    workflowId: z.uuid().describe('The workflow to run'),
    input: z.record(z.string(), z.unknown()).default({}).describe("The run's input"),
  }),
  outputSchema: z.object({ runId: z.string(), status: z.string() }),
  grantRoles: ['admin', 'owner'],
  requiresApproval: false,
  idempotent: false,
  keyedByCall: true,
  timeoutMs: 10_000,
  async execute(input, ctx) {
    if (!ctx.workflowStarter) throw new ToolError('Workflows cannot be started in this process');
    return ctx.workflowStarter.start(ctx.orgId, input.workflowId, input.input, `tool:${ctx.runId}:${ctx.toolCallId}`);
  },
});
