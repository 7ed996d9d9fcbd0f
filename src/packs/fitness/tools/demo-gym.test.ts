import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTestApp, json, seedMember } from '../../../../test/helpers/app.js';
import type { DbKind } from '../../../../test/helpers/databases.js';
import { organizations } from '../../../auth/schema.js';
import { fillDemoGym } from '../demo/service.js';
import { GymTruth } from './demo-truth.test-helpers.js';
import { fitnessTools } from './index.js';
import { AS_OF, NOW, GYM, expectSmallUntouched, type Env } from './demo-gym.env.test-helpers.js';
import { READ_CASES } from './demo-gym.reads.test-helpers.js';
import { WRITE_CASES } from './demo-gym.writes.test-helpers.js';
import { CALENDAR_CASES } from './demo-gym.calendar.test-helpers.js';
import { AUTOMATION_CASES } from './demo-gym.automation.test-helpers.js';

/*
 * Every fitness tool (CRM, messaging, automation, fitness) on a demo gym of a few hundred members,
 * through the real executor, against what the generator's rows say (demo-truth.test-helpers.ts):
 * filters, totals to the micro-dollar, order and paging, time zones, consent. A second gym in
 * another organization must never show up, and no write may touch it.
 *
 * The tools read the wall clock ("the next 7 days", "30 days before now"), and the gym's history is
 * generated up to a fixed asOf. So the process's Date is set to the gym's "now", a few hours after
 * asOf (vi.useFakeTimers fakes Date only; timers run as usual), which makes every figure below
 * reproducible. The database's own clock is not moved: only the created_at and updated_at defaults of
 * rows the tools write read it, and no answer below depends on those.
 */


const CASES: Record<string, (env: Env) => Promise<void>> = { ...READ_CASES, ...CALENDAR_CASES, ...WRITE_CASES, ...AUTOMATION_CASES };

describe.each<DbKind>(['postgres', 'pglite'])('every fitness tool on a demo gym (%s)', (kind) => {
  const env = {} as Env;

  beforeAll(async () => {
    // Only Date: timers, and the database's clock, run as usual.
    vi.useFakeTimers({ toFake: ['Date'], now: NOW });
    env.t = await createTestApp(kind);
    const db = env.t.ctx.database;
    const [a, b] = await db.system((tx) => tx.insert(organizations).values([{ name: GYM }, { name: 'Elsewhere Gym' }]).returning());
    env.gym = (await fillDemoGym(db, a!.id, { seed: 7, members: 300, asOf: AS_OF })).gym;
    env.small = (await fillDemoGym(db, b!.id, { seed: 11, members: 40, asOf: AS_OF })).gym;
    env.truth = new GymTruth(env.gym, NOW, GYM);
    env.smallIds = new GymTruth(env.small, NOW, 'Elsewhere Gym').ids();
    const owner = await seedMember(env.t.ctx, 'owner', env.gym.orgId);
    env.agentId = json<{ id: string }>(await env.t.app.inject({ method: 'POST', url: '/api/v1/agents', headers: owner.headers, payload: { name: 'Retention Specialist', model: 'openai:gpt-4o-mini' } })).id;
  }, 180_000);
  afterAll(async () => {
    await env.t?.close();
    vi.useRealTimers();
  });

  it('has a case for every tool the pack registers, and the app registers them all', async () => {
    const names = fitnessTools().map((t) => t.name);
    expect(Object.keys(CASES).sort()).toEqual([...names].sort());
    for (const name of names) expect(env.t.ctx.services.tools.get(name), name).toBeDefined();
    // The fill wrote the other gym as generated (the baseline every write is checked against).
    await expectSmallUntouched(env);
  });

  for (const [name, run] of Object.entries(CASES)) it(name, () => run(env), 60_000);
});
