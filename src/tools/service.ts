import type { EngineEvents } from '../observability/events.js';
import { jsonSchema, tool, type Tool } from 'ai';
import type { Role } from '../shared/roles.js';
import type { Config } from '../config/load.js';
import type { Database } from '../db/client.js';
import type { Logger } from '../shared/logger.js';
import { builtinTools } from './builtin/index.js';
import type { EventEmitterPort, FollowUpTaskPort, WorkflowStarterPort, ToolCategory, ToolContext, ToolDefinition } from './define.js';
import { toolFailure, type ToolIssue, type ToolOutcome } from './errors.js';
import { describeCall } from './describe.js';
import { checkArguments, executeTool } from './execute.js';
import { FollowUps } from './follow-ups.js';
import { toolJsonSchemas, type ToolJsonSchemas } from './json-schema.js';
import { Notifications } from './notifications.js';
import { Outbox } from './outbox.js';
import type { SecretBox } from '../shared/crypto.js';
import { ToolSettings } from './settings.js';
import { Tickets } from './tickets.js';

export type { ToolContext, ToolDefinition } from './define.js';
export type { ToolOutcome } from './errors.js';

/** A tool as `GET /tools` describes it. */
export interface ToolInfo {
  name: string;
  category: ToolCategory;
  description: string;
  inputSchema: Record<string, unknown>;
  outputSchema: Record<string, unknown> | null;
  grantRoles: Role[];
  requiresApproval: boolean;
  idempotent: boolean;
  timeoutMs: number;
}

/**
 * The tool registry (built-ins plus anything `register`ed) and the data the built-in tools keep:
 * settings, notifications, tickets, outbox and follow-ups.
 */
export class ToolService {
  readonly settings: ToolSettings;
  readonly notifications: Notifications;
  readonly tickets: Tickets;
  readonly outbox: Outbox;
  readonly followUps: FollowUps;
  private readonly tools = new Map<string, { def: ToolDefinition; schemas: ToolJsonSchemas }>();
  /** TROUPE_APPROVAL_TOOLS: tools this server makes ask a person before each call. */
  private readonly asking: Set<string>;

  constructor(
    readonly database: Database,
    readonly config: Config,
    readonly logger: Logger,
    /** Encrypts tool secrets (send_webhook's signing key); tool unit tests go without. */
    secrets?: SecretBox,
  ) {
    this.settings = new ToolSettings(database, secrets);
    this.notifications = new Notifications(database);
    this.tickets = new Tickets(database);
    this.outbox = new Outbox(database);
    this.followUps = new FollowUps(database);
    this.asking = new Set(config.TROUPE_APPROVAL_TOOLS);
    this.registerPack(builtinTools(config, secrets));
  }

  /**
   * Adds a pack of tools (the built-ins; a domain pack's, from app.ts: this module imports no
   * pack). TROUPE_APPROVAL_TOOLS applies to them as to the built-ins.
   */
  registerPack(defs: readonly ToolDefinition[]): void {
    for (const def of defs) this.register(this.asking.has(def.name) ? { ...def, requiresApproval: true } : def);
  }

  /** Adds a tool (a pack, a test double). Names are unique; the JSON Schema is made here, once. */
  register(def: ToolDefinition): void {
    if (this.tools.has(def.name)) throw new Error(`A tool named ${def.name} is already registered`);
    this.tools.set(def.name, { def, schemas: toolJsonSchemas(def) });
  }

  get(name: string): ToolDefinition | undefined {
    return this.tools.get(name)?.def;
  }

  /** Every tool, by name. */
  list(): ToolDefinition[] {
    return [...this.tools.values()].map((t) => t.def).sort((a, b) => a.name.localeCompare(b.name));
  }

  names(): string[] {
    return this.list().map((t) => t.name);
  }

  /** The catalog entry of each tool, with its schemas as JSON Schema. */
  describe(): ToolInfo[] {
    return this.list().map((def) => {
      const schemas = this.tools.get(def.name)!.schemas;
      return {
        name: def.name,
        category: def.category,
        description: def.description,
        inputSchema: schemas.input as Record<string, unknown>,
        outputSchema: schemas.output as Record<string, unknown> | null,
        grantRoles: [...def.grantRoles],
        requiresApproval: def.requiresApproval,
        // What a client can rely on: whether an interrupted call is made again without asking.
        idempotent: def.idempotent || def.keyedByCall === true,
        timeoutMs: def.timeoutMs,
      };
    });
  }

