import { InProcessDispatcher } from '../../src/dispatch/in-process.js';
import type { RunExecutor } from '../../src/runs/engine/executor.js';

/** An in-process dispatcher whose worker is `executor` (tests give the RunService their own executor, e.g. with a scripted model). */
export function inProcessWorker(executor: RunExecutor, concurrency = 50): InProcessDispatcher {
  const dispatcher = new InProcessDispatcher({ concurrency });
  dispatcher.work((job, signal) => executor.execute(job.orgId, job.runId, signal));
  return dispatcher;
}
