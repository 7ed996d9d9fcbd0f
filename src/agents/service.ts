import { and, count, eq, isNull, sql } from 'drizzle-orm';
import type { Actor } from '../shared/roles.js';
import type { Database, Tx } from '../db/client.js';
import type { ChangeFeed } from '../db/changes.js';
import { AppError, isUniqueViolation, notFound } from '../shared/errors.js';
import { toPage } from '../shared/keyset.js';
import { assertOneOfOffsetCursor, type Page, type PageQuery } from '../shared/pagination.js';
import type {
  Agent,
  AgentDraft,
  AgentSnapshot,
  AgentStatus,
  AgentVersion,
  AgentVersionSummary,
  CreateAgentInput,
  UpdateAgentInput,
  VersionComparison,
} from './dto.js';
import { afterCursor, listConditions, orderOf, sortKeyOf, type ListAgentsQuery } from './list-query.js';
import { composeSystemPrompt, type SystemPrompt } from './prompt.js';
import { agents } from './schema.js';
import { applyUpdate, diffSnapshots, snapshotOf, toAgent, type AgentRow } from './snapshot.js';
import { findVersion, listVersions, recordVersion } from './versions.js';
import { UUID_RE } from '../shared/ids.js';

export type AgentChanges = Pick<ChangeFeed, 'changed'>;

const VERSION = /^[1-9]\d{0,8}$/;

interface LoadOptions {
  includeDeleted?: boolean;
  /** Lock the row for the rest of the transaction, so concurrent changes queue instead of skipping versions. */
  forUpdate?: boolean;
}

const nameTaken = (name: string) =>
  new AppError(409, 'agent_name_taken', `Another agent in this organization is already named "${name}" (names ignore case)`);

/** Runs a write that may hit agents_org_name_key and turns that into a 409 naming the name. */
async function guardName<T>(name: string, write: PromiseLike<T>): Promise<T> {
  try {
    return await write;
  } catch (err) {
    if (isUniqueViolation(err)) throw nameTaken(name);
    throw err;
  }
}

/**
 * Agents of an organization: configuration CRUD with soft delete, enable/disable, numbered
 * versions (every configuration change writes the full snapshot), and the system prompt.
 * Every call runs in `withOrg(actor.orgId)` and also filters on org_id, so another
 * organization's agent is simply not found. Inputs are the validated shapes from dto.ts.
 */
/** What the agents module needs from the tool registry: which names exist and who may grant them. */
export interface ToolValidator {
  validateAgentTools(names: string[], actorRole: Actor['role']): { path: string; message: string }[];
}

export class AgentService {
  constructor(
    private readonly database: Database,
    private readonly tools: ToolValidator | null = null,
    /** Told of every write at its commit, so this process's cached reads of agents (GET /agents) are dropped at once. */
    private readonly changes: AgentChanges | null = null,
  ) {}

  /** A transaction that writes agents of the actor's organization. */
  private write<T>(actor: Actor, fn: (tx: Tx) => Promise<T>): Promise<T> {
    return this.database.withOrg(actor.orgId, (tx) => {
      this.changes?.changed(tx, 'agents', actor.orgId);
      return fn(tx);
    });
  }

  /** 400 naming `body.tools.N` for a tool that does not exist or that the actor's role may not grant. */
  private checkTools(actor: Actor, names: string[] | undefined) {
    if (!names || !this.tools) return;
    const problems = this.tools.validateAgentTools(names, actor.role);
    if (problems.length) {
      const errors = problems.map((p) => ({ path: p.path.startsWith('body.') ? p.path : `body.${p.path}`, message: p.message }));
      throw new AppError(400, 'invalid_tools', `${errors[0]!.path}: ${errors[0]!.message}`, errors);
    }
  }

  /** 400 naming `body.approvalTools.N` for an entry that is not one of the agent's tools. */
  private checkApprovalTools(approvalTools: string[] | undefined, tools: string[]) {
    const errors = (approvalTools ?? [])
      .map((name, i) => ({ name, i }))
      .filter(({ name }) => !tools.includes(name))
      .map(({ name, i }) => ({ path: `body.approvalTools.${i}`, message: `${name} is not one of this agent's tools; add it to tools first` }));
    if (errors.length) throw new AppError(400, 'invalid_tools', `${errors[0]!.path}: ${errors[0]!.message}`, errors);
  }

