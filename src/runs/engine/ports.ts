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
import type { AgentRow } from '../store.js';

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
    ctx: { orgId: string; agentId: string; runId: string; toolCallId: string; signal: AbortSignal; database: Database; config: Config; logger: Logger },
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
}
