import type { z } from 'zod';
import type {
  AgentDraft,
  agentSchema,
  agentVersionSchema,
  agentVersionSummarySchema,
  CreateAgentInput,
  systemPromptSchema,
  UpdateAgentInput,
  versionComparisonSchema,
} from '@server/agents/dto';
import type { AgentStatus } from '@server/agents/dto';
import type { ProviderId } from '@server/models/providers';
import type { usageReportSchema } from '@server/billing/dto';
import type { modelSchema } from '@server/models/api-schemas';
import type { agentMetricsSchema, runSchema } from '@server/runs/dto';
import type { toolInfoSchema } from '@server/tools/dto';
import { api } from '../../api/client';
import type { Page } from '../../api/types';

/*
 * The endpoints the Agents pages use (agents, versions, prompt; the model and tool catalogs;
 * runs, conversations and usage for the figures), typed with the server's own schemas.
 */

export type Agent = z.output<typeof agentSchema>;
export type AgentVersionSummary = z.output<typeof agentVersionSummarySchema>;
export type AgentVersion = z.output<typeof agentVersionSchema>;
export type VersionComparison = z.output<typeof versionComparisonSchema>;
export type SystemPrompt = z.output<typeof systemPromptSchema>;
export type CatalogModel = z.output<typeof modelSchema>;
export type ToolInfo = z.output<typeof toolInfoSchema>;
export type Run = z.output<typeof runSchema>;
export type UsageReport = z.output<typeof usageReportSchema>;

/** Filters of `GET /agents` that the grid sends to the server. */
export interface AgentListFilters {
  status?: AgentStatus;
  provider?: ProviderId;
  search?: string;
}

export type AgentMetrics = z.output<typeof agentMetricsSchema>;

/** Every page of a list (cursor paging), up to `maxPages` pages of 100; `complete` false when more were left. */
async function allPages<T>(path: string, query: Record<string, string | number | undefined>, signal?: AbortSignal, maxPages = 20) {
  const items: T[] = [];
  let cursor: string | undefined;
  for (let i = 0; i < maxPages; i++) {
    const page = await api.get<Page<T>>(path, { query: { ...query, limit: 100, cursor }, signal });
    items.push(...page.items);
    if (!page.nextCursor) return { items, complete: true };
    cursor = page.nextCursor;
  }
  return { items, complete: false };
}

const total = async (path: string, query: Record<string, string | undefined>, signal?: AbortSignal) =>
  (await api.get<Page<unknown>>(path, { query: { ...query, limit: 1 }, signal })).total;

export const agentsApi = {
  /** All agents matching the server-side filters, sorted by name. */
  list: (filters: AgentListFilters, signal?: AbortSignal) =>
    allPages<Agent>('/agents', { ...filters, sortBy: 'name', sortOrder: 'asc' }, signal).then((r) => r.items),
  get: (id: string, signal?: AbortSignal) => api.get<Agent>(`/agents/${encodeURIComponent(id)}`, { signal }),
  create: (body: CreateAgentInput) => api.post<Agent>('/agents', body),
  update: (id: string, body: UpdateAgentInput) => api.patch<Agent>(`/agents/${encodeURIComponent(id)}`, body),
  remove: (id: string) => api.delete(`/agents/${encodeURIComponent(id)}`),
  /** Undoes a delete. */
  undelete: (id: string) => api.post<Agent>(`/agents/${encodeURIComponent(id)}/restore`),
  setEnabled: (id: string, enabled: boolean) => api.post<Agent>(`/agents/${encodeURIComponent(id)}/${enabled ? 'enable' : 'disable'}`),
  previewPrompt: (draft: AgentDraft) => api.post<SystemPrompt>('/agents/prompt-preview', draft),
  prompt: (id: string, signal?: AbortSignal) => api.get<SystemPrompt>(`/agents/${encodeURIComponent(id)}/prompt`, { signal }),
  metrics: (id: string, signal?: AbortSignal) => api.get<AgentMetrics>(`/agents/${encodeURIComponent(id)}/metrics`, { signal }),
  versions: (id: string, signal?: AbortSignal) =>
    allPages<AgentVersionSummary>(`/agents/${encodeURIComponent(id)}/versions`, {}, signal, 5),
  version: (id: string, version: number, signal?: AbortSignal) => api.get<AgentVersion>(`/agents/${encodeURIComponent(id)}/versions/${version}`, { signal }),
  compare: (id: string, from: number, to: number, signal?: AbortSignal) =>
    api.get<VersionComparison>(`/agents/${encodeURIComponent(id)}/versions/compare`, { query: { from, to }, signal }),
  restoreVersion: (id: string, version: number) => api.post<Agent>(`/agents/${encodeURIComponent(id)}/versions/${version}/restore`),

  models: (signal?: AbortSignal) => allPages<CatalogModel>('/models', {}, signal, 5).then((r) => r.items),
  tools: (signal?: AbortSignal) => api.get<{ items: ToolInfo[] }>('/tools', { signal }).then((r) => r.items),

  /** Runs since `from` (all agents), to count and sum per agent; `complete` false past 2,000 runs. */
  runsSince: (from: Date, signal?: AbortSignal) => allPages<Run>('/runs', { from: from.toISOString() }, signal),
  /** The figures at the top of the grid: each from a list's `total` or the usage report. */
  stats: async (monthStart: Date, signal?: AbortSignal) => {
    const [agents, conversations, runsThisMonth, usage] = await Promise.all([
      total('/agents', {}, signal),
      total('/conversations', {}, signal),
      total('/runs', { from: monthStart.toISOString() }, signal),
      api.get<UsageReport>('/usage', { query: { top: 1 }, signal }),
    ]);
    return { agents, conversations, runsThisMonth, costThisMonthMicros: usage.totals.billedCostMicros, usage };
  },
};

/** Query keys of the area: `['agents', …]`, so one invalidation refreshes every Agents page. */
export const agentKeys = {
  all: ['agents'] as const,
  list: (filters: AgentListFilters) => ['agents', 'list', filters] as const,
  detail: (id: string) => ['agents', 'detail', id] as const,
  prompt: (id: string) => ['agents', 'prompt', id] as const,
  metrics: (id: string) => ['agents', 'metrics', id] as const,
  versions: (id: string) => ['agents', 'versions', id] as const,
  version: (id: string, v: number) => ['agents', 'version', id, v] as const,
  compare: (id: string, from: number, to: number) => ['agents', 'compare', id, from, to] as const,
  stats: ['agents', 'stats'] as const,
  today: ['agents', 'today'] as const,
  models: ['agents', 'catalog', 'models'] as const,
  tools: ['agents', 'catalog', 'tools'] as const,
};
