// Pure arithmetic of the fitness tools: least-squares trends, goal dates, weekday/hour histograms.

const DAY = 86_400_000;

export interface Fit {
  /** Change per day. */
  slope: number;
  /** Value at x = 0. */
  intercept: number;
  /** Share of the variance the line explains, 0–1 (1 when every point is on it). */
  r2: number;
  n: number;
}

/** Ordinary least squares y = intercept + slope·x. Null with fewer than two distinct x. */
export function linearFit(points: readonly { x: number; y: number }[]): Fit | null {
  const n = points.length;
  if (n < 2) return null;
  const mx = points.reduce((s, p) => s + p.x, 0) / n;
  const my = points.reduce((s, p) => s + p.y, 0) / n;
  let sxx = 0;
  let sxy = 0;
  let syy = 0;
  for (const p of points) {
    sxx += (p.x - mx) ** 2;
    sxy += (p.x - mx) * (p.y - my);
    syy += (p.y - my) ** 2;
  }
  if (sxx === 0) return null;
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  const r2 = syy === 0 ? 1 : (sxy * sxy) / (sxx * syy);
  return { slope, intercept, r2, n };
}

export type ProgressStatus = 'achieved' | 'on_track' | 'behind' | 'not_on_track' | 'insufficient_data';

export interface Prediction {
  status: ProgressStatus;
  /** Words for the model and the member. */
  summary: string;
  points: number;
  first: { at: string; value: number } | null;
  latest: { at: string; value: number } | null;
  /** The trend: change per week, how well the line fits, where it says the value is today. */
  trend: { perWeek: number; r2: number; fittedNow: number } | null;
  target: number | null;
  targetDate: string | null;
  /** When the trend reaches the target (null when it does not head there). */
  predictedDate: string | null;
  /** The trend's value on the target date. */
  predictedAtTargetDate: number | null;
}

const round = (v: number, places = 2) => Math.round(v * 10 ** places) / 10 ** places;
const day = (d: Date) => d.toISOString().slice(0, 10);

/** Fewest measurements, and the shortest span in days, a trend is drawn from. */
export const MIN_POINTS = 3;
export const MIN_SPAN_DAYS = 7;
/** Furthest ahead a goal date is predicted: beyond it the member is "not on track". */
export const MAX_HORIZON_DAYS = 3 * 365;

/**
 * Where a series of measurements is heading against a target: the least-squares line over the
 * points (time in days), the date it reaches the target, and a verdict. The goal's direction is
 * from the first value (or `start`) to the target. Achieved: the latest value is at or past the
 * target. On track: the line heads to the target and reaches it by the target date (or at all,
 * without one, within three years). Behind: it gets there, but after the target date. Not on
 * track: it is flat or heads away. Insufficient data: fewer than 3 points or under 7 days.
 */
