import type { EngineEvents } from '../observability/events.js';
import type { z } from 'zod';
import type { Role } from '../shared/roles.js';
import type { Config } from '../config/load.js';
import type { Database } from '../db/client.js';
import type { Logger } from '../shared/logger.js';
import type { ToolCategory } from './enums.js';

export { TOOL_CATEGORIES, type ToolCategory } from './enums.js';

/** The organization tool settings a tool may name as its `retryInterruptedSetting`. */
export type InterruptedRetrySetting = 'webhookRetryOnCrash';

/** Tool names as models and agent configurations spell them (the agents module uses the same rule). */
export const TOOL_NAME_RE = /^[a-z][a-z0-9_]{0,63}$/;

/** What a tool gets besides its arguments: who is calling, within which run, and the process's handles. */
export interface ToolContext {
  orgId: string;
  /** The calling agent; null when a workflow's tool node calls the tool (no agent, no model). */
  agentId: string | null;
  runId: string;
  toolCallId: string;
  /** Aborted when the run is canceled or the tool's own time limit passes. */
  signal: AbortSignal;
  /** Open every write with `database.withOrg(orgId, …)`. */
  database: Database;
  config: Config;
  logger: Logger;
  /** Turns a follow-up into a task (the tasks module); absent where no tasks exist (tool tests). */
  followUpTask?: FollowUpTaskPort;
  /** Starts workflow runs (the workflows module; trigger_workflow); absent where none exist. */
  workflowStarter?: WorkflowStarterPort;
  /** Records events (the events module; emit_event); absent where none exist. */
  eventEmitter?: EventEmitterPort;
  /** The engine's event port: tools tell of what they did (a ticket opened); absent in tool tests. */
  engineEvents?: EngineEvents;
}

export interface EventEmitterPort {
  /** Stores an event from an agent (source `agent`), once per `dedupeKey`; its triggers fire. */
  emit(orgId: string, e: { type: string; payload: unknown; dedupeKey: string }): Promise<{ eventId: string; duplicate: boolean }>;
}

export interface WorkflowStarterPort {
  /**
   * Starts a run of the organization's workflow with `input` (checked against its input schema);
   * once per `idempotencyKey`. Throws the API's 4xx errors (unknown workflow, archived, bad input).
   */
  start(orgId: string, workflowId: string, input: Record<string, unknown>, idempotencyKey: string): Promise<{ runId: string; status: string }>;
}

export interface FollowUpTaskPort {
  /** Creates a task for the agent that runs once at `dueAt`; returns its id (null when the agent is gone). */
  create(orgId: string, f: { agentId: string; runId: string; dueAt: Date; note: string; contact?: Record<string, unknown> }): Promise<string | null>;
}

/**
 * A tool: its schemas, the flags the run engine and the agents module act on, and its code.
 * `execute` receives arguments already validated (and defaulted) by `inputSchema`.
 */
export interface ToolDefinition<I = unknown, O = unknown> {
  /** Lowercase snake_case, unique in the registry: what the model calls. */
  name: string;
  category: ToolCategory;
  /** Read by the model to decide when to call the tool: say what it does and what it returns. */
  description: string;
  inputSchema: z.ZodType<I>;
  /** When given, the output is checked against it; a mismatch is a tool failure. */
  outputSchema?: z.ZodType<O>;
  /** Roles that may add this tool to an agent (see docs/tools.md for each built-in's choice). */
  grantRoles: readonly Role[];
  /** The run engine asks a person before each call. */
  requiresApproval: boolean;
  /** Safe to call again with the same arguments after an interruption (the engine retries only these). */
  idempotent: boolean;
  /**
   * Not idempotent in general, but its effect is keyed by (run, tool call id): the same call made
   * again changes nothing more and answers what the first did. The engine records such a call
   * durably before running it (so its id cannot change under a re-asked model) and, after an
   * interruption, simply makes it again instead of asking a person.
   */
  keyedByCall?: boolean;
  /**
   * An organization tool setting (boolean, off by default) that, when on, makes the engine make an
   * interrupted call (started, never finished: the worker died) again with the same tool call id
   * instead of asking a person: for a tool whose receivers drop a repeat of one call
   * (send_webhook's x-troupe-delivery). Off, the tool is treated as any non-idempotent one.
   */
  retryInterruptedSetting?: InterruptedRetrySetting;
  /** Wall-clock limit of one call; past it the call fails with code `timeout`. */
  timeoutMs: number;
  // Method syntax on purpose: a ToolDefinition<{a: string}> must fit where a ToolDefinition is expected.
  execute(input: I, ctx: ToolContext): Promise<O>;
  /**
   * One line a person reads on an approval card (and in its notification mail) before allowing
   * the call, from arguments already validated: "Send an email to a@b.c: 'Subject'". Must not
   * reveal secrets the arguments may hold (a webhook URL, headers). Absent: a generic
   * "Call <tool> with: k=v, …" (tools/describe.ts).
   */
  describe?(input: I): string;
}

/**
 * Declares a tool. Checks what a registry cannot fix later (name, limits, roles) and freezes the
 * definition, so a tool's flags cannot change behind the catalog's back.
 */
export function defineTool<I, O>(def: ToolDefinition<I, O>): ToolDefinition {
  if (!TOOL_NAME_RE.test(def.name)) throw new Error(`defineTool: "${def.name}" is not a tool name (lowercase letters, digits and _)`);
  if (!Number.isInteger(def.timeoutMs) || def.timeoutMs < 1) throw new Error(`defineTool(${def.name}): timeoutMs must be a positive integer`);
  if (def.grantRoles.length === 0) throw new Error(`defineTool(${def.name}): grantRoles must name at least one role`);
  if (!def.description.trim()) throw new Error(`defineTool(${def.name}): a description is required (the model reads it)`);
  return Object.freeze({ ...def, grantRoles: Object.freeze([...def.grantRoles]) }) as ToolDefinition;
}
