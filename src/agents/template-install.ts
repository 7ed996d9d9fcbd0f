import type { AuditService } from '../audit/service.js';
import { AppError } from '../shared/errors.js';
import type { Actor, Role } from '../shared/roles.js';
import { createAgentSchema } from './dto.js';
import type { AgentService } from './service.js';
import type { InstallResult, InstallTemplateInput, TemplateFile } from './template-dto.js';

/** What installing needs of the task types (the execute module's service): map these types to the new agent where unmapped. */
export interface TaskTypeRegistrar {
  registerDefaults(actor: Actor, agentId: string, types: { type: string; instruction: string }[]): Promise<InstallResult['taskTypes']>;
}

export interface InstallDeps {
  agents: Pick<AgentService, 'create'>;
  /** The tool registry: a tool's grant roles, undefined when there is no such tool. */
  tool: (name: string) => { grantRoles: readonly Role[] } | undefined;
  taskTypes: TaskTypeRegistrar;
  audit: Pick<AuditService, 'record'>;
}

/**
 * Creates an agent from a template through the agent service (version 1, the name rule, the
 * tool grants), as the actor. Tools the server lacks, or the actor's role may not grant, are
 * left out and reported rather than failing the install; the template's task types are mapped
 * to the new agent where the organization has not mapped them yet. A taken name: 409 naming
 * `body.name`. Audited as `agent.created` with the template's id.
 */
export async function installTemplate(deps: InstallDeps, actor: Actor, template: TemplateFile, body: InstallTemplateInput, requestId?: string): Promise<InstallResult> {
  const skippedTools: InstallResult['skippedTools'] = [];
  const tools = template.tools.filter((name) => {
    const def = deps.tool(name);
    if (!def) {
      skippedTools.push({ name, reason: 'unknown_tool', message: `This server has no tool named ${name}` });
      return false;
    }
    if (!def.grantRoles.includes(actor.role)) {
      skippedTools.push({ name, reason: 'not_grantable', message: `The ${actor.role} role may not give agents ${name} (needs ${def.grantRoles.join(' or ')})` });
      return false;
    }
    return true;
  });
  const name = body.name ?? template.name;
  const input = createAgentSchema.parse({
    name,
    description: template.description,
    role: template.role,
    model: body.model ?? template.recommendedModel,
    temperature: template.temperature,
    instructions: template.systemPrompt,
    personality: template.personality,
    tools,
    approvalTools: template.approvalTools.filter((t) => tools.includes(t)),
    tags: [...template.tags, template.pack, `template:${template.id}`],
    limits: template.limits,
  });
  let agent;
  try {
    agent = await deps.agents.create(actor, input);
  } catch (err) {
    if (err instanceof AppError && err.code === 'agent_name_taken') {
      throw new AppError(
        409,
        'agent_name_taken',
        `An agent named "${name}" already exists in this organization; install the template under another name (body.name)`,
        [{ path: 'body.name', message: `"${name}" is taken` }],
      );
    }
    throw err;
  }
  const taskTypes = await deps.taskTypes.registerDefaults(
    actor,
    agent.id,
    template.taskTypes.map((t) => ({ type: t.type, instruction: t.instruction })),
  );
  await deps.audit.record({
    orgId: actor.orgId,
    actor,
    action: 'agent.created',
    targetType: 'agent',
    targetId: agent.id,
    details: { template: template.id, ...(skippedTools.length ? { skippedTools: skippedTools.map((s) => s.name) } : {}) },
    requestId,
  });
  return { agent, template: template.id, skippedTools, taskTypes };
}
