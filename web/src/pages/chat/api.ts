import type { z } from 'zod';
import type { agentSchema } from '@server/agents/dto';
import type { conversationSchema, messageSchema } from '@server/conversations/dto';
import type { runSchema } from '@server/runs/dto';
import { api } from '../../api/client';
import type { Page } from '../../api/types';
import { readSse, type SseEvent } from './sse';

export type Agent = z.output<typeof agentSchema>;
export type Conversation = z.output<typeof conversationSchema>;
export type Message = z.output<typeof messageSchema>;
export type Run = z.output<typeof runSchema>;

/**
 * Query keys of the Chat area (all start with 'chat'), except the agents: theirs start with
 * 'agents', so creating, renaming or deleting an agent on the Agents pages (which invalidates
 * ['agents']) refreshes the chat's names and avatars too.
 */
export const chatKeys = {
  all: ['chat'] as const,
  agents: ['agents', 'chat'] as const,
  agent: (id: string) => ['agents', 'chat', id] as const,
  conversations: ['chat', 'conversations'] as const,
  messages: (id: string) => ['chat', 'messages', id] as const,
  waiting: (id: string) => ['chat', 'waiting', id] as const,
};

export const chatApi = {
  /** Every agent (including deleted ones, so old conversations keep their agent's name). */
  agents: (signal?: AbortSignal) => api.get<Page<Agent>>('/agents', { query: { limit: 100, includeDeleted: true, sortBy: 'name', sortOrder: 'asc' }, signal }),
  /** One agent, also when deleted (a conversation's agent that the list does not have yet). */
  agent: (id: string, signal?: AbortSignal) => api.get<Agent>(`/agents/${encodeURIComponent(id)}`, { query: { includeDeleted: true }, signal }),
  // Website visitors' conversations are read elsewhere: nobody on staff writes in them.
  conversations: (signal?: AbortSignal) => api.get<Page<Conversation>>('/conversations', { query: { limit: 100, visitor: false }, signal }),
  conversation: (id: string, signal?: AbortSignal) => api.get<Conversation>(`/conversations/${id}`, { signal }),
  messages: (id: string, signal?: AbortSignal) => api.get<{ items: Message[]; total: number }>(`/conversations/${id}/messages`, { query: { limit: 200 }, signal }),
  create: (agentId: string) => api.post<Conversation>('/conversations', { agentId }),
  rename: (id: string, title: string) => api.patch<Conversation>(`/conversations/${id}`, { title }),
  remove: (id: string) => api.delete(`/conversations/${id}`),
  /** Chat runs of this conversation that wait for an approval (the newest 100 waiting runs, filtered here). */
  waitingRuns: async (conversationId: string, signal?: AbortSignal) => {
    const page = await api.get<Page<Run>>('/runs', { query: { status: 'waiting_approval', source: 'chat', limit: 100 }, signal });
    return page.items.filter((r) => r.conversationId === conversationId);
  },
};

/**
 * Sends a message (or, with `regenerate`, asks for a new last reply) and streams the run's
 * events to `onEvent` until the run ends or waits. Throws ApiError when the server refuses.
 */
export async function streamReply(
  conversationId: string,
  input: { content: string } | { regenerate: true },
  onEvent: (e: SseEvent) => void,
  signal?: AbortSignal,
): Promise<void> {
  const regenerate = 'regenerate' in input;
  const res = await api.fetch(`/conversations/${conversationId}/${regenerate ? 'regenerate' : 'messages'}`, {
    method: 'POST',
    headers: { accept: 'text/event-stream', ...(regenerate ? {} : { 'content-type': 'application/json' }) },
    body: regenerate ? undefined : JSON.stringify({ content: input.content }),
    signal,
  });
  if (!res.body) throw new Error('The server sent no reply stream');
  await readSse(res.body, onEvent);
}
