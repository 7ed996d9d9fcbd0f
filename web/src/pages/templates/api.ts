import type { z } from 'zod';
import type { agentTemplateSchema, InstallTemplateInput, installResultSchema } from '@server/agents/template-dto';
import { api } from '../../api/client';

/* The endpoints of the Templates page: the gallery and installing a template as an agent. */

export type AgentTemplate = z.output<typeof agentTemplateSchema>;
export type InstallResult = z.output<typeof installResultSchema>;

export const templatesApi = {
  list: (signal?: AbortSignal) => api.get<{ items: AgentTemplate[] }>('/agent-templates', { signal }).then((r) => r.items),
  install: (id: string, body: InstallTemplateInput) => api.post<InstallResult>(`/agent-templates/${encodeURIComponent(id)}/install`, body),
};

export const templateKeys = {
  all: ['templates'] as const,
  list: ['templates', 'list'] as const,
};
