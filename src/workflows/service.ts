import { and, eq, sql } from 'drizzle-orm';
import type { Database, Tx } from '../db/client.js';
import { AppError, badRequest, conflict, notFound } from '../shared/errors.js';
import type { RunSource } from '../runs/enums.js';
import type { RunRow } from '../runs/store.js';
import { jsonSchemaProblems } from './engine/json-values.js';
import { UUID_RE } from '../shared/ids.js';
import { keysetPage } from '../shared/keyset.js';
import type { Page, PageQuery } from '../shared/pagination.js';
import type { Actor } from '../shared/roles.js';
import { diffDefinitions } from './compare.js';
import type { NodeConfig, WorkflowDefinition, WorkflowProblem } from './definition.js';
import { renderTemplatedJson } from './expressions.js';
import type { WorkflowStarterPort } from '../tools/define.js';
import { ToolError } from '../tools/errors.js';
import type { SaveWorkflowInput, ValidationResult, VersionComparison, Workflow, WorkflowSummary, WorkflowVersion, WorkflowVersionSummary } from './dto.js';
import { loadValidationEnv, type ToolLookup } from './env.js';
import { definitionFromFile, fileName, renderFile, CONTENT_TYPES, type ExportFormat } from './file-format.js';
import { listConditions, sortOf, type ListWorkflowsQuery } from './list-query.js';
import { workflows, workflowVersions } from './schema.js';
import { validateWorkflow } from './validate.js';
import { findVersion, insertVersion, listVersions } from './versions.js';

type WorkflowRow = typeof workflows.$inferSelect;

const VERSION = /^[1-9]\d{0,8}$/;

/** What a write may be conditioned on: the body's expectedVersion (409) and the If-Match header (412). */
export interface Preconditions {
  expectedVersion?: number;
  ifMatch?: string;
}

