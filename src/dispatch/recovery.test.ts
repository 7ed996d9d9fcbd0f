import { randomUUID } from 'node:crypto';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestDatabase } from '../../test/helpers/databases.js';
import type { Database } from '../db/client.js';
import { approvals, runs } from '../runs/schema.js';
import { seedTask } from '../../test/helpers/schedule-fixtures.js';
import { createLogger } from '../shared/logger.js';
import { tasks } from '../tasks/schema.js';
import type { RunJob } from '../runs/dispatch-port.js';
import { releaseDeadLeases, RunRecovery } from './recovery.js';

const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');

/** The database is the source of truth: what the sweep finds there goes back to the queue. */
describe('run recovery sweep', () => {
  let database: Database;
  let orgId: string;
  let agentId: string;
  let taskId: string;
  const dispatched: RunJob[] = [];
  const recovery = () => new RunRecovery(database, { dispatch: async (r) => void dispatched.push(r) }, logger, 60_000);

  beforeAll(async () => {
    database = await openTestDatabase('postgres');
    ({ orgId, taskId } = await seedTask(database));
    const [task] = await database.system((tx) => tx.select({ agentId: tasks.agentId }).from(tasks).where(eq(tasks.id, taskId)));
    agentId = task!.agentId;
    await database.system((tx) => tx.update(tasks).set({ priority: 'urgent' }).where(eq(tasks.id, taskId)));
  });
  afterAll(() => database?.close());

  /** A run row as a state it could be left in, `ageMs` after its last change. */
  async function run(state: { status: 'queued' | 'running' | 'succeeded' | 'waiting_approval'; leaseMs?: number | null; ageMs?: number; task?: boolean }) {
    const [row] = await database.system((tx) =>
      tx
        .insert(runs)
        .values({
          orgId,
          agentId,
          agentVersion: 1,
          source: state.task ? 'task' : 'api',
          taskId: state.task ? taskId : null,
          input: { task: 'x' },
          status: state.status,
          leaseOwner: state.leaseMs === undefined ? null : 'some-worker',
          leaseExpiresAt: state.leaseMs == null ? null : sql`now() + ${state.leaseMs} * interval '1 millisecond'`,
          updatedAt: sql`now() - ${state.ageMs ?? 0} * interval '1 millisecond'`,
        })
        .returning({ id: runs.id }),
    );
    return row!.id;
  }
  const ids = () => dispatched.splice(0).map((d) => d.runId);
  /** An approval of one of the run's tool calls. */
  const approval = (runId: string, status: 'pending' | 'approved' | 'rejected') =>
    database.system((tx) => tx.insert(approvals).values({ orgId, runId, stepId: randomUUID(), toolName: 'transfer_money', toolCallId: randomUUID(), reason: 'requires_approval', status }));

  it('dispatches queued runs and runs whose lease expired, with their task priority; not live or finished ones', async () => {
    const queued = await run({ status: 'queued', task: true });
    const orphaned = await run({ status: 'running', leaseMs: -1_000 });
    const leaseless = await run({ status: 'running', leaseMs: null });
    const live = await run({ status: 'running', leaseMs: 30_000 });
    const done = await run({ status: 'succeeded' });
    const waiting = await run({ status: 'waiting_approval' });
    await approval(waiting, 'approved');
    await approval(waiting, 'pending');

    // The sweep at start takes every queued run, however fresh.
    expect(await recovery().sweep()).toBe(3);
    const first = dispatched.slice();
    expect(ids().sort()).toEqual([queued, orphaned, leaseless].sort());
    expect(first.find((d) => d.runId === queued)).toEqual({ orgId, runId: queued, priority: 'urgent' });
    // A run whose lease expired goes as a takeover of the generation that held it (decision 41).
    expect(first.find((d) => d.runId === orphaned)).toEqual({ orgId, runId: orphaned, takeover: 0 });
    expect([live, done, waiting].some((id) => first.some((d) => d.runId === id))).toBe(false);
    await database.system((tx) => tx.update(runs).set({ status: 'succeeded' }).where(eq(runs.orgId, orgId)));
  });

  it('periodic sweeps leave runs queued within the last period to whoever queued them', async () => {
    const fresh = await run({ status: 'queued', ageMs: 1_000 });
    const stale = await run({ status: 'queued', ageMs: 120_000 });
    const orphaned = await run({ status: 'running', leaseMs: -1_000, ageMs: 1_000 });
    expect(await recovery().sweep(1000, 60_000)).toBe(2);
    expect(ids().sort()).toEqual([stale, orphaned].sort());
    // At most `limit` a sweep, oldest first.
    expect(await recovery().sweep(1)).toBe(1);
    expect(ids()).toEqual([fresh]);
  });

  it('requeues and dispatches a run left waiting for approvals that were all decided (decision 40)', async () => {
    await database.system((tx) => tx.update(runs).set({ status: 'succeeded' }).where(eq(runs.orgId, orgId)));
    // Decided while its worker was parking it, as a version before decision 40 left it.
    const stranded = await run({ status: 'waiting_approval', ageMs: 120_000 });
    await approval(stranded, 'approved');
    await approval(stranded, 'rejected');
    const waiting = await run({ status: 'waiting_approval', ageMs: 120_000 });
    await approval(waiting, 'pending');
    expect(await recovery().sweep(1000, 60_000)).toBe(1);
    expect(ids()).toEqual([stranded]);
    const status = async (id: string) => (await database.system((tx) => tx.select({ status: runs.status }).from(runs).where(eq(runs.id, id))))[0]!.status;
    expect(await status(stranded)).toBe('queued');
    expect(await status(waiting)).toBe('waiting_approval');
  });

  it('releaseDeadLeases (an embedded start) frees the leases of every running run, so the sweep at start takes them (decision 41)', async () => {
    await database.system((tx) => tx.update(runs).set({ status: 'succeeded' }).where(eq(runs.orgId, orgId)));
    const live = await run({ status: 'running', leaseMs: 30_000 });
    expect(await recovery().sweep()).toBe(0);
    expect(await releaseDeadLeases(database)).toBe(1);
    expect(await recovery().sweep()).toBe(1);
    expect(dispatched.splice(0)).toEqual([{ orgId, runId: live, takeover: 0 }]);
  });
});