  /** Creates an agent at version 1 (change note "Created"). 409 agent_name_taken on a live duplicate name. */
  async create(actor: Actor, input: CreateAgentInput): Promise<Agent> {
    this.checkTools(actor, input.tools);
    this.checkApprovalTools(input.approvalTools, input.tools);
    return this.write(actor, async (tx) => {
      const snapshot = snapshotOf(input);
      const [row] = await guardName(
        input.name,
        tx.insert(agents).values({ ...snapshot, orgId: actor.orgId, version: 1, createdBy: actor.userId }).returning(),
      );
      await recordVersion(tx, row!, snapshot, 'Created', actor.userId);
      return toAgent(row!);
    });
  }

  /** Lists agents with filters; `total` counts every match. Offset and cursor pages both get a nextCursor. */
  async list(actor: Actor, q: ListAgentsQuery): Promise<Page<Agent>> {
    assertOneOfOffsetCursor(q);
    const filters = listConditions(actor.orgId, q);
    const keyset = q.cursor ? [afterCursor(q.sortBy, q.sortOrder, q.cursor)] : [];
    return this.database.readOrg(actor.orgId, async (tx) => {
      // Together, with the transaction's begin and commit: one round trip on PostgreSQL.
      const [[{ total } = { total: 0 }], rows] = await Promise.all([
        tx.select({ total: count() }).from(agents).where(and(...filters)),
        tx
          .select({ agent: agents, id: agents.id, sortKey: sortKeyOf(q.sortBy) })
          .from(agents)
          .where(and(...filters, ...keyset))
          .orderBy(...orderOf(q.sortBy, q.sortOrder))
          .limit(q.limit + 1)
          .offset(q.offset ?? 0),
      ]);
      return toPage(rows, q, total, (r) => toAgent(r.agent));
    });
  }

  /** The agent from its database row (the run engine loads rows itself). */
  fromRow(row: AgentRow): Agent {
    return toAgent(row);
  }

  /** The agent with version `version`'s configuration (its current status kept); null when it has no such version. */
  async atVersion(row: AgentRow, version: number): Promise<Agent | null> {
    if (version === row.version) return toAgent(row);
    const found = await this.database.readOrg(row.orgId, (tx) => findVersion(tx, row.orgId, row.id, version));
    if (!found) return null;
    return { ...toAgent(row), ...found.snapshot, status: row.status, version };
  }

  /** One agent; a soft-deleted one only with `includeDeleted` (default false). */
  async get(actor: Actor, id: string, options: { includeDeleted?: boolean } = {}): Promise<Agent> {
    return this.database.readOrg(actor.orgId, async (tx) => toAgent(await this.load(tx, actor, id, options)));
  }

  /**
   * Partial update: see applyUpdate for the merge rules. A real change bumps the version and
   * records it; a no-op returns the agent as it is. 409 version_conflict when `expectedVersion`
   * is given and stale; 409 agent_name_taken on a rename to a taken name.
   */
  async update(actor: Actor, id: string, patch: UpdateAgentInput): Promise<Agent> {
    this.checkTools(actor, patch.tools);
    return this.write(actor, async (tx) => {
      const row = await this.load(tx, actor, id, { forUpdate: true });
      if (patch.expectedVersion !== undefined && patch.expectedVersion !== row.version) {
        throw new AppError(
          409,
          'version_conflict',
          `The agent is at version ${row.version}, not ${patch.expectedVersion}; reload it and apply your change again`,
        );
      }
      const next = applyUpdate(snapshotOf(row), patch);
      // Named in this patch: each must be a tool of the agent. Otherwise tools taken away take their approval setting with them.
      this.checkApprovalTools(patch.approvalTools, next.tools);
      next.approvalTools = next.approvalTools.filter((name) => next.tools.includes(name));
      return toAgent(await this.change(tx, actor, row, next, patch.changeNote ?? ''));
    });
  }

  /** Soft delete: the agent disappears from lists and its name becomes free. Not a version. */
  async remove(actor: Actor, id: string): Promise<void> {
    await this.write(actor, async (tx) => {
      const row = await this.load(tx, actor, id, { forUpdate: true });
      await tx
        .update(agents)
        .set({ deletedAt: sql`now()`, updatedAt: sql`now()` })
        .where(and(eq(agents.orgId, actor.orgId), eq(agents.id, row.id)));
    });
  }

  /** Undoes a soft delete (a live agent is returned unchanged). 409 when its name was taken meanwhile. */
  async restore(actor: Actor, id: string): Promise<Agent> {
    return this.write(actor, async (tx) => {
      const row = await this.load(tx, actor, id, { includeDeleted: true, forUpdate: true });
      if (!row.deletedAt) return toAgent(row);
      const [restored] = await guardName(
        row.name,
        tx
          .update(agents)
          .set({ deletedAt: null, updatedAt: sql`now()` })
          .where(and(eq(agents.orgId, actor.orgId), eq(agents.id, row.id)))
          .returning(),
      );
      return toAgent(restored!);
    });
  }

