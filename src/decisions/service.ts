import { and, desc, eq, gte, inArray, lt, notInArray, sql } from 'drizzle-orm';
import type { Database, Tx } from '../db/client.js';
import { agentToolsOf } from '../agents/lookups.js';
import type { RunService } from '../runs/service.js';
import { AppError, badRequest, conflict, isUniqueViolation, notFound } from '../shared/errors.js';
import { UUID_RE } from '../shared/ids.js';
import { keysetPage, timestampSort } from '../shared/keyset.js';
import type { Page } from '../shared/pagination.js';
import type { Actor } from '../shared/roles.js';
import { actionSchema, type ListDecisionsQuery, type PolicyInput, type ProcessInput } from './dto.js';
import { decisionPolicies, decisions } from './schema.js';
import { FINAL_DECISION_STATUSES } from './enums.js';
import type { DecisionRow, DecisionRunInput, PolicyRow } from './store.js';

/** One decision's start, from the API or a trigger. */
export interface StartDecision {
  agentId: string;
  decisionType?: string;
  input: { source: string; type: string; data: unknown };
  eventId?: string | null;
  triggerId?: string | null;
}

/**
 * Decisions as the API sees them (issue 16; docs/decision-engine.md): start one, list and read the
 * records, approve (with changed actions) or reject one waiting for a person, the analytics, and
 * the policies. The engine (runner.ts) decides and acts; a person's decision goes through the
 * run's approval, so it is never lost to the engine's timing (decision 40).
 */
export class DecisionService {
  constructor(
    private readonly database: Database,
    private readonly runs: RunService,
  ) {
    // An approval of a decision keeps the approver's changed actions, checked here.
    runs.decisionResponse = (values) => {
      const list = values?.actions;
      if (list === undefined) return null;
      const r = actionSchema.array().max(20).safeParse(list);
      if (!r.success) throw badRequest('The changed actions are not valid', r.error.issues.map((i) => ({ path: `body.actions.${i.path.join('.')}`, message: i.message })));
      return { actions: r.data };
    };
    // A decision whose run was canceled is closed with it, in the same transaction.
    runs.onCanceled = (tx, orgId, runIds) => closeRecords(tx, orgId, runIds, 'canceled', { code: 'canceled', message: 'The decision was canceled' });
  }

  /**
   * A decision run the engine ended without the decision engine's own last word (canceled while
   * running, its time limit, an internal error): its record is closed too (app.ts calls this on
   * the engine's run:finished, in the process where the run ended).
   */
  async runEnded(e: { orgId: string; runId: string; status: string; errorCode?: string }): Promise<void> {
    if (e.status !== 'canceled' && e.status !== 'failed') return;
    await this.database.withOrg(e.orgId, (tx) =>
      closeRecords(tx, e.orgId, [e.runId], e.status === 'canceled' ? 'canceled' : 'failed', { code: e.errorCode ?? e.status, message: e.status === 'canceled' ? 'The decision was canceled' : 'The decision run failed' }),
    );
  }

  async start(actor: Actor, s: StartDecision, idempotencyKey?: string): Promise<{ decision: DecisionRow; created: boolean }> {
    const agent = await this.database.readOrg(actor.orgId, (tx) => agentToolsOf(tx, actor.orgId, s.agentId));
    if (!agent || agent.deleted) throw notFound('Agent');
    if (agent.status === 'paused') throw conflict(`The agent ${agent.name} is paused; enable it to decide with it`, 'agent_paused');
    const input: DecisionRunInput = {
      agentId: s.agentId,
      decisionType: s.decisionType ?? s.input.type,
      input: s.input,
      eventId: s.eventId ?? null,
      triggerId: s.triggerId ?? null,
    };
    let row: DecisionRow | undefined;
    const { run, created } = await this.runs.createDecisionRun(actor, { input: input as unknown as Record<string, unknown>, idempotencyKey }, async (tx, r) => {
      [row] = await tx
        .insert(decisions)
        .values({ id: r.id, orgId: actor.orgId, agentId: input.agentId, decisionType: input.decisionType, input: input.input, eventId: input.eventId ?? null, triggerId: input.triggerId ?? null })
        .returning();
    });
    return { decision: row ?? (await this.get(actor, run.id)), created };
  }

