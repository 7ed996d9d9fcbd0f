import type { z } from 'zod';
import type { agentSchema } from '@server/agents/dto';
import type { approvalSchema, decisionBody, runSchema, stepSchema } from '@server/runs/dto';
import type { RUN_SOURCES, RUN_STATUSES } from '@server/runs/enums';
import { api } from '../../api/client';
import type { Page } from '../../api/types';

export type Run = z.output<typeof runSchema>;
export type Step = z.output<typeof stepSchema>;
export type Approval = z.output<typeof approvalSchema>;
export type Agent = z.output<typeof agentSchema>;
export type RunStatus = (typeof RUN_STATUSES)[number];
export type RunSource = (typeof RUN_SOURCES)[number];
export type Decision = 'approve' | 'reject';

export interface RunFilters {
  agentId?: string;
  /** Any of these (sent comma-separated). */
  status?: RunStatus[];
  source?: RunSource;
  taskId?: string;
  /** Text: words of the task, answer or error code; the agent's name; the run id's start. */
  q?: string;
  limit?: number;
  offset?: number;
}

/** Runs that are not over yet: pages showing them keep polling. */
export const isActive = (status: string) => status === 'queued' || status === 'running' || status === 'waiting_approval' || status === 'waiting';

export const runsApi = {
  list: ({ taskId, status, ...rest }: RunFilters, signal?: AbortSignal) => {
    const query = { ...rest, status: status?.length ? status.join(',') : undefined };
    return taskId
      ? api.get<Page<Run>>(`/tasks/${taskId}/executions`, { query: { ...query, agentId: undefined }, signal })
      : api.get<Page<Run>>('/runs', { query, signal });
  },
  get: (id: string, signal?: AbortSignal) => api.get<Run>(`/runs/${id}`, { signal }),
  steps: (id: string, signal?: AbortSignal) => api.get<{ items: Step[] }>(`/runs/${id}/steps`, { signal }),
  cancel: (id: string) => api.post<Run>(`/runs/${id}/cancel`),
  approvals: (query: { status?: 'pending' | 'approved' | 'rejected'; runId?: string; limit?: number; offset?: number }, signal?: AbortSignal) =>
    api.get<Page<Approval>>('/approvals', { query, signal }),
  decide: (id: string, decision: Decision, body: z.output<typeof decisionBody>) => api.post<Approval>(`/approvals/${id}/${decision}`, body),
  /** Every agent of the organization (for names and filters), deleted ones included in runs but not here. */
  agents: (signal?: AbortSignal) => api.get<Page<Agent>>('/agents', { query: { limit: 100 }, signal }),
};

/** The agents query every page of these areas shares (names in tables, filter options). */
export const agentsQuery = {
  queryKey: ['agents', 'list', { limit: 100 }] as const,
  queryFn: ({ signal }: { signal: AbortSignal }) => runsApi.agents(signal),
  staleTime: 60_000,
};
