import pg from 'pg';
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

/**
 * A fresh PostgreSQL database for one bench run, on the server `adminUrl` names
 * (BENCH_DATABASE_URL, default the local server): its URL, and `drop` to remove it afterwards.
 */
export async function scratchDatabase(prefix: string, adminUrl = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `${prefix}_${process.pid}`;
  const admin = async (statement: string) => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    try {
      await c.query(statement);
    } finally {
      await c.end();
    }
  };
  await admin(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`drop database if exists ${name} with (force)`) };
}
