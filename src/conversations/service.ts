import type { ModelMessage } from 'ai';
import { and, asc, eq, gt, sql } from 'drizzle-orm';
import type { Agent } from '../agents/dto.js';
import type { Database, Tx } from '../db/client.js';
import { notFound } from '../shared/errors.js';
import { cutIndex } from './memory.js';
import { conversations, messages } from './schema.js';

/** Default token budget for history when the agent sets none (room for prompt and reply in an 8k model). */
export const DEFAULT_CONTEXT_BUDGET = 6000;

const textOf = (content: unknown): string =>
  typeof content === 'string'
    ? content
    : Array.isArray(content)
      ? content
          .map((p: { type?: string; text?: string }) => (p.type === 'text' ? (p.text ?? '') : ''))
          .filter(Boolean)
          .join('\n')
      : '';

/** Conversations and their messages, as the run engine reads and writes them. */
export class ConversationService {
  constructor(private readonly database: Database) {}

  /**
   * The conversation's history for the model: messages after the summarized part, cut to the
   * agent's `memory.historyLength` and token budget (see memory.ts), and the running summary.
   */
  async contextFor(orgId: string, conversationId: string, agent: Agent, _runId: string): Promise<{ messages: ModelMessage[]; summary: string }> {
    return this.database.withOrg(orgId, async (tx) => {
      const [conv] = await tx.select().from(conversations).where(and(eq(conversations.orgId, orgId), eq(conversations.id, conversationId)));
      if (!conv) throw notFound('Conversation');
      const rows = await tx
        .select({ role: messages.role, content: messages.content })
        .from(messages)
        .where(and(eq(messages.orgId, orgId), eq(messages.conversationId, conversationId), gt(messages.seq, conv.summarizedThroughSeq)))
        .orderBy(asc(messages.seq));
      const all = rows.map((r) => ({ role: r.role, content: r.content }) as ModelMessage);
      const start = cutIndex(all, Math.max(1, agent.memory.historyLength), agent.memory.contextBudget ?? DEFAULT_CONTEXT_BUDGET);
      return { messages: all.slice(start), summary: conv.summary };
    });
  }

  /** Appends messages to a conversation (next seq numbers), in the caller's transaction. */
  async append(tx: Tx, orgId: string, conversationId: string, items: { message: ModelMessage; runId?: string | null; usage?: { inputTokens: number; outputTokens: number; costMicros: number } }[]): Promise<void> {
    if (!items.length) return;
    // Lock the conversation row: concurrent appends get consecutive, unique seq numbers.
    const [conv] = await tx
      .update(conversations)
      .set({ messageCount: sql`${conversations.messageCount} + ${items.length}`, lastMessageAt: sql`now()`, updatedAt: sql`now()` })
      .where(and(eq(conversations.orgId, orgId), eq(conversations.id, conversationId)))
      .returning({ count: conversations.messageCount });
    if (!conv) throw notFound('Conversation');
    const first = conv.count - items.length + 1;
    await tx.insert(messages).values(
      items.map((it, i) => ({
        orgId,
        conversationId,
        seq: first + i,
        role: it.message.role as 'user' | 'assistant' | 'tool',
        content: it.message.content as unknown,
        text: textOf(it.message.content),
        runId: it.runId ?? null,
        inputTokens: it.usage?.inputTokens ?? null,
        outputTokens: it.usage?.outputTokens ?? null,
        costMicros: it.usage?.costMicros ?? null,
      })),
    );
  }

  /** The engine's hook: the run's assistant and tool messages; usage goes on the last assistant message. */
  async appendRunMessages(tx: Tx, orgId: string, conversationId: string, runId: string, produced: ModelMessage[], usage: { inputTokens: number; outputTokens: number; costMicros: number }) {
    const lastAssistant = produced.map((m) => m.role).lastIndexOf('assistant');
    await this.append(
      tx,
      orgId,
      conversationId,
      produced.map((message, i) => ({ message, runId, usage: i === lastAssistant ? usage : undefined })),
    );
  }
}
