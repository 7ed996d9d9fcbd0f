import { REPORTS } from '../analytics/reports.js';
import type { DemoGym } from './rows.js';
import { truthAtRisk, truthAttendance, truthEngagement, truthNoShows, truthOperations } from './truth-activity.js';
import { truthArr, truthChurn, truthLtv, truthMrr, truthPaymentTrends, truthRevenue, truthTurnover } from './truth-money.js';

/**
 * The ground truth of every analytics report for a generated gym, by tool name: the same result
 * as the report's SQL, computed in TypeScript from the rows the generator made (truth-money.ts,
 * truth-activity.ts). Each takes the report's resolved parameters, so tests can ask for any.
 */
export const TRUTH: Record<string, (gym: DemoGym, params: never) => unknown> = {
  calculate_mrr: truthMrr,
  calculate_arr: truthArr,
  generate_revenue_report: truthRevenue,
  generate_churn_report: truthChurn,
  generate_ltv_report: truthLtv,
  generate_monthly_turnover_report: truthTurnover,
  analyze_payment_trends: truthPaymentTrends,
  analyze_class_attendance: truthAttendance,
  analyze_member_engagement: truthEngagement,
  analyze_no_show_rates: truthNoShows,
  identify_at_risk_members: truthAtRisk,
  generate_operations_report: truthOperations,
};

/** The truth of one report with raw parameters (as a tool or the query string takes them); asOf defaults to the gym's. */
export function truthOf(gym: DemoGym, tool: string, raw: Record<string, unknown> = {}): unknown {
  const report = REPORTS.find((r) => r.tool === tool);
  const compute = TRUTH[tool];
  if (!report || !compute) throw new Error(`no report named ${tool}`);
  return compute(gym, report.params.parse({ asOf: gym.asOf.toISOString(), ...raw }) as never);
}

/** Every report's figures with its default parameters at the gym's asOf: what `troupe demo --truth` writes. */
export function groundTruth(gym: DemoGym): { seed: number; asOf: string; members: number; reports: Record<string, unknown> } {
  return { seed: gym.seed, asOf: gym.asOf.toISOString(), members: gym.members, reports: Object.fromEntries(REPORTS.map((r) => [r.tool, truthOf(gym, r.tool)])) };
}
