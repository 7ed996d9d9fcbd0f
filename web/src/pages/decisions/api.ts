import type { z } from 'zod';
import type { analyticsSchema, approveDecisionBody, decisionSchema, policyBody, policySchema } from '@server/decisions/dto';
import { ACTION_TYPES, DECISION_SOURCES, DECISION_STATUSES, type ActionStatus, type ActionType, type DecisionSource, type DecisionStatus } from '@server/decisions/enums';
import type { Role } from '@server/shared/roles';
import { api } from '../../api/client';
import type { Page } from '../../api/types';
import type { BadgeTone } from '../../components/badge';

/*
 * The endpoints the Decisions pages use (src/decisions/routes.ts): the records, a person's approve
 * (optionally with changed actions), reject and bulk, the analytics, and the policies. The
 * vocabularies come from src/decisions/enums.ts, which the server's schemas use too.
 */

export type Decision = z.output<typeof decisionSchema>;
export type Policy = z.output<typeof policySchema>;
export type PolicyBody = z.input<typeof policyBody>;
export type Analytics = z.output<typeof analyticsSchema>;
export type ApproveBody = z.input<typeof approveDecisionBody>;
/** `GET /decisions` filters (listDecisionsQuery), as the pages send them. */
export interface DecisionQuery {
  status?: DecisionStatus;
  agentId?: string;
  intent?: string;
  decisionType?: string;
  source?: DecisionSource;
  from?: string;
  to?: string;
  limit?: number;
  offset?: number;
}
export interface AnalyticsQuery {
  agentId?: string;
  from?: string;
  to?: string;
}
/** An action as the records hold it (`proposedActions`, `actions` are typed `unknown[]` on the wire). */
export interface Action {
  type: ActionType;
  params: Record<string, unknown>;
}
export interface BulkItem {
  id: string;
  ok: boolean;
  status?: number;
  code?: string;
  message?: string;
}
export type { ActionStatus, ActionType, DecisionSource, DecisionStatus };
export { ACTION_TYPES, DECISION_SOURCES, DECISION_STATUSES };

/** Who may approve or reject (the API's `member`), and who may change policies (`admin`). */
export const DECIDE_ROLE: Role = 'member';
export const POLICY_ROLE: Role = 'admin';

export const STATUS_LABELS = {
  pending: 'deciding',
  awaiting_approval: 'awaiting approval',
  approved: 'approved',
  executed: 'executed',
  rejected: 'rejected',
  failed: 'failed',
  canceled: 'canceled',
} satisfies Record<DecisionStatus, string>;
export const STATUS_TONE = {
  pending: 'info',
  awaiting_approval: 'warning',
  approved: 'info',
  executed: 'success',
  rejected: 'neutral',
  failed: 'danger',
  canceled: 'neutral',
} satisfies Record<DecisionStatus, BadgeTone>;
export const ACTION_STATUS_TONE = { succeeded: 'success', failed: 'danger', skipped: 'neutral' } satisfies Record<ActionStatus, BadgeTone>;

/** What each action does, for people (src/decisions/actions.ts runs them through these tools). */
export const ACTION_LABELS = {
  ASSIGN_PIPELINE: 'Assign to a pipeline stage',
  CREATE_EVENT: 'Create a calendar event',
  UPDATE_EVENT: 'Update a calendar event',
  CANCEL_EVENT: 'Cancel a calendar event',
  SEND_NOTIFICATION: 'Notify staff',
  SEND_EMAIL: 'Send an email',
  TRIGGER_AUTOMATION: 'Call the automation webhook',
  START_WORKFLOW: 'Start a workflow',
  CREATE_TICKET: 'Create a ticket',
  ESCALATE: 'Escalate',
  NO_ACTION: 'Do nothing',
} satisfies Record<ActionType, string>;

/** The records' `unknown[]` action lists, as actions (anything else is left out). */
export function actionsOf(list: unknown[]): Action[] {
  return list.filter((a): a is Action => !!a && typeof a === 'object' && typeof (a as Action).type === 'string').map((a) => ({ type: a.type, params: a.params && typeof a.params === 'object' ? a.params : {} }));
}

/** Whether what runs differs from what was proposed (the record's `actionsEdited` says so once a person changed them). */
export const sameActions = (a: unknown[], b: unknown[]) => JSON.stringify(a) === JSON.stringify(b);

/** 0.42 → "42%". */
export const percent = (n: number | null | undefined, digits = 0) => (n === null || n === undefined ? '—' : `${(n * 100).toFixed(digits)}%`);

/** A `datetime-local` value (the browser's local time) as the ISO instant the API takes; blank or unreadable: none. */
export function isoOf(local: string | null): string | undefined {
  if (!local) return undefined;
  const t = Date.parse(local);
  return Number.isNaN(t) ? undefined : new Date(t).toISOString();
}

const enc = encodeURIComponent;

export const decisionKeys = {
  all: ['decisions'] as const,
  list: (q: DecisionQuery) => ['decisions', 'list', q] as const,
  detail: (id: string) => ['decisions', 'detail', id] as const,
  analytics: (q: AnalyticsQuery) => ['decisions', 'analytics', q] as const,
  policies: (agentId?: string) => ['decisions', 'policies', agentId ?? 'all'] as const,
};

export const decisionsApi = {
  list: (query: DecisionQuery, signal?: AbortSignal) => api.get<Page<Decision>>('/decisions', { query: { ...query }, signal }),
  get: (id: string, signal?: AbortSignal) => api.get<Decision>(`/decisions/${enc(id)}`, { signal }),
  /** `actions` given: those run instead of the proposal (checked like the model's; a 400 names `body.actions.N…`). */
  approve: (id: string, body: ApproveBody) => api.post<Decision>(`/decisions/${enc(id)}/approve`, body),
  reject: (id: string, comment?: string) => api.post<Decision>(`/decisions/${enc(id)}/reject`, { comment }),
  /** Each decided on its own: an item that could not be says why (`ok: false`, `message`). */
  bulk: (ids: string[], decision: 'approve' | 'reject', comment?: string) => api.post<{ items: BulkItem[] }>('/decisions/bulk', { ids, decision, comment }),
  analytics: (query: AnalyticsQuery, signal?: AbortSignal) => api.get<Analytics>('/decisions/analytics', { query: { ...query }, signal }),
  policies: (agentId: string | undefined, signal?: AbortSignal) => api.get<{ items: Policy[] }>('/decision-policies', { query: { agentId }, signal }),
  createPolicy: (body: z.output<typeof policyBody>) => api.post<Policy>('/decision-policies', body),
  updatePolicy: (id: string, body: z.output<typeof policyBody>) => api.put<Policy>(`/decision-policies/${enc(id)}`, body),
  removePolicy: (id: string) => api.delete(`/decision-policies/${enc(id)}`),
};
