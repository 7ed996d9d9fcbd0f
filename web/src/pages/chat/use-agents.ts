import { useQuery } from '@tanstack/react-query';
import { chatApi, chatKeys, type Agent } from './api';

/** Every agent of the organization (for names, avatars and the agent picker). */
export function useChatAgents() {
  const query = useQuery({ queryKey: chatKeys.agents, queryFn: ({ signal }) => chatApi.agents(signal), staleTime: 30_000 });
  const byId = new Map<string, Agent>((query.data?.items ?? []).map((a) => [a.id, a]));
  /** Agents one can chat with: not deleted. Paused ones are listed too (their thread says why it is read-only). */
  const available = (query.data?.items ?? []).filter((a) => !a.deletedAt);
  return { query, byId, available };
}
