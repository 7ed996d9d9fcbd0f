import type { z } from 'zod';
import type { queueStatsSchema } from '@server/dispatch/routes';
import type { credentialSchema, providerSchema } from '@server/models/api-schemas';
import type { checkResultSchema, schedulerStatusSchema } from '@server/schedules/dto';
import type { agentSchema } from '@server/agents/dto';
import type { taskSchema } from '@server/tasks/dto';
import type { toolSettingsSchema } from '@server/tools/dto';
import type { createApiKeyBody, inviteBody, updateOrgBody } from '@server/auth/dto';
import type { CredentialBody } from '@server/models/dto';
import type { CreatePublicationInput, publicationSchema, UpdatePublicationInput } from '@server/publications/dto';
import { api } from '../../api/client';
import type { ApiKey, Invitation, Member, Organization, Page, Role } from '../../api/types';

export type Provider = z.output<typeof providerSchema>;
export type Credential = z.output<typeof credentialSchema>;
export type SchedulerStatus = z.output<typeof schedulerStatusSchema>;
export type SchedulerCheck = z.output<typeof checkResultSchema>;
export type QueueStats = z.output<typeof queueStatsSchema>;
export type Agent = z.output<typeof agentSchema>;
export type Task = z.output<typeof taskSchema>;
export type ToolSettings = z.output<typeof toolSettingsSchema>;
export type Publication = z.output<typeof publicationSchema>;

/** The settings area's endpoints. Query keys start with 'settings'. */
export const settingsApi = {
  members: (signal?: AbortSignal) => api.get<Page<Member>>('/members', { query: { limit: 100, sortOrder: 'asc' }, signal }),
  /** A demotion lowers the API keys the member created (`apiKeysLowered`). */
  changeRole: (userId: string, role: Role) => api.patch<Member & { apiKeysLowered: number }>(`/members/${userId}`, { role }),
  /** The API keys the member created here are revoked with them (`apiKeysRevoked`). */
  removeMember: (userId: string) => api.delete<{ apiKeysRevoked: number }>(`/members/${userId}`),
  invitations: (signal?: AbortSignal) => api.get<Page<Invitation>>('/invitations', { query: { limit: 100 }, signal }),
  invite: (body: z.output<typeof inviteBody>) => api.post<{ invitation: Invitation; inviteUrl: string; mailed: boolean }>('/invitations', body),
  revokeInvitation: (id: string) => api.delete(`/invitations/${id}`),

  apiKeys: (includeRevoked: boolean, signal?: AbortSignal) => api.get<Page<ApiKey>>('/api-keys', { query: { limit: 100, includeRevoked }, signal }),
  createApiKey: (body: z.output<typeof createApiKeyBody>) => api.post<{ apiKey: ApiKey; key: string }>('/api-keys', body),
  revokeApiKey: (id: string) => api.delete(`/api-keys/${id}`),

  providers: (signal?: AbortSignal) => api.get<{ items: Provider[] }>('/providers', { signal }),
  credentials: (signal?: AbortSignal) => api.get<{ items: Credential[] }>('/credentials', { signal }),
  putCredential: (provider: string, body: CredentialBody) => api.put<Credential>(`/credentials/${provider}`, body),
  deleteCredential: (provider: string) => api.delete(`/credentials/${provider}`),

  org: (signal?: AbortSignal) => api.get<Organization>('/orgs/current', { signal }),
  updateOrg: (body: z.output<typeof updateOrgBody>) => api.patch<Organization>('/orgs/current', body),
  agents: (signal?: AbortSignal) => api.get<Page<Agent>>('/agents', { query: { limit: 100 }, signal }),

  tasks: (signal?: AbortSignal) => api.get<Page<Task>>('/tasks', { query: { limit: 100 }, signal }),
  scheduler: (signal?: AbortSignal) => api.get<SchedulerStatus>('/scheduler', { signal }),
  schedulerAction: (action: 'start' | 'stop') => api.post<SchedulerStatus>(`/scheduler/${action}`),
  schedulerCheck: () => api.post<SchedulerCheck>('/scheduler/check'),
  queue: (signal?: AbortSignal) => api.get<QueueStats>('/queue', { signal }),
  queueAction: (action: 'pause' | 'resume') => api.post<QueueStats>(`/queue/${action}`),

  toolSettings: (signal?: AbortSignal) => api.get<ToolSettings>('/tool-settings', { signal }),
  /** Fields left out keep their value. */
  updateToolSettings: (body: { webhookRetryOnCrash?: boolean }) => api.put<ToolSettings>('/tool-settings', body),

  publications: (signal?: AbortSignal) => api.get<{ items: Publication[] }>('/chat-publications', { signal }).then((r) => r.items),
  createPublication: (body: CreatePublicationInput) => api.post<Publication>('/chat-publications', body),
  updatePublication: (id: string, body: UpdatePublicationInput) => api.patch<Publication>(`/chat-publications/${id}`, body),
  deletePublication: (id: string) => api.delete(`/chat-publications/${id}`),
};

export const settingsKeys = {
  members: ['settings', 'members'] as const,
  invitations: ['settings', 'invitations'] as const,
  apiKeys: (includeRevoked: boolean) => ['settings', 'api-keys', includeRevoked] as const,
  providers: ['settings', 'providers'] as const,
  credentials: ['settings', 'credentials'] as const,
  org: ['settings', 'org'] as const,
  agents: ['settings', 'agents'] as const,
  scheduler: ['settings', 'scheduler'] as const,
  tasks: ['settings', 'tasks'] as const,
  queue: ['settings', 'queue'] as const,
  tools: ['settings', 'tools'] as const,
  publications: ['settings', 'publications'] as const,
};

export const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '—');
