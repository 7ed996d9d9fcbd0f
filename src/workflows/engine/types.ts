import type { ExpressionScope } from '../expressions.js';
import type { WorkflowNode } from '../definition.js';

/**
 * The words of the workflow planner (src/workflows/engine/plan.ts).
 *
 * - **execution key**: one node execution. A top-level node's key is its id (`score`); inside a
 *   map body it is `<mapKey>[<index>].<nodeId>` (`each[2].shape`), and nested maps compose
 *   (`each[2].inner[0].shape`). `<mapKey>[<index>]` alone is the item itself: it holds the item's
 *   result when the map has a `result` expression.
 * - **state**: what the engine knows of each execution key, from the run's steps (a key absent
 *   from the state has not started).
 * - **plan**: what to do next, computed from the definition and the state alone.
 */

/** What a waiting execution waits for. Only a timer has a meaning for the plan (it ends by itself). */
export type Wait =
  /** A delay or a wait_until: ends at `until` (ms since the epoch). */
  | { kind: 'timer'; until: number }
  /** An agent's or a sub-workflow's child run. */
  | { kind: 'run'; runId: string }
  /** A person's decision. */
  | { kind: 'approval'; approvalId: string };

/** A node's error as the engine stored it (`{code, category, message, details}` and the like). */
export interface NodeError {
  message: string;
  code?: string;
  [detail: string]: unknown;
}

/** The state of one execution key. Times are ms since the epoch. */
export type ExecutionState =
  /**
   * Started, end unknown (a crash may have come in between): planned again as ready, with
   * `resumed`, and the engine decides whether to run it again. A map whose `items` have been
   * evaluated holds them here, and the plan runs its items instead.
   */
  | { status: 'running'; attempt?: number; items?: unknown[] }
  | { status: 'waiting'; on: Wait; attempt?: number }
  /**
   * `handle`: the edge handle taken, for a condition (else `true` when the output is exactly
   * `true`, otherwise `false`), a switch (else `default`) and an approval (else `approved` when
   * `output.approved` is `true`, otherwise `rejected`); other nodes take `out`.
   * `finishedAt` orders arrivals at a join (`any`, `first`).
   */
  | { status: 'succeeded'; output: unknown; handle?: string; finishedAt?: number }
  /** `attempts`: tries so far (1 after the first). `finishedAt` starts the retry backoff. */
  | { status: 'failed'; error: NodeError; attempts: number; finishedAt: number }
  | { status: 'skipped' };

/** The run's state by execution key: a Map, or a plain object. */
export type RunState = ReadonlyMap<string, ExecutionState> | Readonly<Record<string, ExecutionState>>;

/** The part of an expression scope the plan knows: upstream outputs, and in a map body the item. */
export type PlanScope = Pick<ExpressionScope, 'nodes' | 'item' | 'index'>;

/** An execution to start now. */
export interface ReadyExecution {
  key: string;
  node: WorkflowNode;
  /** 1 for a first try; a resumed execution keeps the attempt it was on. */
  attempt: number;
  /** The state said `running`: it started before and its end is unknown. */
  resumed: boolean;
  /** `nodes`: the outputs of the upstream nodes that ran (a map body's also those of its map's upstream), plus `item` and `index` in a map body. */
  scope: PlanScope;
  /** A join's output: the arriving branches' outputs by source node id, in incoming-edge order. */
  arrivals?: Record<string, unknown>;
}

/** A failed execution to try again, not before `notBefore` (ms since the epoch). */
export interface RetryExecution {
  key: string;
  node: WorkflowNode;
  /** The attempt this will be (2 for the first retry). */
  attempt: number;
  notBefore: number;
  /** The last attempt's error. */
  error: NodeError;
  scope: PlanScope;
}

/**
 * A map item whose body has finished and whose map has a `result` expression: the engine
 * evaluates `expression` with `scope` and stores the value as the item key's state (`succeeded`
 * with the value as output, or `failed`, which fails the item).
 */
export interface ItemResultRequest {
  /** The item's key, `<mapKey>[<index>]`. */
  key: string;
  mapKey: string;
  index: number;
  expression: string;
  /** The map's upstream outputs and the outputs of the item's body nodes that ran, with `item` and `index`. */
  scope: PlanScope;
}

/** An execution the plan finished itself (a map from its items, a timer that is up): the engine stores it as given. */
export type Settlement = { key: string; status: 'succeeded'; output: unknown } | { key: string; status: 'failed'; error: NodeError; attempts: number };

/** Why a run failed: the node execution that failed, with its error. */
export interface RunError extends NodeError {
  nodeId: string;
  key: string;
  attempts: number;
}

export type Outcome = { status: 'succeeded'; output: unknown } | { status: 'failed'; error: RunError };

/** What to do next. Every list is in execution order: topological order, a map's items in index order at the map's place. */
export interface Plan {
  ready: ReadyExecution[];
  /** Keys to store as skipped. */
  skip: string[];
  /** Failed executions with attempts left, due or not (compare `notBefore` with the time). */
  retry: RetryExecution[];
  /** Map item results to evaluate. */
  evaluate: ItemResultRequest[];
  settle: Settlement[];
  /** Started executions (running or waiting) whose result nobody needs any more: cancel their child runs and approvals. */
  abandon: string[];
  /** The run's end, or null while work remains. */
  done: Outcome | null;
  /** Nothing to start and nothing due, and something waits: park the run (until `wakeAt`, or an outside event). */
  waiting: boolean;
  /** The earliest time a timer or a retry not yet due comes due (ms since the epoch), or null. */
  wakeAt: number | null;
}
