import { describe, expect, it } from 'vitest';
import { combine, joinCsv, monthsBetween, type UsageReport } from './api';
import { displayUsd } from '@server/billing/money';
import { dollarsToMicros, formatMicros, formatPerMtok, microsToDollars } from '../agents/format';
import { money } from '../runs/format';
import { dollarTextToMicros, microsToDollarText, usd } from './money';

describe('usage money helpers', () => {
  it('shows micro-dollars exactly, down to cents', () => {
    expect(usd(0)).toBe('$0.00');
    expect(usd(252)).toBe('$0.000252');
    expect(usd(4_320)).toBe('$0.00432');
    expect(usd(1_500_000)).toBe('$1.50');
    expect(usd(1_234_567)).toBe('$1.234567');
    expect(usd(12_345_000_000)).toBe('$12,345.00');
    expect(usd(-10_000)).toBe('-$0.01');
  });

  it('every page shows the same amount the same way (one money module, shared with the server)', () => {
    // $0.004250, $0.0043 and $0.00425 before.
    for (const micros of [0, 12, 4_250, 123_456, 1_234_567, 250_000_000]) {
      expect(formatMicros(micros)).toBe(displayUsd(micros));
      expect(money(micros)).toBe(displayUsd(micros));
      expect(formatPerMtok(micros)).toBe(displayUsd(micros));
    }
    expect([formatMicros(4_250), money(4_250), usd(4_250)]).toEqual(['$0.00425', '$0.00425', '$0.00425']);
    // Exact on the usage page, by the display rule elsewhere.
    expect([usd(1_234_567), money(1_234_567)]).toEqual(['$1.234567', '$1.23']);
    // Agent budgets and billing budgets read typed dollars alike.
    expect(dollarsToMicros('$12.50')).toBe(dollarTextToMicros('$12.50'));
    expect(dollarsToMicros('4.35')).toBe(4_350_000);
    expect(microsToDollars(12_500_000)).toBe(microsToDollarText(12_500_000));
  });

  it('reads dollars typed by a person as micro-dollars', () => {
    expect(dollarTextToMicros('')).toBeUndefined();
    expect(dollarTextToMicros('12.5')).toBe(12_500_000);
    expect(dollarTextToMicros('$1,000')).toBe(1_000_000_000);
    expect(dollarTextToMicros('0.000001')).toBe(1);
    expect(dollarTextToMicros('0.0000001')).toBeNaN();
    expect(dollarTextToMicros('abc')).toBeNaN();
    expect(microsToDollarText(12_500_000)).toBe('12.5');
    expect(microsToDollarText(null)).toBe('');
  });

  it('spans months and joins their CSV exports with one header', () => {
    expect(monthsBetween('2025-11', '2026-02')).toEqual(['2025-11', '2025-12', '2026-01', '2026-02']);
    expect(joinCsv(['h1,h2\r\na,1\r\n', 'h1,h2\r\nb,2\r\n'])).toBe('h1,h2\r\na,1\r\nb,2\r\n');
  });

  it('sums monthly reports by agent and model, every day present', () => {
    const t = (billed: number) => ({ calls: 1, inputTokens: 10, outputTokens: 5, cachedInputTokens: 0, baseCostMicros: billed, billedCostMicros: billed });
    const report = (month: string, billed: number): UsageReport => ({
      month,
      totals: t(billed),
      byAgent: [{ agentId: 'a', agentName: 'Ada', ...t(billed) }],
      byModel: [{ provider: 'openai', model: 'gpt-4o-mini', ...t(billed) }],
      byConversation: [],
      byTask: [],
      byWorkflow: [],
      byDay: [{ date: `${month}-02`, ...t(billed) }],
      omitted: { conversations: { groups: 0, ...t(0) }, tasks: { groups: 0, ...t(0) } },
      budgets: { org: { budgetMicros: null, spentMicros: billed, percent: null }, agents: [] },
      markupPercent: 20,
    });
    const r = combine([report('2025-01', 5), report('2025-02', 7)]);
    expect(r.totals.billedCostMicros).toBe(12);
    expect(r.byAgent).toEqual([{ agentId: 'a', agentName: 'Ada', totals: expect.objectContaining({ billedCostMicros: 12, calls: 2 }) }]);
    expect(r.byModel[0]!.key).toBe('openai:gpt-4o-mini');
    expect(r.byDay).toHaveLength(31 + 28);
    expect(r.byDay.find((d) => d.date === '2025-02-02')!.totals.billedCostMicros).toBe(7);
  });
});