  /** POST /decisions: the API's own input (source `api` unless given). */
  process(actor: Actor, body: ProcessInput, idempotencyKey?: string) {
    return this.start(actor, { agentId: body.agentId, decisionType: body.decisionType, input: body.input }, idempotencyKey);
  }

  async list(actor: Actor, q: ListDecisionsQuery): Promise<Page<DecisionRow>> {
    const where = and(
      eq(decisions.orgId, actor.orgId),
      q.status ? eq(decisions.status, q.status) : undefined,
      q.agentId ? eq(decisions.agentId, q.agentId) : undefined,
      q.intent ? eq(decisions.intent, q.intent) : undefined,
      q.decisionType ? eq(decisions.decisionType, q.decisionType) : undefined,
      q.source ? eq(decisions.source, q.source) : undefined,
      q.from ? gte(decisions.createdAt, new Date(q.from)) : undefined,
      q.to ? lt(decisions.createdAt, new Date(q.to)) : undefined,
    );
    return this.database.readOrg(actor.orgId, (tx) => keysetPage(tx, { table: decisions, id: decisions.id, sort: timestampSort(decisions.createdAt), sortName: 'sortBy=createdAt', where: where! }, q, (r) => r));
  }

  async get(actor: Actor, id: string): Promise<DecisionRow> {
    if (!UUID_RE.test(id)) throw notFound('Decision');
    const [row] = await this.database.readOrg(actor.orgId, (tx) => tx.select().from(decisions).where(and(eq(decisions.orgId, actor.orgId), eq(decisions.id, id))));
    if (!row) throw notFound('Decision');
    return row;
  }

  /** Approves a decision waiting for a person, optionally with changed actions; its run goes on. */
  async approve(actor: Actor, id: string, body: { actions?: unknown[]; comment?: string }): Promise<DecisionRow> {
    const d = await this.waiting(actor, id);
    await this.runs.decide(actor, d.approvalId!, 'approved', body.comment, body.actions === undefined ? undefined : { actions: body.actions });
    return this.get(actor, id);
  }

  async reject(actor: Actor, id: string, comment?: string): Promise<DecisionRow> {
    const d = await this.waiting(actor, id);
    await this.runs.decide(actor, d.approvalId!, 'rejected', comment);
    return this.get(actor, id);
  }

  /** Several at once (the inbox's bulk buttons): each decided on its own; one that cannot be says why. */
  async bulk(actor: Actor, ids: string[], decision: 'approve' | 'reject', comment?: string): Promise<{ id: string; ok: boolean; status?: number; code?: string; message?: string }[]> {
    const out = [];
    for (const id of new Set(ids)) {
      try {
        if (decision === 'approve') await this.approve(actor, id, { comment });
        else await this.reject(actor, id, comment);
        out.push({ id, ok: true });
      } catch (err) {
        if (!(err instanceof AppError)) throw err;
        out.push({ id, ok: false, status: err.status, code: err.code, message: err.message });
      }
    }
    return out;
  }

  private async waiting(actor: Actor, id: string): Promise<DecisionRow> {
    const d = await this.get(actor, id);
    if (d.status !== 'awaiting_approval' || !d.approvalId) {
      throw conflict(`This decision is ${d.status.replace('_', ' ')}, not waiting for a person`, 'decision_not_waiting');
    }
    return d;
  }

