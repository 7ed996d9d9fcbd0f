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

/** Query keys of the Chat area (all start with 'chat'). */
export const chatKeys = {
  all: ['chat'] as const,
  agents: ['chat', 'agents'] as const,
  conversations: ['chat', 'conversations'] as const,
  messages: (id: string) => ['chat', 'messages', id] as const,
  waiting: (id: string) => ['chat', 'waiting', id] as const,
};

export const chatApi = {
  /** Every agent (including deleted ones, so old conversations keep their agent's name). */
  agents: (signal?: AbortSignal) => api.get<Page<Agent>>('/agents', { query: { limit: 100, includeDeleted: true, sortBy: 'name', sortOrder: 'asc' }, signal }),
  conversations: (signal?: AbortSignal) => api.get<Page<Conversation>>('/conversations', { query: { limit: 100 }, signal }),
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

/** Micro-dollars as dollars: `$0.0123`; small amounts keep their significant digits. */
export function formatMicros(micros: number): string {
  const dollars = micros / 1_000_000;
  if (dollars === 0) return '$0.00';
  if (dollars >= 0.01) return `$${dollars.toFixed(dollars >= 100 ? 2 : 4).replace(/(\.\d\d\d*?)0+$/, '$1')}`;
  return `$${dollars.toPrecision(2).replace(/0+$/, '').replace(/\.$/, '')}`;
}
