import { count, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type AppContext } from '../../src/app.js';
import { createAgentSchema } from '../../src/agents/dto.js';
import type { Actor } from '../../src/shared/roles.js';
import { ledgerEntries } from '../../src/billing/schema.js';
import { loadConfig } from '../../src/config/load.js';
import { runs, runSteps } from '../../src/runs/schema.js';
import { supportTickets } from '../../src/tools/schema.js';
import { TEST_SECRET_KEY, seedMember } from '../helpers/app.js';
import { createPgDatabase } from '../helpers/databases.js';
import { spawnScript, until } from './spawn.js';
import { startProviderStub, type ProviderStub } from '../helpers/provider-stub.js';

const worker = (env: Record<string, string>, orgId: string, runId: string) => spawnScript('worker.ts', [orgId, runId], env);

describe('crash and resume', () => {
  let stub: ProviderStub;
  let ctx: AppContext;
  let env: Record<string, string>;
  let drop: () => Promise<void>;

  beforeAll(async () => {
    stub = await startProviderStub();
    const db = await createPgDatabase();
    drop = db.drop;
    // The stub (127.0.0.1) is stored as the organization's base URL: allowed by the operator's setting.
    env = { DATABASE_URL: db.url, TROUPE_SECRET_KEY: TEST_SECRET_KEY, TROUPE_PRIVATE_MODEL_HOSTS: '127.0.0.1' };
    ctx = await createContext(loadConfig({ ...env, LOG_LEVEL: 'silent' }));
    // Runs are executed by the worker processes below, not by this one.
    ctx.services.runs.setDispatcher({ dispatch() {} });
  });
  afterAll(async () => {
    await ctx?.close();
    await stub?.close();
    await drop?.();
  });

  it('a run killed with SIGKILL mid-way finishes after restart, repeating no finished model or tool call', { timeout: 180_000 }, async () => {
    const owner = await seedMember(ctx, 'owner');
    const actor: Actor = { orgId: owner.orgId, role: 'owner', userId: owner.userId, apiKeyId: null };
    await ctx.services.models.putCredential(actor, 'openai', { apiKey: 'sk-test', baseUrl: `${stub.url}/v1` });
    const agent = await ctx.services.agents.create(actor, createAgentSchema.parse({ name: 'Support', model: 'openai:gpt-4o-mini', tools: ['create_support_ticket'] }));
    // Call 1 asks for a ticket (a non-idempotent side effect); call 2 is slow, and the worker dies during it.
    stub.enqueue(
      { toolCalls: [{ id: 'call_ticket', name: 'create_support_ticket', args: { subject: 'Printer on fire', description: 'Floor 3', priority: 'high' } }], usage: { input: 300, output: 40 } },
      { text: 'never delivered', delayMs: 60_000 },
    );
    const { run } = await ctx.services.runs.create(actor, agent.id, { task: 'Report the printer' }, { source: 'api' });

    const steps = () => ctx.database.system((tx) => tx.select().from(runSteps).where(eq(runSteps.runId, run.id)).orderBy(runSteps.seq));
    const first = worker(env, owner.orgId, run.id);
    // Killed during the slow second call, once its start is committed (it is written alongside
    // the call, not before it: docs/runs.md "Write path").
    await until(() => stub.requests.length >= 2);
    await until(async () => (await steps()).some((s) => s.stepKey === 'model:2'));
    first.child.kill('SIGKILL');
    expect(await first.exited).toBeNull();

    expect((await steps()).map((s) => [s.stepKey, s.status])).toEqual([
      ['model:1', 'succeeded'],
      ['tool:1:call_ticket', 'succeeded'],
      ['model:2', 'started'],
    ]);

    // Restart: the lease of the dead worker expires (simulated: no 30 s wait), a new process resumes.
    stub.reset();
    stub.enqueue({ text: 'Ticket filed for the printer.', usage: { input: 400, output: 12 } });
    await ctx.database.system((tx) => tx.update(runs).set({ leaseExpiresAt: sql`now() - interval '1 second'` }).where(eq(runs.id, run.id)));
    const second = worker(env, owner.orgId, run.id);
    expect(await second.exited).toBe(0);

    const [final] = await ctx.database.system((tx) => tx.select().from(runs).where(eq(runs.id, run.id)));
    expect(final).toMatchObject({ status: 'succeeded', output: 'Ticket filed for the printer.', generation: 2 });
    const after = await steps();
    expect(after.map((s) => [s.stepKey, s.status, s.attempts])).toEqual([
      ['model:1', 'succeeded', 1],
      ['tool:1:call_ticket', 'succeeded', 1],
      ['model:2', 'succeeded', 2],
    ]);
    // Only the unfinished call went to the provider again; the ticket exists once; one ledger row per finished call.
    expect(stub.requests).toHaveLength(1);
    const [tickets] = await ctx.database.system((tx) => tx.select({ n: count() }).from(supportTickets).where(eq(supportTickets.orgId, owner.orgId)));
    expect(tickets!.n).toBe(1);
    const [ledger] = await ctx.database.system((tx) => tx.select({ n: count() }).from(ledgerEntries).where(eq(ledgerEntries.runId, run.id)));
    expect(ledger!.n).toBe(2);
  });
});