export function predictProgress(input: { points: readonly { at: Date; value: number }[]; target: number | null; targetDate?: string | null; start?: number | null; now?: Date; unit?: string | null }): Prediction {
  const now = input.now ?? new Date();
  const points = [...input.points].sort((a, b) => a.at.getTime() - b.at.getTime());
  const first = points[0];
  const latest = points.at(-1);
  const unit = input.unit ? ` ${input.unit}` : '';
  const base: Prediction = {
    status: 'insufficient_data',
    summary: '',
    points: points.length,
    first: first ? { at: first.at.toISOString(), value: first.value } : null,
    latest: latest ? { at: latest.at.toISOString(), value: latest.value } : null,
    trend: null,
    target: input.target,
    targetDate: input.targetDate ?? null,
    predictedDate: null,
    predictedAtTargetDate: null,
  };
  const span = first && latest ? (latest.at.getTime() - first.at.getTime()) / DAY : 0;
  if (points.length < MIN_POINTS || span < MIN_SPAN_DAYS) {
    return { ...base, summary: `Not enough measurements for a trend: ${points.length} over ${Math.floor(span)} days (need ${MIN_POINTS} over at least ${MIN_SPAN_DAYS} days)` };
  }
  const t0 = first!.at.getTime();
  const fit = linearFit(points.map((p) => ({ x: (p.at.getTime() - t0) / DAY, y: p.value })))!;
  const xNow = (now.getTime() - t0) / DAY;
  const fittedNow = fit.intercept + fit.slope * xNow;
  const trend = { perWeek: round(fit.slope * 7, 3), r2: round(fit.r2, 3), fittedNow: round(fittedNow, 2) };
  const withTrend = { ...base, trend };
  const describe = `${trend.perWeek >= 0 ? '+' : ''}${trend.perWeek}${unit} a week`;
  if (input.target === null) return { ...withTrend, status: 'not_on_track', summary: `Trend ${describe}; no target to compare with` };
  const target = input.target;
  const from = input.start ?? first!.value;
  const direction = Math.sign(target - from) || Math.sign(target - latest!.value);
  const atTargetDate = input.targetDate ? fit.intercept + fit.slope * ((Date.parse(`${input.targetDate}T00:00:00Z`) - t0) / DAY) : null;
  const predictedAtTargetDate = atTargetDate === null ? null : round(atTargetDate, 2);
  if (direction === 0 || (direction > 0 ? latest!.value >= target : latest!.value <= target)) {
    return { ...withTrend, predictedAtTargetDate, status: 'achieved', summary: `Target ${target}${unit} reached: latest ${latest!.value}${unit}` };
  }
  // Heading the wrong way, or too slowly to matter: no date.
  if (Math.sign(fit.slope) !== direction || Math.abs(fit.slope) < 1e-9) {
    return { ...withTrend, predictedAtTargetDate, status: 'not_on_track', summary: `Not on track: the trend is ${describe}, away from or not toward ${target}${unit}` };
  }
  const xTarget = (target - fit.intercept) / fit.slope;
  const reach = new Date(t0 + Math.max(xTarget, xNow) * DAY);
  if ((reach.getTime() - now.getTime()) / DAY > MAX_HORIZON_DAYS) {
    return { ...withTrend, predictedAtTargetDate, status: 'not_on_track', summary: `Not on track: at ${describe} the target ${target}${unit} is more than three years away` };
  }
  const predictedDate = day(reach);
  if (input.targetDate && predictedDate > input.targetDate) {
    return { ...withTrend, predictedDate, predictedAtTargetDate, status: 'behind', summary: `Behind: at ${describe} the target ${target}${unit} is reached about ${predictedDate}, after the target date ${input.targetDate}` };
  }
  return { ...withTrend, predictedDate, predictedAtTargetDate, status: 'on_track', summary: `On track: at ${describe} the target ${target}${unit} is reached about ${predictedDate}${input.targetDate ? ` (target date ${input.targetDate})` : ''}` };
}

export const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'] as const;

/** Weekday (0 = Monday) and hour of a time in a time zone. */
export function localWeekdayHour(at: Date, timeZone: string): { weekday: number; hour: number } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, weekday: 'short', hour: 'numeric', hourCycle: 'h23' }).formatToParts(at);
  const wd = parts.find((p) => p.type === 'weekday')!.value;
  const hour = Number(parts.find((p) => p.type === 'hour')!.value) % 24;
  return { weekday: WEEKDAYS.indexOf(wd as (typeof WEEKDAYS)[number]), hour };
}

/** Counts of visits by weekday and hour (7 × 24) in a time zone. */
export function weekdayHourHistogram(times: readonly Date[], timeZone: string): number[][] {
  const grid = Array.from({ length: 7 }, () => new Array<number>(24).fill(0));
  for (const t of times) {
    const { weekday, hour } = localWeekdayHour(t, timeZone);
    grid[weekday]![hour]! += 1;
  }
  return grid;
}

/**
 * How much a member's history favours a slot, 0–1: visits in that weekday and hour, plus half of
 * those an hour either side (people come a little earlier or later), over the busiest slot's.
 */
export function slotAffinity(grid: number[][], weekday: number, hour: number): number {
  const at = (h: number) => (h >= 0 && h < 24 ? grid[weekday]![h]! : 0);
  const score = (wd: number, h: number) => grid[wd]![h]! + 0.5 * ((h > 0 ? grid[wd]![h - 1]! : 0) + (h < 23 ? grid[wd]![h + 1]! : 0));
  let best = 0;
  for (let wd = 0; wd < 7; wd++) for (let h = 0; h < 24; h++) best = Math.max(best, score(wd, h));
  if (best === 0) return 0;
  return (at(hour) + 0.5 * (at(hour - 1) + at(hour + 1))) / best;
}
