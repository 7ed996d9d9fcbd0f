import type { ToolDefinition } from '../../../tools/define.js';
import { defineTool } from '../../../tools/define.js';
import { ROLES } from '../../../shared/roles.js';
import { REPORTS, type Report } from './reports.js';

/**
 * The analytics as tools (category `analytics`): read-only, so every role may grant them and no
 * approval is asked; idempotent (the same arguments read the same rows). Each runs its report in
 * one read transaction of the agent's organization (`readOrg`: one round trip on PostgreSQL).
 */
export const ANALYTICS_TIMEOUT_MS = 30_000;

function analyticsTool(r: Report): ToolDefinition {
  return defineTool({
    name: r.tool,
    category: 'analytics',
    description: r.description,
    inputSchema: r.params,
    outputSchema: r.result,
    grantRoles: ROLES,
    requiresApproval: false,
    idempotent: true,
    timeoutMs: ANALYTICS_TIMEOUT_MS,
    execute: (input, ctx) => ctx.database.readOrg(ctx.orgId, (tx) => r.run(tx, ctx.orgId, input)),
  });
}

/** The twelve analytics tools, for the tool registry. */
export const analyticsTools: ToolDefinition[] = REPORTS.map(analyticsTool);
