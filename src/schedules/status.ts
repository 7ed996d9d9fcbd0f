import { and, asc, eq, isNotNull, sql } from 'drizzle-orm';
import type { Actor } from '../shared/roles.js';
import type { Database } from '../db/client.js';
import { nextFires } from './cron.js';
import { schedulerLeader, schedulerStops, schedules } from './schema.js';

export interface SchedulerStatus {
  /** False while the organization's scheduler is stopped (POST /scheduler/stop). */
  running: boolean;
  stoppedAt: Date | null;
  /** The process that leads (fires everyone's schedules): the holder of the unexpired lease; null when nobody holds one. */
  leader: { holder: string; since: Date; heartbeatAt: Date; expiresAt: Date } | null;
  /** The organization's next fires across its schedules, soonest first (what would fire while stopped, once started). */
  nextFires: { scheduleId: string; taskId: string | null; workflowId: string | null; at: Date }[];
}

/** How many fires `nextFires` lists. */
export const NEXT_FIRES = 10;

export async function setStopped(database: Database, actor: Actor, stopped: boolean): Promise<void> {
  await database.withOrg(actor.orgId, (tx) =>
    stopped
      ? tx.insert(schedulerStops).values({ orgId: actor.orgId, stoppedBy: actor.userId }).onConflictDoNothing()
      : tx.delete(schedulerStops).where(eq(schedulerStops.orgId, actor.orgId)),
  );
}

export async function schedulerStatus(database: Database, orgId: string): Promise<SchedulerStatus> {
  const { stop, upcoming } = await database.withOrg(orgId, async (tx) => {
    const [stop] = await tx.select().from(schedulerStops).where(eq(schedulerStops.orgId, orgId));
    // The first NEXT_FIRES schedules by next fire are enough: any later schedule's first fire
    // comes after NEXT_FIRES earlier ones.
    const upcoming = await tx
      .select({ id: schedules.id, taskId: schedules.taskId, workflowId: schedules.workflowId, cron: schedules.cron, timezone: schedules.timezone, nextFireAt: schedules.nextFireAt })
      .from(schedules)
      .where(and(eq(schedules.orgId, orgId), isNotNull(schedules.nextFireAt), eq(schedules.paused, false)))
      .orderBy(asc(schedules.nextFireAt))
      .limit(NEXT_FIRES);
    return { stop, upcoming };
  });
  // scheduler_leader is not a tenant table (troupe_app cannot see it). The lease is judged on the
  // database's clock, the one the leader and its followers judge it with: until it expires, no
  // other process may fire, so its holder leads even when its heartbeat is a few seconds old.
  const [leader] = await database.system((tx) =>
    tx
      .select({ holder: schedulerLeader.holder, since: schedulerLeader.since, heartbeatAt: schedulerLeader.heartbeatAt, expiresAt: schedulerLeader.expiresAt })
      .from(schedulerLeader)
      .where(and(eq(schedulerLeader.id, 1), sql`${schedulerLeader.expiresAt} > now()`)),
  );
  const fires = upcoming.flatMap((s) => {
    const first = s.nextFireAt!;
    const later = s.cron ? nextFires(s, first, NEXT_FIRES - 1) : [];
    return [first, ...later].map((at) => ({ scheduleId: s.id, taskId: s.taskId, workflowId: s.workflowId, at }));
  });
  fires.sort((a, b) => a.at.getTime() - b.at.getTime() || a.scheduleId.localeCompare(b.scheduleId));
  return { running: !stop, stoppedAt: stop?.stoppedAt ?? null, leader: leader ?? null, nextFires: fires.slice(0, NEXT_FIRES) };
}
