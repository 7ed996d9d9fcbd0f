import { useQuery, useQueryClient } from '@tanstack/react-query';
import { chatApi, chatKeys, type Agent } from './api';

/** Every agent of the organization (for names, avatars and the agent picker). */
export function useChatAgents() {
  const query = useQuery({ queryKey: chatKeys.agents, queryFn: ({ signal }) => chatApi.agents(signal), staleTime: 30_000 });
  const byId = new Map<string, Agent>((query.data?.items ?? []).map((a) => [a.id, a]));
  /** Agents one can chat with: not deleted. Paused ones are listed too (their thread says why it is read-only). */
  const available = (query.data?.items ?? []).filter((a) => !a.deletedAt);
  return { query, byId, available };
}

/**
 * One agent, for a chat's header, tab and thread: from the list when it has it; otherwise (an
 * agent created since the list was loaded, e.g. through the API or in another tab) fetched on
 * its own, starting from what the Agents pages already hold. So a new agent's first chat shows
 * its name and initials, never a stand-in, without a reload. Undefined only while loading.
 */
export function useChatAgent(agentId: string | null | undefined): Agent | undefined {
  const { query, byId } = useChatAgents();
  const queryClient = useQueryClient();
  const listed = agentId ? byId.get(agentId) : undefined;
  const one = useQuery<Agent>({
    queryKey: chatKeys.agent(agentId ?? ''),
    queryFn: ({ signal }) => chatApi.agent(agentId!, signal),
    // Only when the list (loaded) lacks it: the common case costs no request.
    enabled: !!agentId && !listed && !query.isPending,
    placeholderData: () => (agentId ? queryClient.getQueryData<Agent>(['agents', 'detail', agentId]) : undefined),
    staleTime: 30_000,
  });
  return listed ?? one.data;
}