  /** Enable (active) or disable (paused); a versioned change ("Enabled"/"Disabled") unless already so. */
  async setStatus(actor: Actor, id: string, status: AgentStatus): Promise<Agent> {
    return this.write(actor, async (tx) => {
      const row = await this.load(tx, actor, id, { forUpdate: true });
      const note = status === 'active' ? 'Enabled' : 'Disabled';
      return toAgent(await this.change(tx, actor, row, { ...snapshotOf(row), status }, note));
    });
  }

  /** The agent's versions, newest first by default. */
  async listVersions(actor: Actor, id: string, q: PageQuery): Promise<Page<AgentVersionSummary>> {
    assertOneOfOffsetCursor(q);
    return this.database.withOrg(actor.orgId, async (tx) => {
      const row = await this.load(tx, actor, id);
      return listVersions(tx, actor.orgId, row.id, q);
    });
  }

  /** One version with its snapshot; `version` as it came in the URL (anything but 1, 2, … is 404). */
  async getVersion(actor: Actor, id: string, version: string | number): Promise<AgentVersion> {
    return this.database.withOrg(actor.orgId, async (tx) => {
      const row = await this.load(tx, actor, id);
      return this.loadVersion(tx, row, version);
    });
  }

  /** Field-by-field changes from version `from` to version `to` (default: the current version). */
  async compareVersions(actor: Actor, id: string, from: number, to?: number): Promise<VersionComparison> {
    return this.database.withOrg(actor.orgId, async (tx) => {
      const row = await this.load(tx, actor, id);
      const a = await this.loadVersion(tx, row, from);
      const b = await this.loadVersion(tx, row, to ?? row.version);
      return { from: a.version, to: b.version, changes: diffSnapshots(a.snapshot, b.snapshot) };
    });
  }

  /**
   * Makes the configuration equal to version N's snapshot again (status included, as it was part
   * of that version), recorded as a new version "Restored version N". Nothing to change = no new version.
   */
  async restoreVersion(actor: Actor, id: string, version: string | number): Promise<Agent> {
    return this.write(actor, async (tx) => {
      const row = await this.load(tx, actor, id, { forUpdate: true });
      const old = await this.loadVersion(tx, row, version);
      return toAgent(await this.change(tx, actor, row, old.snapshot, `Restored version ${old.version}`));
    });
  }


  /** The system prompt a run of this agent gets (see composeSystemPrompt). */
  async prompt(actor: Actor, id: string): Promise<SystemPrompt> {
    const row = await this.database.withOrg(actor.orgId, (tx) => this.load(tx, actor, id));
    return composeSystemPrompt(snapshotOf(row));
  }

  /** The system prompt an unsaved draft would get; touches no data. */
  previewPrompt(draft: AgentDraft): SystemPrompt {
    return composeSystemPrompt(draft);
  }

  private async load(tx: Tx, actor: Actor, id: string, options: LoadOptions = {}): Promise<AgentRow> {
    if (!UUID_RE.test(id)) throw notFound('Agent');
    const where = and(eq(agents.orgId, actor.orgId), eq(agents.id, id), options.includeDeleted ? undefined : isNull(agents.deletedAt));
    const query = tx.select().from(agents).where(where);
    const [row] = options.forUpdate ? await query.for('update') : await query;
    if (!row) throw notFound('Agent');
    return row;
  }

  private async loadVersion(tx: Tx, agent: AgentRow, version: string | number): Promise<AgentVersion> {
    const n = typeof version === 'number' ? version : VERSION.test(version) ? Number(version) : NaN;
    const found = Number.isSafeInteger(n) ? await findVersion(tx, agent.orgId, agent.id, n) : null;
    if (!found) throw notFound('Agent version');
    return found;
  }

  /** Writes `next` as the agent's new configuration and version, unless it equals the current one. */
  private async change(tx: Tx, actor: Actor, row: AgentRow, next: AgentSnapshot, note: string): Promise<AgentRow> {
    if (diffSnapshots(snapshotOf(row), next).length === 0) return row;
    const [updated] = await guardName(
      next.name,
      tx
        .update(agents)
        .set({ ...next, version: row.version + 1, updatedAt: sql`now()` })
        .where(and(eq(agents.orgId, actor.orgId), eq(agents.id, row.id)))
        .returning(),
    );
    await recordVersion(tx, updated!, next, note, actor.userId);
    return updated!;
  }
}
