import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type AppContext } from '../../src/app.js';
import type { Actor } from '../../src/auth/roles.js';
import { loadConfig } from '../../src/config/load.js';
import { createAgentSchema } from '../../src/agents/dto.js';
import { runs } from '../../src/runs/schema.js';
import { scheduleFires, schedulerLeader } from '../../src/schedules/schema.js';
import { TEST_SECRET_KEY, seedMember } from '../helpers/app.js';
import { createPgDatabase } from '../helpers/databases.js';
import { startTroupe, type TroupeProcess } from '../helpers/processes.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('distributed: two scheduler processes on one PostgreSQL', () => {
  let ctx: AppContext;
  let drop: () => Promise<void>;
  let env: Record<string, string>;
  const procs: TroupeProcess[] = [];

  beforeAll(async () => {
    const db = await createPgDatabase();
    drop = db.drop;
    env = { DATABASE_URL: db.url, TROUPE_SECRET_KEY: TEST_SECRET_KEY };
    ctx = await createContext(loadConfig({ ...env, LOG_LEVEL: 'silent' }));
  });
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await ctx?.close();
    await drop?.();
  });

  it('a per-second schedule fires once per second for 10 s: no duplicates, no gaps', { timeout: 90_000 }, async () => {
    const owner = await seedMember(ctx, 'owner');
    const actor: Actor = { orgId: owner.orgId, role: 'owner', userId: owner.userId, apiKeyId: null };
    const agent = await ctx.services.agents.create(actor, createAgentSchema.parse({ name: 'Reporter', model: 'openai:gpt-4o-mini' }));

    const schedulers = [startTroupe(['scheduler'], env), startTroupe(['scheduler'], env)];
    procs.push(...schedulers);
    await Promise.all(schedulers.map((s) => s.waitFor(/scheduler started/)));

    // Created once both are up, so the whole window is watched by two processes.
    const task = await ctx.services.tasks.create(actor, {
      agentId: agent.id,
      title: 'Tick',
      instructions: 'Say the time',
      context: {},
      priority: 'normal',
      schedule: { cron: '* * * * * *', timezone: 'UTC' },
    });
    await sleep(10_500);
    // Both still running; exactly one leads.
    for (const s of schedulers) expect(s.child.exitCode).toBeNull();
    const [leader] = await ctx.database.system((tx) => tx.select().from(schedulerLeader));
    expect(leader?.holder).toBeTruthy();
    await Promise.all(schedulers.map((s) => s.stop()));

    const fires = await ctx.database.system((tx) => tx.select().from(scheduleFires).where(eq(scheduleFires.orgId, owner.orgId)).orderBy(scheduleFires.fireAt));
    expect(fires.length).toBeGreaterThanOrEqual(9);
    const times = fires.map((f) => f.fireAt.getTime());
    expect(new Set(times).size).toBe(times.length);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(1000);
    // Each fire started exactly one run of the task, and each fire came within a second of its time.
    const taskRuns = await ctx.database.system((tx) => tx.select().from(runs).where(eq(runs.taskId, task.id)));
    expect(taskRuns).toHaveLength(fires.length);
    expect(new Set(fires.map((f) => f.runId))).toEqual(new Set(taskRuns.map((r) => r.id)));
    const delays = fires.map((f) => f.delayMs!);
    expect(Math.max(...delays)).toBeLessThan(1000);
    const sorted = [...delays].sort((a, b) => a - b);
    console.info(`[distributed] two scheduler processes, ${fires.length} fires: delay median ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted.at(-1)} ms`);
  });
});