  /** Counts by status, source, intent and type; the confidence histogram; auto-execution, approval and edit rates. */
  async analytics(actor: Actor, q: { agentId?: string; from?: string; to?: string }) {
    const where = and(
      eq(decisions.orgId, actor.orgId),
      q.agentId ? eq(decisions.agentId, q.agentId) : undefined,
      q.from ? gte(decisions.createdAt, new Date(q.from)) : undefined,
      q.to ? lt(decisions.createdAt, new Date(q.to)) : undefined,
    );
    const person = sql`(${decisions.decidedBy} ->> 'type') in ('user', 'api_key')`;
    const figures = (key: ReturnType<typeof sql>) =>
      ({
        key: sql<string>`coalesce(${key}, '(none)')`,
        count: sql<string>`count(*)`,
        autoExecuted: sql<string>`count(*) filter (where ${decisions.outcome} = 'execute')`,
        approved: sql<string>`count(*) filter (where ${person} and ${decisions.status} in ('approved', 'executed', 'failed'))`,
        rejected: sql<string>`count(*) filter (where ${decisions.status} = 'rejected')`,
        edited: sql<string>`count(*) filter (where ${decisions.actionsEdited})`,
        failed: sql<string>`count(*) filter (where ${decisions.status} = 'failed')`,
        avgConfidence: sql<string | null>`avg(${decisions.confidence})`,
      }) as const;
    const [byIntent, byType, byStatus, bySource, histogram, [rates]] = await this.database.readOrg(actor.orgId, (tx) =>
      Promise.all([
        tx.select(figures(sql`${decisions.intent}`)).from(decisions).where(where).groupBy(sql`1`).orderBy(sql`2 desc`).limit(100),
        tx.select(figures(sql`${decisions.decisionType}`)).from(decisions).where(where).groupBy(sql`1`).orderBy(sql`2 desc`).limit(100),
        tx.select({ key: decisions.status, n: sql<string>`count(*)` }).from(decisions).where(where).groupBy(decisions.status),
        tx.select({ key: sql<string>`coalesce(${decisions.source}, 'pending')`, n: sql<string>`count(*)` }).from(decisions).where(where).groupBy(sql`1`),
        tx
          .select({ bucket: sql<number>`least(floor(${decisions.confidence} * 10), 9)::int`, n: sql<string>`count(*)` })
          .from(decisions)
          .where(and(where, sql`${decisions.confidence} is not null`))
          .groupBy(sql`1`),
        tx
          .select({
            decided: sql<string>`count(*) filter (where ${decisions.outcome} is not null)`,
            auto: sql<string>`count(*) filter (where ${decisions.outcome} = 'execute')`,
            byPerson: sql<string>`count(*) filter (where ${person})`,
            approvedByPerson: sql<string>`count(*) filter (where ${person} and ${decisions.status} <> 'rejected')`,
            edited: sql<string>`count(*) filter (where ${person} and ${decisions.actionsEdited})`,
          })
          .from(decisions)
          .where(where),
      ]),
    );
    const n = (v: string | number | null | undefined) => Number(v ?? 0);
    const rate = (a: number, b: number) => (b === 0 ? null : Math.round((a / b) * 10_000) / 10_000);
    const bucket = (r: Record<string, unknown>) => ({
      key: String(r.key),
      count: n(r.count as string),
      autoExecuted: n(r.autoExecuted as string),
      approved: n(r.approved as string),
      rejected: n(r.rejected as string),
      edited: n(r.edited as string),
      failed: n(r.failed as string),
      avgConfidence: r.avgConfidence === null ? null : Math.round(Number(r.avgConfidence) * 1000) / 1000,
    });
    const hist = Array.from({ length: 10 }, (_, i) => ({ from: i / 10, to: (i + 1) / 10, count: n(histogram.find((h) => Number(h.bucket) === i)?.n) }));
    return {
      total: byStatus.reduce((s, r) => s + n(r.n), 0),
      byStatus: Object.fromEntries(byStatus.map((r) => [r.key, n(r.n)])),
      bySource: Object.fromEntries(bySource.map((r) => [r.key, n(r.n)])),
      byIntent: byIntent.map(bucket),
      byType: byType.map(bucket),
      confidenceHistogram: hist,
      autoExecutionRate: rate(n(rates?.auto), n(rates?.decided)),
      approvalRate: rate(n(rates?.approvedByPerson), n(rates?.byPerson)),
      editRate: rate(n(rates?.edited), n(rates?.approvedByPerson)),
    };
  }

