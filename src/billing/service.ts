import type { EngineEvents } from '../observability/events.js';
import type { RaisedAlert } from './alerts.js';
import { eq } from 'drizzle-orm';
import type { AuditService } from '../audit/service.js';
import { organizations } from '../db/tenancy.js';
import { TtlCache } from '../shared/ttl-cache.js';
import { priceRowAt } from '../models/prices.js';
import type { Database, Tx } from '../db/client.js';
import type { ModelService } from '../models/service.js';
import { checkBudget, judgeInTx, newlyReached, verdict, type BudgetCheck, type SpendStanding } from './budgets.js';
import { ledgerCsv } from './export.js';
import { priceFigures, recordModelCall, type LedgerFigures, type ModelCallEntry } from './ledger.js';
import { monthOf, type Month } from './month.js';
import { budgetExceeded, budgetRefusal, reserve, type ReservationAnswer, type ReservationRequest } from './reservations.js';
import { usageHistory, usageReport, type UsageReport } from './usage.js';

export type { BudgetCheck, LedgerFigures, ModelCallEntry, ReservationAnswer, ReservationRequest, SpendStanding, UsageReport };

/**
 * The cost ledger, usage reports and budgets. Money is integer micro-dollars throughout:
 * base cost = catalog price × tokens (src/models/cost.ts), billed cost = base + the
 * organization's markup (default 20%), each rounded half up. Every report and budget figure is
 * an SQL sum over ledger rows, so they equal the ledger exactly; budget checks read monthly_spend,
 * which a trigger keeps equal to the ledger. Months are UTC calendar months.
 */
/** How long this process reuses an organization's markup for new ledger rows. */
export const MARKUP_TTL_MS = 10_000;

export class BillingService {
  constructor(
    readonly database: Database,
    /** The catalog. Prices for the ledger are read in the caller's transaction instead (see prices.ts). */
    readonly models: ModelService,
    readonly audit: AuditService,
  ) {}

  // Read on every model call, changed rarely: prices per (model, UTC day), markup per organization.
  // A miss loads in the caller's transaction (a second transaction would wait forever on PGlite).
  private readonly prices = new TtlCache<string, Awaited<ReturnType<typeof priceRowAt>>>(60_000);
  private readonly markups = new TtlCache<string, number>(MARKUP_TTL_MS);

  /**
   * Writes the ledger row of one model call in the org-scoped `tx`; idempotent per stepId (see
   * ledger.ts). The run engine writes its rows in its step writes instead (priceCall figures,
   * troupe_run_write). A markup change reaches new ledger rows within MARKUP_TTL_MS.
   */
  recordModelCall(tx: Tx, entry: ModelCallEntry): Promise<LedgerFigures> {
    return recordModelCall(tx, entry, {
      price: (provider, model, at) => this.price(entry.orgId, provider, model, at, tx),
      markupBps: (orgId) => this.markupBps(orgId, tx),
    });
  }

  /** The catalog price in force on `at`'s UTC day, cached; a miss reads in `tx` (else its own transaction). */
  private price(orgId: string, provider: string, model: string, at: Date, tx?: Tx) {
    const read = (t: Tx) => priceRowAt(t, provider, model, at);
    return this.prices.get(`${provider}:${model}:${at.toISOString().slice(0, 10)}`, () => (tx ? read(tx) : this.database.withOrg(orgId, read)));
  }

  /** The organization's markup, cached for MARKUP_TTL_MS; a miss reads in `tx` (else its own transaction). */
  private markupBps(orgId: string, tx?: Tx): Promise<number> {
    const read = async (t: Tx) => {
      const [org] = await t.select({ markupBps: organizations.markupBps }).from(organizations).where(eq(organizations.id, orgId));
      if (!org) throw new Error(`organization ${orgId} is not visible in this transaction`);
      return org.markupBps;
    };
    return this.markups.get(orgId, () => (tx ? read(tx) : this.database.withOrg(orgId, read)));
  }

  /**
   * The money figures of one model call at the cached price and markup, for a ledger row the run
   * engine writes itself (in its step write, troupe_run_write). Same rules as recordModelCall.
   */
  async priceCall(orgId: string, provider: string, model: string, usage: { inputTokens: number; outputTokens: number; cachedInputTokens: number }, at: Date): Promise<LedgerFigures> {
    const price = await this.price(orgId, provider, model, at);
    const markupBps = await this.markupBps(orgId);
    return priceFigures(price, usage, markupBps);
  }

