import { and, desc, eq } from 'drizzle-orm';
import type { Database, Tx } from '../db/client.js';
import { badRequest, conflict, notFound } from '../shared/errors.js';
import { UUID_RE } from '../shared/ids.js';
import type { Actor } from '../shared/roles.js';
import { checkSyntax, checkTemplateSyntax, forEachString } from '../workflows/expressions.js';
import type { CreateTriggerInput, UpdateTriggerInput } from './dto.js';
import { triggers } from './schema.js';

export type TriggerRow = typeof triggers.$inferSelect;
/** A trigger as the API shows it: the debounce as one object. */
export type TriggerView = TriggerRow & { debounce: { key: string; seconds: number } | null };

const view = (row: TriggerRow): TriggerView => ({ ...row, debounce: row.debounceKey && row.debounceSeconds ? { key: row.debounceKey, seconds: row.debounceSeconds } : null });

/** What a trigger's form holds, the debounce as one object (a row's columns, or a create body). */
type TriggerShape = CreateTriggerInput;
const shapeOf = (row: TriggerRow): TriggerShape => ({ ...(row as unknown as TriggerShape), ...view(row) }) as TriggerShape;

/** What a trigger may start: checked on save (a 400 naming the field when it is not the organization's). */
export interface TriggerTargets {
  agentExists(actor: Actor, agentId: string): Promise<boolean>;
  workflowExists(actor: Actor, workflowId: string): Promise<boolean>;
}

/** The enabled triggers of an organization, as the processor reads them (kept 2 s; a save here drops them at once). */
const CACHE_MS = 2000;

/**
 * Triggers (issue 16; docs/events.md): an event type (or a prefix), a JSONata filter, and what to
 * start, an agent run with a templated task, a workflow run with a templated input, or a decision
 * on the event by an agent (its input: the event's source, type and payload); a throttle
 * by a templated key; an on/off switch. A workflow's `event` trigger node keeps a managed trigger
 * of its own (`syncWorkflow`), edited with the workflow.
 */
export class TriggerService {
  private readonly cache = new Map<string, { rows: TriggerRow[]; at: number }>();

  constructor(
    private readonly database: Database,
    private readonly targets: TriggerTargets,
  ) {}

  async list(actor: Actor): Promise<TriggerView[]> {
    const rows = await this.database.readOrg(actor.orgId, (tx) => tx.select().from(triggers).where(eq(triggers.orgId, actor.orgId)).orderBy(desc(triggers.createdAt)).limit(1000));
    return rows.map(view);
  }

  async get(actor: Actor, id: string): Promise<TriggerView> {
    return view(await this.row(actor, id));
  }

  private async row(actor: Actor, id: string): Promise<TriggerRow> {
    if (!UUID_RE.test(id)) throw notFound('Trigger');
    const [row] = await this.database.readOrg(actor.orgId, (tx) => tx.select().from(triggers).where(and(eq(triggers.orgId, actor.orgId), eq(triggers.id, id))));
    if (!row) throw notFound('Trigger');
    return row;
  }

  async create(actor: Actor, input: CreateTriggerInput): Promise<TriggerView> {
    await this.check(actor, input);
    const [row] = await this.database.withOrg(actor.orgId, (tx) =>
      tx
        .insert(triggers)
        .values({
          orgId: actor.orgId,
          name: input.name,
          eventType: input.eventType,
          filter: input.filter ?? null,
          agentId: input.agentId ?? null,
          task: input.task ?? null,
          workflowId: input.workflowId ?? null,
          input: (input.input ?? null) as never,
          decisionAgentId: input.decisionAgentId ?? null,
          decisionType: input.decisionType ?? null,
          throttleKey: input.throttleKey ?? null,
          throttleSeconds: input.throttleSeconds ?? null,
          debounceKey: input.debounce?.key ?? null,
          debounceSeconds: input.debounce?.seconds ?? null,
          maxConcurrentRuns: input.maxConcurrentRuns ?? null,
          enabled: input.enabled ?? true,
          createdBy: actor.userId,
        })
        .returning(),
    );
    this.cache.delete(actor.orgId);
    return view(row!);
  }

