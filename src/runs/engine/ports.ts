import type { LanguageModelV3 } from '@ai-sdk/provider';
import type { ModelMessage, Tool } from 'ai';
import type { Agent } from '../../agents/dto.js';
import type { Actor } from '../../shared/roles.js';
import type { Config } from '../../config/load.js';
import type { Database, Tx } from '../../db/client.js';
import type { Logger } from '../../shared/logger.js';
import type { EngineEvents } from '../../observability/events.js';
import type { RunBus } from '../bus.js';
import type { SpendStanding } from '../../billing/budgets.js';
import type { AgentRow, RunRow, RunWriter, StepRow } from '../store.js';
import type { RunError } from '../schema.js';

/**
 * What the run engine needs from other modules, as interfaces: the engine imports these, never
 * the modules' classes, so a test can stand a double in and the modules stay replaceable.
 */
export interface ResolvedModelPort {
  id: string;
  ref: { provider: string; modelId: string };
  model: LanguageModelV3;
}

export interface ModelsPort {
  callWithFallback<T>(
    orgId: string,
    refs: string[],
    call: (m: ResolvedModelPort, attempt: number) => Promise<T>,
    opts: { signal?: AbortSignal; onEvent?: (e: { type: string } & Record<string, unknown>) => void },
  ): Promise<{ result: T; used: ResolvedModelPort; attempts: number; usedRulesModel: boolean }>;
}

export type ToolOutcomePort =
  | { ok: true; output: unknown }
  | { ok: false; error: { code: string; message: string; issues?: { path: string; message: string }[] } };

export interface ToolDefinitionPort {
  name: string;
  requiresApproval: boolean;
  idempotent: boolean;
  /** Effect keyed by (run, tool call id): made again after an interruption (see ToolDefinition). */
  keyedByCall?: boolean;
  grantRoles: readonly string[];
}

export interface ToolsPort {
  get(name: string): ToolDefinitionPort | undefined;
  aiSdkTools(names: string[]): Record<string, Tool>;
  /** The tool's own failure for arguments its input schema refuses, or null when they pass; asked before asking a person. Absent: not checked. */
  validate?(name: string, args: unknown): Promise<ToolOutcomePort | null>;
  /** One line describing a call for the person asked to approve it. */
  describeCall?(name: string, args: unknown): string;
  /** Whether an interrupted call of the tool may be made again without a person (an organization's tool setting); absent: never. */
  retriesInterrupted?(orgId: string, name: string): Promise<boolean>;
  execute(
    name: string,
    args: unknown,
    ctx: { orgId: string; agentId: string | null; runId: string; toolCallId: string; signal: AbortSignal; database: Database; config: Config; logger: Logger },
  ): Promise<ToolOutcomePort>;
}

export interface BudgetVerdictPort {
  allowed: boolean;
  reason?: string;
  org: { spentMicros: number; budgetMicros: number | null };
  agent: { spentMicros: number; budgetMicros: number | null };
}

export interface BillingPort {
  /** Money figures of one call (cached price and markup); the engine writes the ledger row itself. */
  priceCall(
    orgId: string,
    provider: string,
    model: string,
    usage: { inputTokens: number; outputTokens: number; cachedInputTokens: number },
    at: Date,
  ): Promise<{ baseCostMicros: number; billedCostMicros: number; markupBps: number; priceEffectiveFrom: string | null }>;
  /** Budget verdict for a spend standing (raises newly reached alerts). */
  judge(orgId: string, agentId: string, agentMonthlyBudgetMicros: number | null, standing: SpendStanding): Promise<BudgetVerdictPort>;
  /** The most one call can cost, billed: prompt tokens plus its output limit (null: the catalog's maximum) at the dearest of `models`. */
  maxCallCost(orgId: string, models: string[], inputTokens: number, maxOutputTokens: number | null, at: Date): Promise<number>;
  /** Reserves a call's most against the budgets, atomically in the database (decision 44). */
  reserve(r: {
    orgId: string;
    agentId: string;
    runId: string;
    generation: number;
    stepKey: string;
    agentBudgetMicros: number | null;
    amountMicros: number;
  }): Promise<{ state: 'granted' | 'exceeded' | 'wait'; standing: SpendStanding }>;
}

export interface AuditPort {
  record(
    entry: { orgId: string; actor: Actor | { type: 'system' }; action: string; targetType?: string; targetId?: string; details?: Record<string, unknown> },
    tx?: Tx,
  ): Promise<void>;
}

export interface AgentsPort {
  /** The agent as the API shows it, from its row (the engine loads it with the claim). */
  fromRow(row: AgentRow): Agent;
  /**
   * The agent with the configuration of one of its versions (a workflow's agent node that pins
   * `agentVersion`); its status stays the current one. Null when it has no such version.
   */
  atVersion(row: AgentRow, version: number): Promise<Agent | null>;
}

