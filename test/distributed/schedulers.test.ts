import { and, eq, gt } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createContext, type AppContext } from '../../src/app.js';
import type { Actor } from '../../src/shared/roles.js';
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

  it('a per-second schedule fires once per second for 5 s: no duplicates, no gaps', { timeout: 90_000 }, async () => {
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
    await sleep(5_500);
    // Both still running; exactly one leads.
    for (const s of schedulers) expect(s.child.exitCode).toBeNull();
    const [leader] = await ctx.database.system((tx) => tx.select().from(schedulerLeader));
    expect(leader?.holder).toBeTruthy();
    await Promise.all(schedulers.map((s) => s.stop()));

    const fires = await ctx.database.system((tx) => tx.select().from(scheduleFires).where(eq(scheduleFires.orgId, owner.orgId)).orderBy(scheduleFires.fireAt));
    expect(fires.length).toBeGreaterThanOrEqual(4);
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

  it('a leader frozen (SIGSTOP) longer than its lease: the follower takes over, and the woken one fires nothing twice', { timeout: 120_000 }, async () => {
    const LEASE_MS = 3_000;
    const TICK_MS = 500;
    const owner = await seedMember(ctx, 'owner');
    const actor: Actor = { orgId: owner.orgId, role: 'owner', userId: owner.userId, apiKeyId: null };
    const agent = await ctx.services.agents.create(actor, createAgentSchema.parse({ name: 'Reporter', model: 'openai:gpt-4o-mini' }));
    const leased = { ...env, TROUPE_SCHEDULER_LEASE_SECONDS: String(LEASE_MS / 1000) };
    const schedulers = [startTroupe(['scheduler'], leased), startTroupe(['scheduler'], leased)];
    procs.push(...schedulers);
    await Promise.all(schedulers.map((s) => s.waitFor(/scheduler started/)));
    const task = await ctx.services.tasks.create(actor, {
      agentId: agent.id,
      title: 'Tick',
      instructions: 'Say the time',
      context: {},
      priority: 'normal',
      schedule: { cron: '* * * * * *', timezone: 'UTC' },
    });
    const holder = async () => (await ctx.database.system((tx) => tx.select().from(schedulerLeader).where(gt(schedulerLeader.expiresAt, new Date()))))[0]?.holder;
    const firesOf = () => ctx.database.system((tx) => tx.select().from(scheduleFires).where(eq(scheduleFires.orgId, owner.orgId)).orderBy(scheduleFires.fireAt));
    const byPid = (h: string | undefined) => schedulers.find((s) => h?.includes(`:${s.child.pid}:`));
    await sleep(3_000);
    const leader = byPid(await holder());
    expect(leader).toBeDefined();
    const follower = schedulers.find((s) => s !== leader)!;
    expect((await firesOf()).length).toBeGreaterThanOrEqual(2);

    // Frozen for 10 s (a VM pause, a debugger, a stuck disk): its lease lapses after 3 s.
    leader!.child.kill('SIGSTOP');
    const stoppedAt = new Date();
    await sleep(10_000);
    expect(byPid(await holder())).toBe(follower);
    const firedWhileFrozen = await ctx.database.system((tx) =>
      tx.select().from(scheduleFires).where(and(eq(scheduleFires.orgId, owner.orgId), gt(scheduleFires.createdAt, stoppedAt))),
    );
    expect(firedWhileFrozen.length).toBeGreaterThanOrEqual(5);

    // It wakes: its renewal fails, so it steps down before claiming anything.
    leader!.child.kill('SIGCONT');
    await sleep(4_000);
    for (const s of schedulers) expect(s.child.exitCode).toBeNull();
    expect(byPid(await holder())).toBe(follower);
    await Promise.all(schedulers.map((s) => s.stop()));

    const fires = await firesOf();
    const times = fires.map((f) => f.fireAt.getTime());
    // Every second fired, once: the fires due while nobody renewed were caught up by the new leader.
    expect(new Set(times).size).toBe(times.length);
    for (let i = 1; i < times.length; i++) expect(times[i]! - times[i - 1]!).toBe(1000);
    const taskRuns = await ctx.database.system((tx) => tx.select().from(runs).where(eq(runs.taskId, task.id)));
    expect(taskRuns).toHaveLength(fires.length);
    expect(new Set(fires.map((f) => f.runId))).toEqual(new Set(taskRuns.map((r) => r.id)));
    // No fire waited longer than a lease and a tick (the follower's next look), with 1.5 s of slack
    // for a loaded machine; the claims paused at most a tick longer (the leader's last claim may
    // precede its last renewal by a tick). Without a takeover the pause would be the whole 10 s.
    const SLACK_MS = 1_500;
    const delays = fires.map((f) => f.delayMs!);
    expect(Math.max(...delays)).toBeLessThan(LEASE_MS + TICK_MS + SLACK_MS);
    const claims = fires.map((f) => f.createdAt.getTime()).sort((x, y) => x - y);
    const gap = Math.max(...claims.slice(1).map((c, i) => c - claims[i]!));
    expect(gap).toBeLessThan(LEASE_MS + 2 * TICK_MS + SLACK_MS);
    console.info(`[distributed] leader frozen 10 s with a ${LEASE_MS / 1000} s lease, ${fires.length} fires: longest pause ${gap} ms, delay max ${Math.max(...delays)} ms`);
  });
});
