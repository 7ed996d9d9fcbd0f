import type { Logger } from '../shared/logger.js';

/**
 * The engine's one event port (like Graphile Worker's `WorkerEventMap`): the engine, the
 * dispatcher and the scheduler emit what happened; metrics, traces and logs subscribe. Nothing
 * that observes reaches into the engine. Payloads carry bounded facts (ids for correlation, never
 * for metric labels: a subscriber chooses its labels).
 */
export interface EngineEventMap {
  /** A run was written and handed to the dispatcher. */
  'run:queued': { orgId: string; runId: string; agentId: string; source: string; at: Date };
  /** A worker took the run (first take, resume or takeover). */
  'run:started': {
    orgId: string;
    runId: string;
    agentId: string;
    source: string;
    queuedAt: Date;
    at: Date;
    resumed: boolean;
    /** The agent's name when the emitter has it at hand (traces name the run span after it). */
    agentName?: string;
  };
  /** The run reached a final status (completed, failed, canceled) or parked (waiting). */
  'run:finished': {
    orgId: string;
    runId: string;
    agentId: string;
    source: string;
    status: string;
    errorCode?: string;
    startedAt: Date;
    at: Date;
  };
  /**
   * A worker stopped executing a started run without ending it: shutdown (handed back, queued),
   * lease_lost (another worker took it over) or connection_lost (the database went away; handed
   * back). The run goes on elsewhere with a new `run:started` (resumed).
   */
  'run:released': { orgId: string; runId: string; reason: 'shutdown' | 'lease_lost' | 'connection_lost'; at: Date };
  /** One model call (one attempt of one model), successful or not. */
  'model:call': {
    orgId: string;
    runId: string;
    agentId: string;
    provider: string;
    model: string;
    startedAt: Date;
    at: Date;
    ok: boolean;
    errorCode?: string;
    inputTokens: number;
    outputTokens: number;
    cachedInputTokens: number;
    finishReason?: string;
    baseCostMicros: number;
    billedCostMicros: number;
  };
  /** One tool call, successful or not. */
  'tool:call': {
    orgId: string;
    runId: string;
    agentId: string;
    tool: string;
    toolCallId: string;
    startedAt: Date;
    at: Date;
    ok: boolean;
    errorCode?: string;
  };
  /** A durable step was written (kind: model, tool, approval, summary, ...). */
  'step:finished': { orgId: string; runId: string; kind: string; startedAt: Date; at: Date; ok: boolean };
  /** A call waits for a person's decision. */
  'approval:requested': { orgId: string; runId: string; approvalId: string; tool: string; at: Date };
  /** A person decided. */
  'approval:decided': { orgId: string; runId: string; approvalId: string; decision: 'approved' | 'rejected'; at: Date };
  /**
   * The scheduler fired a schedule; lagMs: how late after its due time it was claimed; misfired:
   * a catch-up after downtime (misfire run_once), whose lag is the downtime, not the scheduler's.
   */
  'scheduler:fire': {
    orgId: string;
    scheduleId: string;
    dueAt: Date;
    at: Date;
    lagMs: number;
    outcome: string;
    misfired?: boolean;
    /** What the schedule fired: a task (a `task.due` happening) or a workflow, and the run it made. */
    taskId?: string | null;
    workflowId?: string | null;
    runId?: string | null;
  };
  /** A support ticket was opened (an agent's create_support_ticket), after its commit. */
  'ticket:created': { orgId: string; ticketId: string; subject: string; priority: string; agentId: string | null; runId: string | null; at: Date };
  /** A budget threshold was reached (80% or 100% of the organization's or an agent's monthly budget), after its commit. */
  'budget:alert': {
    orgId: string;
    scope: string;
    targetType: 'organization' | 'agent';
    targetId: string;
    month: string;
    thresholdPercent: number;
    spentMicros: number;
    budgetMicros: number;
    at: Date;
  };
  /** Handing a run to the queue failed (it stays queued; recovery sends it again). */
  'dispatch:failed': { orgId: string; runId: string; at: Date; error: string };
}

export type EngineEventName = keyof EngineEventMap;
export type EngineListener<K extends EngineEventName> = (payload: EngineEventMap[K]) => void;

/**
 * A typed, synchronous event emitter. A listener that throws is logged with the event's name and
 * never breaks the emitter or the other listeners; emitting with no listener costs a map lookup.
 */
export class EngineEvents {
  private readonly listeners = new Map<EngineEventName, Set<EngineListener<EngineEventName>>>();

  constructor(private readonly logger?: Logger) {}

  /** Subscribes; returns the unsubscribe function. */
  on<K extends EngineEventName>(name: K, listener: EngineListener<K>): () => void {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener as EngineListener<EngineEventName>);
    return () => {
      set.delete(listener as EngineListener<EngineEventName>);
    };
  }

  emit<K extends EngineEventName>(name: K, payload: EngineEventMap[K]): void {
    const set = this.listeners.get(name);
    if (!set) return;
    for (const listener of set) {
      try {
        listener(payload);
      } catch (err) {
        this.logger?.error({ err, event: name }, 'an engine event listener failed');
      }
    }
  }

  /** Whether anyone listens to `name` (lets an emitter skip building an expensive payload). */
  has(name: EngineEventName): boolean {
    return (this.listeners.get(name)?.size ?? 0) > 0;
  }
}