  /**
   * The budget verdict for a spend standing the engine already holds (from its last write), with
   * no read: a write only when the standing newly reaches an alert threshold.
   */
  async judge(orgId: string, agentId: string, agentMonthlyBudgetMicros: number | null, standing: SpendStanding): Promise<BudgetCheck> {
    const fresh = newlyReached(standing, agentId, agentMonthlyBudgetMicros);
    if (!fresh.org.length && !fresh.agent.length) return verdict(standing, agentMonthlyBudgetMicros);
    const raised: RaisedAlert[] = [];
    const check = await this.database.withOrg(orgId, (tx) => judgeInTx(tx, this.audit, orgId, agentId, agentMonthlyBudgetMicros, standing, raised));
    this.tellAlerts(raised);
    return check;
  }

  /**
   * The most one model call can cost, billed (decision 44): `inputTokens` (an estimate of the
   * prompt) plus `maxOutputTokens` (the call's limit; null: the model's maximum in the catalog),
   * at the dearest of `models` (`provider:model`: the agent's model and its fallbacks, any of
   * which may answer). A model without a list price costs 0.
   */
  async maxCallCost(orgId: string, models: string[], inputTokens: number, maxOutputTokens: number | null, at: Date): Promise<number> {
    let most = 0;
    for (const ref of models) {
      const i = ref.indexOf(':');
      if (i <= 0) continue;
      const price = await this.price(orgId, ref.slice(0, i), ref.slice(i + 1), at);
      if (!price) continue;
      const outputTokens = Math.max(0, Math.min(maxOutputTokens ?? price.maxOutputTokens, price.maxOutputTokens));
      const cost = priceFigures(price, { inputTokens: Math.max(0, Math.ceil(inputTokens)), outputTokens, cachedInputTokens: 0 }, await this.markupBps(orgId));
      most = Math.max(most, cost.billedCostMicros);
    }
    return most;
  }

  /** Reserves a model call's most against the budgets, atomically in the database (reservations.ts). */
  reserve(r: ReservationRequest): Promise<ReservationAnswer> {
    return reserve(this.database, r);
  }

  /**
   * Throws 402 `budget_exceeded` when the organization's or the agent's monthly budget is used up:
   * new work is refused before it is accepted. One key lookup when neither has a budget.
   */
  async refuseOverBudget(orgId: string, agentId: string, agentMonthlyBudgetMicros: number | null): Promise<void> {
    const refusal = await budgetRefusal(this.database, orgId, agentId, agentMonthlyBudgetMicros);
    if (refusal) throw budgetExceeded(refusal);
  }

  /** Drops the cached markup of an organization (its owner just changed it). */
  forgetMarkup(orgId: string) {
    this.markups.delete(orgId);
  }

  /**
   * Whether the organization and the agent are still under their monthly
   * budgets (billed cost, calendar month of `now` in UTC, default now). Raises the 80% and 100%
   * alerts once each per scope and month. `agentMonthlyBudgetMicros` null = no agent budget.
   * The run engine judges the spend its writes return instead (judge).
   */
  async checkBudget(orgId: string, agentId: string, agentMonthlyBudgetMicros: number | null, now = new Date()): Promise<BudgetCheck> {
    const raised: RaisedAlert[] = [];
    const check = await checkBudget(this.database, this.audit, orgId, agentId, agentMonthlyBudgetMicros, now, raised);
    this.tellAlerts(raised);
    return check;
  }

  /** Set by app.ts: alerts raised are told to the engine's event port (`budget:alert`) once committed. */
  events: EngineEvents | null = null;

  private tellAlerts(raised: RaisedAlert[]) {
    for (const a of raised) this.events?.emit('budget:alert', { ...a, at: new Date() });
  }

  /** One month of usage, default the current UTC month; `top` caps the conversation and task lists (default 100). */
  usage(orgId: string, month: Month = monthOf(new Date()), top = 100): Promise<UsageReport> {
    return usageReport(this.database, orgId, month, top);
  }

  /** Monthly totals of the last `months` months (default 12), the current one last. */
  history(orgId: string, months = 12, now = new Date()) {
    return usageHistory(this.database, orgId, monthOf(now), months);
  }

  /** The month's ledger rows as CSV chunks (header first). */
  exportCsv(orgId: string, month: Month): AsyncGenerator<string> {
    return ledgerCsv(this.database, orgId, month);
  }
}
