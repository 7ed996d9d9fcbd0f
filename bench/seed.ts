import { createAgentSchema } from '../src/agents/dto.js';
import type { AppContext } from '../src/app.js';
import type { Actor } from '../src/shared/roles.js';
import { memberships, organizations, users } from '../src/auth/schema.js';

/**
 * What the benchmarks run against: an organization with an owner, OpenAI credentials pointing at
 * the local model stub (the context needs TROUPE_PRIVATE_MODEL_HOSTS=127.0.0.1 to allow it), and
 * one agent with the calculator tool.
 */
export async function seedBenchAgent(ctx: AppContext, stubUrl: string): Promise<{ actor: Actor; agentId: string }> {
  const ids = await ctx.database.system(async (tx) => {
    const [org] = await tx.insert(organizations).values({ name: 'Bench' }).returning();
    const [user] = await tx.insert(users).values({ email: `bench-${Date.now()}@example.com`, name: 'Bench', passwordHash: 'x' }).returning();
    await tx.insert(memberships).values({ orgId: org!.id, userId: user!.id, role: 'owner' });
    return { orgId: org!.id, userId: user!.id };
  });
  const actor: Actor = { orgId: ids.orgId, role: 'owner', userId: ids.userId, apiKeyId: null };
  await ctx.services.models.putCredential(actor, 'openai', { apiKey: 'sk-bench', baseUrl: `${stubUrl}/v1` });
  const agent = await ctx.services.agents.create(actor, createAgentSchema.parse({ name: 'Bench agent', model: 'openai:gpt-4o-mini', tools: ['calculator'], limits: { maxSteps: 10, timeoutSeconds: 600 } }));
  return { actor, agentId: agent.id };
}