/** The conversation side of a chat run: what the model sees, and where the reply goes. */
export interface ConversationsPort {
  /** History (trimmed to the agent's memory settings) ending with the user's new message, plus the running summary. */
  contextFor(
    orgId: string,
    conversationId: string,
    agent: Agent,
    runId: string,
  ): Promise<{ messages: ModelMessage[]; summary: string; cut: { messages: ModelMessage[]; throughSeq: number } | null }>;
  /** Stores a new running summary covering the messages through `throughSeq`. */
  saveSummary(tx: Tx, orgId: string, conversationId: string, summary: string, throughSeq: number): Promise<void>;
  /** Appends the run's assistant and tool messages to the conversation, in the run's final transaction. */
  appendRunMessages(tx: Tx, orgId: string, conversationId: string, runId: string, messages: ModelMessage[], usage: { inputTokens: number; outputTokens: number; costMicros: number }): Promise<void>;
}

export interface EngineDeps {
  database: Database;
  config: Config;
  logger: Logger;
  bus: RunBus;
  agents: AgentsPort;
  models: ModelsPort;
  tools: ToolsPort;
  billing: BillingPort;
  audit: AuditPort;
  conversations: ConversationsPort;
  /** Where the engine says what happened (runs, steps, model and tool calls, approvals); absent: nobody listens. */
  events?: EngineEvents;
  /** Runs workflow runs (runs with no agent); absent: they fail. */
  workflows?: WorkflowRunnerPort;
  /** Runs decision runs (source `decision`, no agent: src/decisions/runner.ts); absent: they fail. */
  decisions?: WorkflowRunnerPort;
  /** Dispatches a run again (a parent a child's end woke); absent: the recovery sweep does it. */
  wake?: (orgId: string, runId: string, reason: string) => void;
}

/** A child run a workflow node waits on, as the workflow engine reads it. */
export interface ChildRunState {
  id: string;
  status: string;
  finished: boolean;
  /** The agent's final text. */
  output: string | null;
  /** A workflow run's output, or an agent run's structured output. */
  result: unknown;
  error: { code: string; message: string } | null;
}

/** A decision a workflow node waits on. */
export interface ApprovalState {
  id: string;
  status: 'pending' | 'approved' | 'rejected';
  response: Record<string, unknown> | null;
  comment: string | null;
  decidedBy: string | null;
  decidedByApiKeyId: string | null;
}

/**
 * What the run engine hands a workflow run's engine (src/workflows/engine/runner.ts) for one
 * claim: the run, its steps, its writer (fenced by the lease) and the few things only the runs
 * module may do (child runs, approvals, tools).
 */
export interface WorkflowHost {
  run: RunRow;
  steps: StepRow[];
  writer: RunWriter;
  /** Aborted by cancel, timeout or shutdown; `abortReason` says which. */
  signal: AbortSignal;
  nextSeq: number;
  database: Database;
  config: Config;
  logger: Logger;
  tools: ToolsPort;
  events?: EngineEvents;
  /**
   * Creates (once per `key`: a repeated call returns the run made before) a queued child run and
   * dispatches it: an agent's run, or a workflow's (its version pinned), serving execution `key`.
   */
  startChild(c: { key: string; agentId?: string; agentVersion?: number; workflowId?: string; workflowVersion?: number; input: unknown; source?: 'workflow' | 'decision' }): Promise<string>;
  children(ids: string[]): Promise<Map<string, ChildRunState>>;
  /** Creates (once per step) a pending approval for the node step `stepKey`; returns its id. */
  requestApproval(a: { stepKey: string; toolName: string; args: unknown; reason: string; approverRole?: string }): Promise<string>;
  approvals(ids: string[]): Promise<Map<string, ApprovalState>>;
  /** Cancels child runs (and theirs) and rejects their pending approvals; rejects the given approvals of this run. */
  abandon(childIds: string[], approvalIds: string[]): Promise<void>;
  /** The organization's name (for `env.org.name`). */
  orgName(): Promise<string>;
  /**
   * Takes one of the workflow's `max` places for this run (kept until it ends), unless it has one
   * already: false when all are taken. Serialized per workflow (an advisory lock), so two runs
   * claimed at once cannot both take the last place.
   */
  admit(max: number): Promise<boolean>;
  /** Dispatches the workflow's oldest queued run that has no place yet (this run's place is free). */
  wakeNextQueued(): Promise<void>;
}

/** How a workflow run rests after one claim. */
export type WorkflowRest =
  | { kind: 'finished'; status: 'succeeded' | 'failed'; output: unknown; error: RunError | null }
  | { kind: 'parked'; wakeAt: number | null; requeued: boolean };

export interface WorkflowRunnerPort {
  /**
   * Before a run's work: `unlimited` (no `settings.maxConcurrentRuns`), `admitted` (it holds a
   * place) or `full` (back to the queue, to try again later).
   */
  admit(host: WorkflowHost): Promise<'unlimited' | 'admitted' | 'full'>;
  run(host: WorkflowHost): Promise<WorkflowRest>;
}
