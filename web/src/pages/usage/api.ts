import type { z } from 'zod';
import type { usageReportSchema } from '@server/billing/dto';
import { api } from '../../api/client';

export type UsageReport = z.output<typeof usageReportSchema>;
export type UsageTotals = UsageReport['totals'];

/** The current UTC month, YYYY-MM (the API's months are UTC). */
export const currentMonth = () => new Date().toISOString().slice(0, 7);

/** Months from `from` to `to` inclusive (YYYY-MM), oldest first. */
export function monthsBetween(from: string, to: string): string[] {
  const [fy, fm] = from.split('-').map(Number) as [number, number];
  const [ty, tm] = to.split('-').map(Number) as [number, number];
  const out: string[] = [];
  for (let y = fy, m = fm; y < ty || (y === ty && m <= tm); m === 12 ? ((m = 1), y++) : m++) {
    out.push(`${y}-${String(m).padStart(2, '0')}`);
    if (out.length > 120) break;
  }
  return out;
}

/** Every day of a month, YYYY-MM-DD (up to today for the current month). */
export function daysOf(month: string, today = new Date().toISOString().slice(0, 10)): string[] {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const last = new Date(Date.UTC(y, m, 0)).getUTCDate();
  const days = Array.from({ length: last }, (_, i) => `${month}-${String(i + 1).padStart(2, '0')}`);
  return days.filter((d) => d <= today || !today.startsWith(month));
}

export const usageApi = {
  report: (month: string, signal?: AbortSignal) => api.get<UsageReport>('/usage', { query: { month, top: 1 }, signal }),
  /** The month's ledger as CSV text (header first). */
  csv: async (month: string): Promise<string> => (await api.fetch('/usage/export.csv', { query: { month }, headers: { accept: 'text/csv' } })).text(),
};

export const usageKeys = {
  report: (month: string) => ['usage', 'report', month] as const,
};

const ZERO: UsageTotals = { calls: 0, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, baseCostMicros: 0, billedCostMicros: 0 };

function add(a: UsageTotals, b: UsageTotals): UsageTotals {
  return {
    calls: a.calls + b.calls,
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cachedInputTokens: a.cachedInputTokens + b.cachedInputTokens,
    baseCostMicros: a.baseCostMicros + b.baseCostMicros,
    billedCostMicros: a.billedCostMicros + b.billedCostMicros,
  };
}

const totalsOf = (t: UsageTotals): UsageTotals => ({
  calls: t.calls,
  inputTokens: t.inputTokens,
  outputTokens: t.outputTokens,
  cachedInputTokens: t.cachedInputTokens,
  baseCostMicros: t.baseCostMicros,
  billedCostMicros: t.billedCostMicros,
});

export interface RangeUsage {
  months: string[];
  totals: UsageTotals;
  byDay: { date: string; totals: UsageTotals }[];
  byAgent: { agentId: string; agentName: string | null; totals: UsageTotals }[];
  byModel: { key: string; provider: string; model: string; totals: UsageTotals }[];
}

/** Sums the monthly reports of a range: totals, every day (days without calls as zero), agents and models, most billed first. */
export function combine(reports: UsageReport[]): RangeUsage {
  let totals = ZERO;
  const days = new Map<string, UsageTotals>();
  const agents = new Map<string, RangeUsage['byAgent'][number]>();
  const models = new Map<string, RangeUsage['byModel'][number]>();
  for (const r of reports) {
    totals = add(totals, totalsOf(r.totals));
    for (const d of daysOf(r.month)) days.set(d, ZERO);
    for (const d of r.byDay) days.set(d.date, add(days.get(d.date) ?? ZERO, totalsOf(d)));
    for (const a of r.byAgent) {
      const prev = agents.get(a.agentId);
      agents.set(a.agentId, { agentId: a.agentId, agentName: a.agentName ?? prev?.agentName ?? null, totals: add(prev?.totals ?? ZERO, totalsOf(a)) });
    }
    for (const m of r.byModel) {
      const key = `${m.provider}:${m.model}`;
      models.set(key, { key, provider: m.provider, model: m.model, totals: add(models.get(key)?.totals ?? ZERO, totalsOf(m)) });
    }
  }
  const byCost = (a: { totals: UsageTotals }, b: { totals: UsageTotals }) => b.totals.billedCostMicros - a.totals.billedCostMicros;
  return {
    months: reports.map((r) => r.month),
    totals,
    byDay: [...days].sort(([a], [b]) => a.localeCompare(b)).map(([date, t]) => ({ date, totals: t })),
    byAgent: [...agents.values()].sort(byCost),
    byModel: [...models.values()].sort(byCost),
  };
}

/** Joins monthly CSV exports into one file: the header once, then every month's rows in order. */
export function joinCsv(parts: string[]): string {
  if (parts.length === 0) return '';
  const [first, ...rest] = parts;
  return first + rest.map((p) => p.slice(p.indexOf('\r\n') + 2)).join('');
}
