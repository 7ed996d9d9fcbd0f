import { z } from 'zod';

const int = z.number().int();

export const usageTotalsShape = {
  calls: int,
  inputTokens: int.describe('Every prompt token, cached ones included'),
  outputTokens: int,
  cachedInputTokens: int.describe('The part of inputTokens read from the provider cache'),
  baseCostMicros: int.describe('Model cost at catalog prices, micro-dollars'),
  billedCostMicros: int.describe('What the organization is charged: base plus markup, micro-dollars'),
};
export const usageTotalsSchema = z.object(usageTotalsShape).meta({ id: 'UsageTotals' });

const budgetSchema = z.object({
  budgetMicros: int.nullable().describe('Monthly budget (billed cost); null = none'),
  spentMicros: int.describe('Billed cost spent this month'),
  percent: z.number().nullable().describe('Percent of the budget spent, two decimals, rounded down'),
});

const omittedSchema = z.object({ groups: int.describe('How many keys were folded in'), ...usageTotalsShape });

export const usageReportSchema = z
  .object({
    month: z.string().describe('YYYY-MM, UTC'),
    totals: usageTotalsSchema,
    byAgent: z.array(z.object({ agentId: z.uuid(), agentName: z.string().nullable(), ...usageTotalsShape })),
    byModel: z.array(z.object({ provider: z.string(), model: z.string(), ...usageTotalsShape })),
    byConversation: z.array(z.object({ conversationId: z.uuid().nullable().describe('null: calls outside any conversation'), ...usageTotalsShape })),
    byTask: z.array(z.object({ taskId: z.uuid().nullable().describe('null: calls outside any task'), ...usageTotalsShape })),
    byWorkflow: z.array(z.object({ workflowId: z.uuid().nullable().describe('null: calls of runs no workflow started'), ...usageTotalsShape })).describe('By the workflow whose agent nodes made the calls'),
    byDay: z.array(z.object({ date: z.string().describe('YYYY-MM-DD, UTC'), ...usageTotalsShape })),
    omitted: z
      .object({ conversations: omittedSchema, tasks: omittedSchema })
      .describe('Sums of the conversations and tasks past `top`; lists plus these equal the totals'),
    budgets: z.object({
      org: budgetSchema,
      agents: z.array(z.object({ agentId: z.uuid(), agentName: z.string(), ...budgetSchema.shape })),
    }),
    markupPercent: z.number().describe("The organization's current markup"),
  })
  .meta({ id: 'UsageReport' });

export const usageHistorySchema = z.object({
  items: z.array(z.object({ month: z.string().describe('YYYY-MM, UTC'), ...usageTotalsShape })).describe('Oldest first; the current month last'),
});