  async update(actor: Actor, id: string, patch: UpdateTriggerInput): Promise<TriggerView> {
    const current = await this.row(actor, id);
    // A workflow's own trigger: its switch and its concurrency limit change here, the rest in the workflow.
    const edits = Object.keys(patch).filter((k) => k !== 'enabled' && k !== 'maxConcurrentRuns' && patch[k as keyof UpdateTriggerInput] !== undefined);
    if (current.managed && edits.length) throw conflict("This trigger belongs to a workflow's event trigger node: change it in the workflow", 'trigger_managed');
    const next = { ...shapeOf(current), ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) } as TriggerShape;
    if (edits.length) await this.check(actor, next);
    const [row] = await this.database.withOrg(actor.orgId, (tx) =>
      tx
        .update(triggers)
        .set({
          name: next.name,
          eventType: next.eventType,
          filter: next.filter ?? null,
          agentId: next.agentId ?? null,
          task: next.task ?? null,
          workflowId: next.workflowId ?? null,
          input: (next.input ?? null) as never,
          decisionAgentId: next.decisionAgentId ?? null,
          decisionType: next.decisionType ?? null,
          throttleKey: next.throttleKey ?? null,
          throttleSeconds: next.throttleSeconds ?? null,
          debounceKey: next.debounce?.key ?? null,
          debounceSeconds: next.debounce?.seconds ?? null,
          maxConcurrentRuns: next.maxConcurrentRuns ?? null,
          enabled: next.enabled,
          updatedAt: new Date(),
        })
        .where(and(eq(triggers.orgId, actor.orgId), eq(triggers.id, id)))
        .returning(),
    );
    this.cache.delete(actor.orgId);
    return view(row!);
  }

  async remove(actor: Actor, id: string): Promise<void> {
    const current = await this.row(actor, id);
    if (current.managed) throw conflict("This trigger belongs to a workflow's event trigger node: remove the node, or archive the workflow", 'trigger_managed');
    await this.database.withOrg(actor.orgId, (tx) => tx.delete(triggers).where(and(eq(triggers.orgId, actor.orgId), eq(triggers.id, id))));
    this.cache.delete(actor.orgId);
  }

  /**
   * A workflow's event trigger, kept in step with its current version on every save, in the save's
   * transaction (`listen` null: no event trigger, or archived; its managed trigger goes).
   */
  async syncWorkflow(tx: Tx, orgId: string, workflowId: string, name: string, listen: { eventType: string; filter?: string } | null): Promise<void> {
    this.cache.delete(orgId);
    if (!listen) {
      await tx.delete(triggers).where(and(eq(triggers.orgId, orgId), eq(triggers.workflowId, workflowId), eq(triggers.managed, true)));
      return;
    }
    const values = { name, eventType: listen.eventType, filter: listen.filter ?? null, updatedAt: new Date() };
    const [updated] = await tx
      .update(triggers)
      .set(values)
      .where(and(eq(triggers.orgId, orgId), eq(triggers.workflowId, workflowId), eq(triggers.managed, true)))
      .returning({ id: triggers.id });
    if (!updated) await tx.insert(triggers).values({ orgId, workflowId, managed: true, ...values });
  }

  /** The organization's enabled triggers (the processor's read; cached briefly). */
  async enabledOf(orgId: string): Promise<TriggerRow[]> {
    const hit = this.cache.get(orgId);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.rows;
    const rows = await this.database.readOrg(orgId, (tx) => tx.select().from(triggers).where(and(eq(triggers.orgId, orgId), eq(triggers.enabled, true))));
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(orgId, { rows, at: Date.now() });
    return rows;
  }

  private async check(actor: Actor, t: CreateTriggerInput) {
    const problems: { path: string; message: string }[] = [];
    const report = (path: string, message: string) => problems.push({ path: `body.${path}`, message });
    const targets = [t.agentId, t.workflowId, t.decisionAgentId].filter(Boolean).length;
    if (targets !== 1) report(t.agentId ? (t.workflowId ? 'workflowId' : 'decisionAgentId') : t.workflowId ? 'decisionAgentId' : 'agentId', 'give one of agentId (with a task), workflowId or decisionAgentId');
    if (t.decisionAgentId && !(await this.targets.agentExists(actor, t.decisionAgentId))) report('decisionAgentId', 'no such agent in this organization');
    if (t.agentId && !t.task) report('task', "an agent trigger needs the agent's task");
    if (t.agentId && !(await this.targets.agentExists(actor, t.agentId))) report('agentId', 'no such agent in this organization');
    if (t.workflowId && !(await this.targets.workflowExists(actor, t.workflowId))) report('workflowId', 'no such workflow in this organization');
    if (Boolean(t.throttleKey) !== Boolean(t.throttleSeconds)) report(t.throttleKey ? 'throttleSeconds' : 'throttleKey', 'a throttle needs both throttleKey and throttleSeconds');
    if (t.debounce && (t.throttleKey || t.throttleSeconds)) report('debounce', 'a trigger has a throttle or a debounce, not both: remove throttleKey and throttleSeconds, or the debounce');
    if (t.filter) for (const p of checkSyntax(t.filter)) report('filter', p.message);
    for (const [field, text] of [
      ['task', t.task],
      ['throttleKey', t.throttleKey],
      ['debounce.key', t.debounce?.key],
    ] as const) {
      if (text) for (const p of checkTemplateSyntax(text)) report(field, p.message);
    }
    if (t.input !== undefined) forEachString(t.input, 'input', (text, path) => checkTemplateSyntax(text).forEach((p) => report(path, p.message)));
    if (problems.length) throw badRequest(`The trigger has problems: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, problems, 'invalid_trigger');
  }
}