  /**
   * Runs one call; see `executeTool` for the contract (never throws for tool problems, rethrows
   * only the run's abort). With `options.allowed` (the agent's tools), a name outside it answers
   * `not_allowed` without running anything.
   */
  async execute(name: string, rawArgs: unknown, ctx: ToolContext, options: { allowed?: readonly string[] } = {}): Promise<ToolOutcome> {
    const def = this.get(name);
    if (!def) return toolFailure('unknown_tool', `There is no tool named "${String(name).slice(0, 100)}"`);
    if (options.allowed && !options.allowed.includes(name)) return toolFailure('not_allowed', `This agent may not use the tool ${name}`);
    return executeTool(def, rawArgs, {
      ...ctx,
      ...(this.followUpTask ? { followUpTask: this.followUpTask } : {}),
      ...(this.workflowStarter ? { workflowStarter: this.workflowStarter } : {}),
      ...(this.eventEmitter ? { eventEmitter: this.eventEmitter } : {}),
      ...(this.engineEvents ? { engineEvents: this.engineEvents } : {}),
    });
  }

  /**
   * The failure the model gets for arguments the tool's input schema refuses (`invalid_arguments`,
   * as `execute` would answer), or null when they pass. The engine asks before asking a person.
   */
  async validate(name: string, rawArgs: unknown): Promise<ToolOutcome | null> {
    const def = this.get(name);
    if (!def) return toolFailure('unknown_tool', `There is no tool named "${String(name).slice(0, 100)}"`);
    const checked = await checkArguments(def, rawArgs);
    return checked.ok ? null : checked;
  }

  /** One line for a person deciding on a call: the tool's `describe`, else "Call <tool> with: k=v, …" (tools/describe.ts). */
  describeCall(name: string, args: unknown): string {
    return describeCall(this.get(name), name, args);
  }

  /**
   * Whether an interrupted call of this tool (started, never finished) may be made again without
   * asking a person, by its `retryInterruptedSetting` in the organization's tool settings
   * (send_webhook: webhookRetryOnCrash). Idempotent and keyed tools are retried whatever this says.
   */
  async retriesInterrupted(orgId: string, name: string): Promise<boolean> {
    const setting = this.get(name)?.retryInterruptedSetting;
    return setting ? this.settings.flag(orgId, setting) : false;
  }

  /** Set once the tasks module exists (app.ts): schedule_follow_up then creates real tasks. */
  followUpTask: FollowUpTaskPort | null = null;

  /** Set once the workflows module exists (app.ts): trigger_workflow starts runs through it. */
  workflowStarter: WorkflowStarterPort | null = null;

  /** Set once the events module exists (app.ts): emit_event records events through it. */
  eventEmitter: EventEmitterPort | null = null;

  /** Set by app.ts: tools tell the engine's event port what they did (`ticket:created`). */
  engineEvents: EngineEvents | null = null;

  /**
   * Problems with an agent's tool list given by someone of `actorRole`: unknown names, and tools
   * whose `grantRoles` do not list that role (an explicit list, not a minimum). Paths are `tools.<index>` (prefix `body.` for a request body).
   */
  validateAgentTools(names: string[], actorRole: Role): ToolIssue[] {
    const problems: ToolIssue[] = [];
    names.forEach((name, i) => {
      const def = this.get(name);
      if (!def) problems.push({ path: `tools.${i}`, message: `unknown tool "${name}"` });
      else if (!def.grantRoles.includes(actorRole)) {
        problems.push({ path: `tools.${i}`, message: `the ${actorRole} role may not give agents ${name} (needs ${def.grantRoles.join(' or ')})` });
      }
    });
    return problems;
  }

  /**
   * AI SDK tool definitions for the model: description and input JSON Schema, no `execute` (the
   * engine runs each call through `execute()` so it can record it). The schema has no validator
   * on purpose: invalid arguments reach `execute()` and go back to the model as a tool error,
   * instead of the SDK failing the step. Unknown names are skipped.
   */
  aiSdkTools(names: readonly string[]): Record<string, Tool> {
    const out: Record<string, Tool> = {};
    for (const name of names) {
      const entry = this.tools.get(name);
      if (entry) out[name] = tool({ description: entry.def.description, inputSchema: jsonSchema<unknown>(entry.schemas.input) });
    }
    return out;
  }
}