  // --- policies -----------------------------------------------------------------------------

  async policies(actor: Actor, agentId?: string): Promise<PolicyRow[]> {
    return this.database.readOrg(actor.orgId, (tx) =>
      tx
        .select()
        .from(decisionPolicies)
        .where(and(eq(decisionPolicies.orgId, actor.orgId), agentId ? eq(decisionPolicies.agentId, agentId) : undefined))
        .orderBy(desc(decisionPolicies.updatedAt))
        .limit(500),
    );
  }

  async policy(actor: Actor, id: string): Promise<PolicyRow> {
    if (!UUID_RE.test(id)) throw notFound('Decision policy');
    const [row] = await this.database.readOrg(actor.orgId, (tx) => tx.select().from(decisionPolicies).where(and(eq(decisionPolicies.orgId, actor.orgId), eq(decisionPolicies.id, id))));
    if (!row) throw notFound('Decision policy');
    return row;
  }

  async createPolicy(actor: Actor, p: PolicyInput): Promise<PolicyRow> {
    await this.agentExists(actor, p.agentId);
    try {
      const [row] = await this.database.withOrg(actor.orgId, (tx) => tx.insert(decisionPolicies).values({ ...p, orgId: actor.orgId }).returning());
      return row!;
    } catch (err) {
      if (isUniqueViolation(err)) {
        throw conflict(`This agent already has a ${p.decisionType === null ? 'default policy' : `policy for ${p.decisionType}`}; change that one`, 'policy_exists');
      }
      throw err;
    }
  }

  async updatePolicy(actor: Actor, id: string, p: PolicyInput): Promise<PolicyRow> {
    const current = await this.policy(actor, id);
    if (p.agentId !== current.agentId || p.decisionType !== current.decisionType) throw badRequest('agentId and decisionType of a policy cannot change', [{ path: 'body.agentId', message: 'cannot change' }]);
    const [row] = await this.database.withOrg(actor.orgId, (tx) =>
      tx.update(decisionPolicies).set({ ...p, updatedAt: sql`now()` }).where(and(eq(decisionPolicies.orgId, actor.orgId), eq(decisionPolicies.id, id))).returning(),
    );
    return row!;
  }

  async deletePolicy(actor: Actor, id: string): Promise<void> {
    await this.policy(actor, id);
    await this.database.withOrg(actor.orgId, (tx) => tx.delete(decisionPolicies).where(and(eq(decisionPolicies.orgId, actor.orgId), eq(decisionPolicies.id, id))));
  }

  private async agentExists(actor: Actor, agentId: string) {
    const agent = await this.database.readOrg(actor.orgId, (tx) => agentToolsOf(tx, actor.orgId, agentId));
    if (!agent || agent.deleted) throw badRequest('No such agent', [{ path: 'body.agentId', message: 'no agent with this id in this organization' }], 'agent_not_found');
  }

  /** The agent's latest decisions, for the model's context ("recent decisions"). */
  async recent(orgId: string, agentId: string, exceptId: string, limit = 5) {
    return this.database.readOrg(orgId, (tx) =>
      tx
        .select({ at: decisions.createdAt, type: decisions.decisionType, intent: decisions.intent, confidence: decisions.confidence, status: decisions.status })
        .from(decisions)
        .where(and(eq(decisions.orgId, orgId), eq(decisions.agentId, agentId), sql`${decisions.id} <> ${exceptId}`, sql`${decisions.intent} is not null`))
        .orderBy(desc(decisions.createdAt))
        .limit(limit),
    );
  }
}

/** Closes the records of `ids` that are not final yet (a record the engine already closed keeps its end). */
async function closeRecords(tx: Tx, orgId: string, ids: string[], status: 'canceled' | 'failed', error: { code: string; message: string }) {
  await tx
    .update(decisions)
    .set({ status, error, finishedAt: sql`now()`, updatedAt: sql`now()` })
    .where(and(eq(decisions.orgId, orgId), inArray(decisions.id, ids), notInArray(decisions.status, [...FINAL_DECISION_STATUSES])));
}