export const toSummary = (row: WorkflowRow): WorkflowSummary => ({
  id: row.id,
  orgId: row.orgId,
  name: row.name,
  description: row.description,
  tags: row.tags,
  currentVersion: row.currentVersion,
  archivedAt: row.archivedAt?.toISOString() ?? null,
  createdBy: row.createdBy,
  createdByApiKeyId: row.createdByApiKeyId,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

/**
 * Workflows of an organization: definitions saved as numbered versions (every save and every
 * restore is a new one; versions never change), archived rather than deleted, validated on every
 * write against the organization's agents and workflows and the tool registry, exported and
 * imported as files. Every call runs in the actor's organization and filters on org_id, so
 * another organization's workflow is simply not found.
 */
/** What workflows need of runs to start one (RunService; handed in by the app). */
export interface WorkflowRunStarter {
  createWorkflowRun(
    actor: Actor,
    w: { workflowId: string; version: number; input: unknown; source: RunSource; idempotencyKey?: string },
  ): Promise<{ run: RunRow; created: boolean }>;
}

/** What workflows need of schedules (ScheduleService): a workflow's schedule trigger kept as a schedule. */
export interface WorkflowSchedules {
  setForWorkflow(tx: Tx, orgId: string, workflowId: string, spec: { cron: string; timezone: string } | null, options?: { path?: string }): Promise<unknown>;
}

/** What workflows need of triggers (TriggerService): a workflow's event trigger kept as a trigger, in the save's transaction. */
export interface WorkflowEventTriggers {
  syncWorkflow(tx: Tx, orgId: string, workflowId: string, name: string, listen: { eventType: string; filter?: string } | null): Promise<void>;
}

export class WorkflowService {
  /** Set by the app (the events module is built after this one). */
  eventTriggers: WorkflowEventTriggers | null = null;

  constructor(
    private readonly database: Database,
    private readonly tools: ToolLookup,
    private runs: WorkflowRunStarter | null = null,
    private readonly schedules: WorkflowSchedules | null = null,
  ) {}

  /**
   * A fire of a workflow's schedule trigger: a run of its current version (source `schedule`),
   * with the trigger's `input` (templated JSON; `input.firedAt` is the fire time). Once per fire
   * time (its idempotency key). Null when there is nothing to run any more (archived, gone, the
   * trigger no longer a schedule, the input refused).
   */
  async fire(orgId: string, workflowId: string, fireAt: Date): Promise<string | null> {
    const system: Actor = { orgId, role: 'owner', userId: null, apiKeyId: null };
    try {
      const workflow = await this.get(system, workflowId);
      const trigger = workflow.definition.graph.nodes.find((n) => n.type === 'trigger');
      const config = trigger?.config as NodeConfig<'trigger'> | undefined;
      if (!trigger || config?.kind !== 'schedule') return null;
      const scope = {
        input: { firedAt: fireAt.toISOString() },
        nodes: {},
        run: { id: '', workflowId, version: workflow.currentVersion, startedAt: fireAt.toISOString() },
        env: { org: { id: orgId, name: '' } },
      };
      const input = config.input === undefined ? {} : await renderTemplatedJson(config.input, scope, { nodeId: trigger.id, path: 'config.input' });
      const { run } = await this.start(system, workflowId, input, { source: 'schedule', idempotencyKey: `schedule:${workflowId}:${fireAt.toISOString()}` });
      return run.id;
    } catch (err) {
      if (err instanceof AppError && err.status >= 400 && err.status < 500) return null;
      throw err;
    }
  }

  /** trigger_workflow's way in (tools/builtin/trigger-workflow.ts): a run started by an agent (source `agent`); a refusal is the tool's failure. */
  readonly starterForTools: WorkflowStarterPort = {
    start: async (orgId, workflowId, input, idempotencyKey) => {
      const system: Actor = { orgId, role: 'owner', userId: null, apiKeyId: null };
      try {
        const { run } = await this.start(system, workflowId, input, { source: 'agent', idempotencyKey });
        return { runId: run.id, status: run.status };
      } catch (err) {
        if (err instanceof AppError && err.status < 500) {
          throw new ToolError(err.message, 'invalid_arguments', err.errors?.map((e) => ({ path: e.path.replace(/^body\./, ''), message: e.message })));
        }
        throw err;
      }
    },
  };

  /**
   * Keeps the workflow's schedule and event trigger as its trigger node says (a cron refused is a
   * 400 naming the trigger's field); `definition` null (archived) removes both.
   */
  private async syncSchedule(tx: Tx, orgId: string, workflowId: string, definition: WorkflowDefinition | null, prefix = 'body.definition.') {
    const index = definition ? definition.graph.nodes.findIndex((n) => n.type === 'trigger') : -1;
    const config = index >= 0 ? (definition!.graph.nodes[index]!.config as NodeConfig<'trigger'>) : undefined;
    if (this.schedules) {
      const spec = config?.kind === 'schedule' ? { cron: config.cron, timezone: config.timezone } : null;
      await this.schedules.setForWorkflow(tx, orgId, workflowId, spec, { path: `${prefix}graph.nodes[${index}].config` });
    }
    if (this.eventTriggers) {
      const listen = config?.kind === 'event' ? { eventType: config.eventType, ...(config.filter ? { filter: config.filter } : {}) } : null;
      await this.eventTriggers.syncWorkflow(tx, orgId, workflowId, definition?.name ?? '', listen);
    }
  }

  setRuns(runs: WorkflowRunStarter) {
    this.runs = runs;
  }

  /**
   * Starts a run of the workflow's current version with `input`, checked against its input
   * schema (400 invalid_input naming each field). 409 workflow_archived for an archived workflow.
   */
  async start(actor: Actor, id: string, input: unknown, options: { source?: RunSource; idempotencyKey?: string } = {}): Promise<{ run: RunRow; created: boolean }> {
    const workflow = await this.get(actor, id);
    if (workflow.archivedAt) throw conflict('This workflow is archived; unarchive it to run it', 'workflow_archived');
    const value = input ?? {};
    const problems = jsonSchemaProblems(workflow.definition.inputSchema, value);
    if (problems.length) {
      throw badRequest(
        'The input does not fit the workflow input schema',
        problems.map((p) => ({ path: p.path ? `body.input.${p.path}` : 'body.input', message: p.message })),
        'invalid_input',
      );
    }
    if (!this.runs) throw new Error('WorkflowService: no run starter');
    return this.runs.createWorkflowRun(actor, { workflowId: workflow.id, version: workflow.currentVersion, input: value, source: options.source ?? 'api', idempotencyKey: options.idempotencyKey });
  }

  /** Problems of a definition, nothing saved. `workflowId`: the workflow it would be saved to. */
  async validate(actor: Actor, input: unknown, workflowId?: string): Promise<ValidationResult> {
    return this.database.withOrg(actor.orgId, async (tx) => {
      const env = await loadValidationEnv(tx, this.tools, actor, input, workflowId && UUID_RE.test(workflowId) ? workflowId : undefined);
      const { definition, problems } = validateWorkflow(input, env);
      return { valid: problems.length === 0 && definition !== undefined, problems };
    });
  }

  /** A new workflow at version 1 (note "Created" unless given). 400 invalid_workflow naming every problem. */
  async create(actor: Actor, input: { definition: unknown; note?: string }): Promise<Workflow> {
    return this.database.withOrg(actor.orgId, (tx) => this.insert(tx, actor, input.definition, input.note || 'Created', 'body.definition.'));
  }

  /** A new workflow from an exported file (JSON or YAML; see file-format.ts), note "Imported". */
  async importFile(actor: Actor, body: unknown): Promise<Workflow> {
    const input = definitionFromFile(body);
    return this.database.withOrg(actor.orgId, (tx) => this.insert(tx, actor, input, 'Imported', 'body.'));
  }

  /** Lists workflows (no definitions); `total` counts every match. */
  async list(actor: Actor, q: ListWorkflowsQuery): Promise<Page<WorkflowSummary>> {
    return this.database.readOrg(actor.orgId, (tx) =>
      keysetPage(tx, { table: workflows, id: workflows.id, sort: sortOf(q.sortBy), sortName: `sortBy=${q.sortBy}`, where: and(...listConditions(actor.orgId, q)) }, q, toSummary),
    );
  }

  /** One workflow (archived ones too) with its current definition. */
  async get(actor: Actor, id: string): Promise<Workflow> {
    if (!UUID_RE.test(id)) throw notFound('Workflow');
    const [found] = await this.database.readOrg(actor.orgId, (tx) =>
      tx
        .select({ row: workflows, definition: workflowVersions.definition })
        .from(workflows)
        .innerJoin(workflowVersions, and(eq(workflowVersions.workflowId, workflows.id), eq(workflowVersions.version, workflows.currentVersion)))
        .where(and(eq(workflows.orgId, actor.orgId), eq(workflows.id, id))),
    );
    if (!found) throw notFound('Workflow');
    return { ...toSummary(found.row), definition: found.definition };
  }

  /** A save: the definition, once valid, becomes the next version. 409 workflow_archived; 409/412 version_conflict. */
  async save(actor: Actor, id: string, input: SaveWorkflowInput, ifMatch?: string): Promise<Workflow> {
    return this.database.withOrg(actor.orgId, async (tx) => {
      const row = await this.loadForWrite(tx, actor, id, { expectedVersion: input.expectedVersion, ifMatch });
      const definition = await this.check(tx, actor, input.definition, 'body.definition.', row.id);
      return this.addVersion(tx, actor, row, definition, input.note ?? '');
    });
  }

  /** Archive (DELETE): out of lists, no more saves until unarchived. Already archived: nothing changes. */
  async archive(actor: Actor, id: string): Promise<void> {
    await this.database.withOrg(actor.orgId, async (tx) => {
      const row = await this.load(tx, actor, id, true);
      if (row.archivedAt) return;
      await tx.update(workflows).set({ archivedAt: sql`now()`, updatedAt: sql`now()` }).where(this.where(actor, row.id));
      await this.syncSchedule(tx, actor.orgId, row.id, null);
    });
  }

  /** Undoes an archive (a live workflow is returned as it is). */
  async unarchive(actor: Actor, id: string): Promise<Workflow> {
    await this.database.withOrg(actor.orgId, async (tx) => {
      const row = await this.load(tx, actor, id, true);
      if (!row.archivedAt) return;
      await tx.update(workflows).set({ archivedAt: null, updatedAt: sql`now()` }).where(this.where(actor, row.id));
      const current = await findVersion(tx, actor.orgId, row.id, row.currentVersion);
      await this.syncSchedule(tx, actor.orgId, row.id, current?.definition ?? null);
    });
    return this.get(actor, id);
  }

  /** The workflow's versions, newest first by default. */
  async listVersions(actor: Actor, id: string, q: PageQuery): Promise<Page<WorkflowVersionSummary>> {
    return this.database.withOrg(actor.orgId, async (tx) => listVersions(tx, actor.orgId, (await this.load(tx, actor, id)).id, q));
  }

  /** One version with its definition; `version` as it came in the URL (anything but 1, 2, … is 404). */
  async getVersion(actor: Actor, id: string, version: string | number): Promise<WorkflowVersion> {
    return this.database.withOrg(actor.orgId, async (tx) => this.loadVersion(tx, await this.load(tx, actor, id), version));
  }

  /** The structural diff from version `from` to version `to` (default: the current one). */
  async compare(actor: Actor, id: string, from: number, to?: number): Promise<VersionComparison> {
    return this.database.withOrg(actor.orgId, async (tx) => {
      const row = await this.load(tx, actor, id);
      const a = await this.loadVersion(tx, row, from);
      const b = await this.loadVersion(tx, row, to ?? row.currentVersion);
      return { from: a.version, to: b.version, ...diffDefinitions(a.definition, b.definition) };
    });
  }

  /**
   * A new version equal to version N (note "Restored version N" unless given). The old definition
   * is validated again: the agents or workflows it names may have gone since.
   */
  async restoreVersion(actor: Actor, id: string, version: string | number, input: { note?: string } & Preconditions = {}): Promise<Workflow> {
    return this.database.withOrg(actor.orgId, async (tx) => {
      const row = await this.loadForWrite(tx, actor, id, input);
      const old = await this.loadVersion(tx, row, version);
      const definition = await this.check(tx, actor, old.definition, 'definition.', row.id, `Version ${old.version} is not valid any more`);
      return this.addVersion(tx, actor, row, definition, input.note || `Restored version ${old.version}`);
    });
  }

  /** The file of the current version (or of `version`): its text, a file name and the media type. */
  async exportFile(actor: Actor, id: string, format: ExportFormat, version?: number): Promise<{ body: string; filename: string; contentType: string }> {
    const { definition } = version === undefined ? await this.get(actor, id) : await this.getVersion(actor, id, version);
    return { body: renderFile(definition, format), filename: fileName(definition.name, format), contentType: CONTENT_TYPES[format] };
  }

  // ---- internals ----

  private where(actor: Actor, id: string) {
    return and(eq(workflows.orgId, actor.orgId), eq(workflows.id, id));
  }

  private async load(tx: Tx, actor: Actor, id: string, forUpdate = false): Promise<WorkflowRow> {
    if (!UUID_RE.test(id)) throw notFound('Workflow');
    const query = tx.select().from(workflows).where(this.where(actor, id));
    // Locked for the rest of the transaction: concurrent saves queue instead of taking one number twice.
    const [row] = forUpdate ? await query.for('update') : await query;
    if (!row) throw notFound('Workflow');
    return row;
  }

  /** The row, locked, when it may take a new version: not archived, and at the version the caller expects. */
  private async loadForWrite(tx: Tx, actor: Actor, id: string, pre: Preconditions): Promise<WorkflowRow> {
    const row = await this.load(tx, actor, id, true);
    if (row.archivedAt) throw new AppError(409, 'workflow_archived', 'The workflow is archived; unarchive it (POST /workflows/:id/unarchive) before saving');
    if (pre.expectedVersion !== undefined && pre.expectedVersion !== row.currentVersion) {
      throw new AppError(409, 'version_conflict', `The workflow is at version ${row.currentVersion}, not ${pre.expectedVersion}; reload it and apply your change again`);
    }
    if (pre.ifMatch !== undefined && !ifMatches(pre.ifMatch, row.currentVersion)) {
      throw new AppError(412, 'version_conflict', `The workflow is at version ${row.currentVersion} (ETag "${row.currentVersion}"), which If-Match does not name; reload it and apply your change again`);
    }
    return row;
  }

  private async loadVersion(tx: Tx, row: WorkflowRow, version: string | number): Promise<WorkflowVersion> {
    const n = typeof version === 'number' ? version : VERSION.test(version) ? Number(version) : NaN;
    const found = Number.isSafeInteger(n) && n >= 1 ? await findVersion(tx, row.orgId, row.id, n) : null;
    if (!found) throw notFound('Workflow version');
    return found;
  }

  /** The definition as validation wrote it (defaults filled, keys in the schema's order); 400 invalid_workflow otherwise. */
  private async check(tx: Tx, actor: Actor, input: unknown, prefix: string, selfId?: string, what = 'The workflow has problems'): Promise<WorkflowDefinition> {
    const env = await loadValidationEnv(tx, this.tools, actor, input, selfId);
    const { definition, problems } = validateWorkflow(input, env);
    if (definition && problems.length === 0) return definition;
    throw invalid(input, problems, prefix, what);
  }

  private async insert(tx: Tx, actor: Actor, input: unknown, note: string, prefix: string): Promise<Workflow> {
    const definition = await this.check(tx, actor, input, prefix);
    const [row] = await tx
      .insert(workflows)
      .values({
        orgId: actor.orgId,
        name: definition.name,
        description: definition.description,
        tags: definition.tags,
        currentVersion: 1,
        createdBy: actor.userId,
        createdByApiKeyId: actor.apiKeyId,
      })
      .returning();
    await insertVersion(tx, row!, 1, definition, note, actor);
    await this.syncSchedule(tx, actor.orgId, row!.id, definition, prefix);
    return { ...toSummary(row!), definition };
  }

  private async addVersion(tx: Tx, actor: Actor, row: WorkflowRow, definition: WorkflowDefinition, note: string): Promise<Workflow> {
    const version = row.currentVersion + 1;
    await insertVersion(tx, row, version, definition, note, actor);
    await this.syncSchedule(tx, actor.orgId, row.id, definition);
    const [updated] = await tx
      .update(workflows)
      .set({ name: definition.name, description: definition.description, tags: definition.tags, currentVersion: version, updatedAt: sql`now()` })
      .where(this.where(actor, row.id))
      .returning();
    return { ...toSummary(updated!), definition };
  }
}

/**
 * Whether an If-Match header names version `current`: `"3"`, `W/"3"`, `3`, a list of them, or `*`
 * (any existing workflow). ETags are the version number, quoted.
 */
export function ifMatches(header: string, current: number): boolean {
  return header.split(',').some((part) => {
    const tag = part.trim().replace(/^W\//, '');
    return tag === '*' || tag.replace(/^"(.*)"$/, '$1') === String(current);
  });
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Where each node id first appears in an unchecked definition: `graph.nodes.3`, `graph.nodes.0.config.graph.nodes.1`, … */
export function nodePaths(input: unknown): Map<string, string> {
  const paths = new Map<string, string>();
  const graphs: [unknown, string][] = isObject(input) ? [[input.graph, 'graph']] : [];
  while (graphs.length) {
    const [graph, at] = graphs.shift()!;
    if (!isObject(graph) || !Array.isArray(graph.nodes)) continue;
    graph.nodes.forEach((node: unknown, i) => {
      if (!isObject(node)) return;
      const path = `${at}.nodes.${i}`;
      if (typeof node.id === 'string' && !paths.has(node.id)) paths.set(node.id, path);
      if (node.type === 'map' && isObject(node.config)) graphs.push([node.config.graph, `${path}.config.graph`]);
    });
  }
  return paths;
}

/**
 * 400 invalid_workflow: `errors` holds every problem with the path of the field in the request
 * (`body.definition.graph.nodes.2.config.agentId`) and, as validation gave them, its `nodeId`
 * and `field` (the path inside the node or the definition), so the builder can mark the node.
 */
function invalid(input: unknown, problems: WorkflowProblem[], prefix: string, what: string): AppError {
  const located = nodePaths(input);
  const errors = problems.map((p) => {
    const node = p.nodeId === null ? undefined : located.get(p.nodeId);
    const inside = node ? `${node}${p.path ? `.${p.path}` : ''}` : p.path;
    // Dotted like every other error path (`graph.edges[2]` → `graph.edges.2`).
    const path = `${prefix}${inside}`.replace(/\[(\d+)\]/g, '.$1').replace(/\.$/, '');
    return { path, message: p.message, nodeId: p.nodeId, field: p.path };
  });
  const first = errors[0];
  const count = errors.length === 1 ? 'one problem' : `${errors.length} problems`;
  return new AppError(400, 'invalid_workflow', first ? `${what} (${count}); ${first.path}: ${first.message}` : `${what}`, errors);
}
