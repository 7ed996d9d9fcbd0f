import type { AppContext } from '../../src/app.js';
import { InProcessDispatcher } from '../../src/dispatch/in-process.js';
import { RunExecutor } from '../../src/runs/engine/executor.js';
import { modelsPort, scriptedModel, type Turn } from './scripted-model.js';

/** An in-process dispatcher whose worker is `executor` (tests give the RunService their own executor, e.g. with a scripted model). */
export function inProcessWorker(executor: RunExecutor, concurrency = 50): InProcessDispatcher {
  const dispatcher = new InProcessDispatcher({ concurrency });
  dispatcher.work((job, signal) => executor.execute(job.orgId, job.runId, signal));
  return dispatcher;
}

/** A real executor on the app's services whose model answers with the scripted turns. */
export function scriptedExecutor(ctx: AppContext, turns: Turn[], workerId = 'test-worker', leaseMs?: number) {
  const script = scriptedModel(turns);
  const s = ctx.services;
  const executor = new RunExecutor(
    { database: ctx.database, config: ctx.config, logger: ctx.logger, bus: s.runBus, agents: s.agents, models: modelsPort(script.model), tools: s.tools, billing: s.billing, audit: s.audit, conversations: s.conversations },
    workerId,
    leaseMs,
  );
  return { script, executor };
}
