// Test helpers for the schedules module's tests.
import { randomUUID } from 'node:crypto';
import { eq } from 'drizzle-orm';
import { agents } from '../../src/agents/schema.js';
import type { Database } from '../../src/db/client.js';
import { organizations } from '../../src/db/tenancy.js';
import { tasks } from '../../src/tasks/schema.js';
import { scheduleFires, schedules } from '../../src/schedules/schema.js';
import type { ScheduleFire } from '../../src/schedules/scheduler.js';
import { ScheduleService, type ScheduleInput, type ScheduleView } from '../../src/schedules/service.js';

/** An organization (new unless given) with one agent and one scheduled task, straight in the database. */
export async function seedTask(database: Database, orgId?: string): Promise<{ orgId: string; taskId: string }> {
  return database.system(async (tx) => {
    const org = orgId ?? (await tx.insert(organizations).values({ name: `Org ${randomUUID().slice(0, 8)}` }).returning())[0]!.id;
    const [agent] = await tx
      .insert(agents)
      .values({ orgId: org, name: `Agent ${randomUUID().slice(0, 8)}`, model: 'stub:model', personality: {} as never, memory: {} as never, limits: {} as never })
      .returning();
    const [task] = await tx.insert(tasks).values({ orgId: org, agentId: agent!.id, title: 'Report', instructions: 'Write the report', kind: 'scheduled' }).returning();
    return { orgId: org, taskId: task!.id };
  });
}

/** A task with this schedule (set through the service, as the task service will). */
export async function seedSchedule(database: Database, spec: ScheduleInput, orgId?: string): Promise<ScheduleView & { orgId: string }> {
  const t = await seedTask(database, orgId);
  const view = await database.withOrg(t.orgId, (tx) => new ScheduleService(database).setForTask(tx, t.orgId, t.taskId, spec));
  return { ...view!, orgId: t.orgId };
}

/** Moves a schedule's next fire (e.g. into the past, to simulate downtime). */
export async function setNextFire(database: Database, scheduleId: string, at: Date | null): Promise<void> {
  await database.system((tx) => tx.update(schedules).set({ nextFireAt: at }).where(eq(schedules.id, scheduleId)));
}

/** Parks every schedule (no next fire), so one test's schedules do not fire in the next. */
export async function parkAll(database: Database): Promise<void> {
  await database.system((tx) => tx.update(schedules).set({ nextFireAt: null }));
}

export async function firesOf(database: Database, scheduleId: string) {
  return database.system((tx) => tx.select().from(scheduleFires).where(eq(scheduleFires.scheduleId, scheduleId)).orderBy(scheduleFires.fireAt));
}

export async function scheduleRow(database: Database, scheduleId: string) {
  const [row] = await database.system((tx) => tx.select().from(schedules).where(eq(schedules.id, scheduleId)));
  return row!;
}

/** onFire functions that record their calls (with which scheduler fired) and answer a fake run id. */
export function recorder() {
  const calls: (ScheduleFire & { by: string; at: number })[] = [];
  const as =
    (by: string) =>
    async (fire: ScheduleFire): Promise<string> => {
      calls.push({ ...fire, by, at: Date.now() });
      return randomUUID();
    };
  return { calls, as };
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
