import { and, eq, inArray, isNull } from 'drizzle-orm';
import { liveAgentVersions } from '../agents/lookups.js';
import type { Tx } from '../db/client.js';
import { UUID_RE } from '../shared/ids.js';
import type { Actor, Role } from '../shared/roles.js';
import type { ValidationEnv } from './definition.js';
import { workflows } from './schema.js';

/** What validation reads of the tool registry: whether a tool exists and which roles may give it. */
export interface ToolLookup {
  get(name: string): { grantRoles: readonly Role[] } | undefined;
}

/** Ids of one kind a definition may name, at most this many (a definition holds at most 500 nodes per graph). */
const MAX_REFERENCES = 2000;

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The agents, tools and workflows an unchecked definition names, found by walking it as plain
 * JSON (map bodies too): the environment is read before validation, so it cannot rely on a
 * definition that parsed. Anything that is not where it belongs is skipped; validation reports it.
 */
export function referencesIn(input: unknown): { agentIds: string[]; tools: string[]; workflowIds: string[] } {
  const agentIds = new Set<string>();
  const tools = new Set<string>();
  const workflowIds = new Set<string>();
  const add = (set: Set<string>, v: unknown) => {
    if (typeof v === 'string' && set.size < MAX_REFERENCES) set.add(v);
  };
  if (!isObject(input)) return { agentIds: [], tools: [], workflowIds: [] };
  if (isObject(input.settings)) add(workflowIds, input.settings.errorWorkflowId);
  // Iterative: a hostile body may nest map bodies as deep as the JSON parser allows.
  const graphs: unknown[] = [input.graph];
  while (graphs.length) {
    const graph = graphs.pop();
    if (!isObject(graph) || !Array.isArray(graph.nodes)) continue;
    for (const node of graph.nodes) {
      if (!isObject(node) || !isObject(node.config)) continue;
      const c = node.config;
      if (node.type === 'agent') add(agentIds, c.agentId);
      else if (node.type === 'tool') add(tools, c.tool);
      else if (node.type === 'sub_workflow') add(workflowIds, c.workflowId);
      else if (node.type === 'map') graphs.push(c.graph);
    }
  }
  return { agentIds: [...agentIds], tools: [...tools], workflowIds: [...workflowIds] };
}

/**
 * The ValidationEnv of a definition: the organization's live agents it names (with their current
 * version), the registered tools it names (allowed when the actor's role is one of the tool's
 * grantRoles, as for giving a tool to an agent), and the organization's live (not archived)
 * workflows it names. Ids that are not UUIDs cannot name anything and are not looked up.
 */
export async function loadValidationEnv(tx: Tx, tools: ToolLookup, actor: Actor, input: unknown, selfId?: string): Promise<ValidationEnv> {
  const refs = referencesIn(input);
  const agentIds = refs.agentIds.filter((id) => UUID_RE.test(id));
  const workflowIds = refs.workflowIds.filter((id) => UUID_RE.test(id));
  const [agents, found] = await Promise.all([
    liveAgentVersions(tx, actor.orgId, agentIds),
    workflowIds.length
      ? tx
          .select({ id: workflows.id })
          .from(workflows)
          .where(and(eq(workflows.orgId, actor.orgId), inArray(workflows.id, workflowIds), isNull(workflows.archivedAt)))
      : Promise.resolve([]),
  ]);
  const toolMap = new Map<string, { allowed: boolean }>();
  for (const name of refs.tools) {
    const def = tools.get(name);
    if (def) toolMap.set(name, { allowed: def.grantRoles.includes(actor.role) });
  }
  // Keyed by the ids as the definition spells them (PostgreSQL answers UUIDs in lower case).
  const agentMap = new Map<string, { currentVersion: number }>();
  for (const id of agentIds) {
    const agent = agents.get(id.toLowerCase());
    if (agent) agentMap.set(id, agent);
  }
  const live = new Set(found.map((r) => r.id));
  return {
    role: actor.role,
    agents: agentMap,
    tools: toolMap,
    workflows: new Set(workflowIds.filter((id) => live.has(id.toLowerCase()))),
    ...(selfId ? { selfId } : {}),
  };
}
