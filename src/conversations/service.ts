import type { ModelMessage } from 'ai';
import { and, asc, count, desc, eq, gt, isNotNull, isNull, lt, sql } from 'drizzle-orm';
import type { Agent } from '../agents/dto.js';
import type { Database, Tx } from '../db/client.js';
import { roleAtLeast, type Actor } from '../shared/roles.js';
import { conflict, forbidden, notFound } from '../shared/errors.js';
import { UUID_RE } from '../shared/ids.js';
import { keysetPage, timestampSort } from '../shared/keyset.js';
import type { Page, PageQuery } from '../shared/pagination.js';
import { cutIndex } from './memory.js';
import { conversations, messages } from './schema.js';
import { conversationVisibleTo } from './visibility.js';

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

export type ConversationRow = typeof conversations.$inferSelect;
export type MessageRow = typeof messages.$inferSelect;

/** Conversations and their messages: the chat API's data, and what the run engine reads and writes. */
export class ConversationService {
  constructor(private readonly database: Database) {}

  async create(actor: Actor, agentId: string, title?: string): Promise<ConversationRow> {
    const [row] = await this.database.withOrg(actor.orgId, (tx) =>
      tx.insert(conversations).values({ orgId: actor.orgId, agentId, userId: actor.userId, ...(title ? { title } : {}) }).returning(),
    );
    return row!;
  }

  async get(actor: Actor, id: string): Promise<ConversationRow> {
    if (!UUID_RE.test(id)) throw notFound('Conversation');
    const [row] = await this.database.withOrg(actor.orgId, (tx) =>
      tx.select().from(conversations).where(and(eq(conversations.orgId, actor.orgId), eq(conversations.id, id), conversationVisibleTo(actor))),
    );
    if (!row) throw notFound('Conversation');
    return row;
  }

  /** Most recently active first; filter by agent, (admins) by user, and by being a website visitor's. */
  async list(actor: Actor, q: PageQuery & { agentId?: string; userId?: string; visitor?: boolean }): Promise<Page<ConversationRow>> {
    const where = and(
      eq(conversations.orgId, actor.orgId),
      conversationVisibleTo(actor),
      q.agentId ? eq(conversations.agentId, q.agentId) : undefined,
      q.userId ? eq(conversations.userId, q.userId) : undefined,
      q.visitor === undefined ? undefined : q.visitor ? isNotNull(conversations.visitorId) : isNull(conversations.visitorId),
    );
    return this.database.withOrg(actor.orgId, (tx) =>
      keysetPage(tx, { table: conversations, id: conversations.id, sort: timestampSort(conversations.updatedAt), where }, q, (r) => r),
    );
  }

  async rename(actor: Actor, id: string, title: string): Promise<ConversationRow> {
    const conv = this.mayChange(actor, await this.get(actor, id));
    const [row] = await this.database.withOrg(actor.orgId, (tx) =>
      tx.update(conversations).set({ title, updatedAt: sql`now()` }).where(and(eq(conversations.orgId, actor.orgId), eq(conversations.id, conv.id))).returning(),
    );
    return row!;
  }

  async remove(actor: Actor, id: string): Promise<void> {
    const conv = this.mayChange(actor, await this.get(actor, id));
    await this.database.withOrg(actor.orgId, (tx) => tx.delete(conversations).where(and(eq(conversations.orgId, actor.orgId), eq(conversations.id, conv.id))));
  }

  /** A website visitor's conversation is the organization's: every role reads it, only admins rename or delete it. */
  private mayChange(actor: Actor, conv: ConversationRow): ConversationRow {
    if (conv.visitorId && !roleAtLeast(actor.role, 'admin')) throw forbidden("Only admins rename or delete a website visitor's conversation", 'insufficient_role');
    return conv;
  }

  /** Messages in order (oldest first by default), paged by `seq`: `before`/`after` a seq, or offset. */
  async messages(actor: Actor, id: string, q: { limit: number; after?: number; before?: number; order: 'asc' | 'desc' }): Promise<{ items: MessageRow[]; total: number }> {
    const conv = await this.get(actor, id);
    return this.database.withOrg(actor.orgId, async (tx) => {
      const where = and(
        eq(messages.orgId, actor.orgId),
        eq(messages.conversationId, conv.id),
        q.after !== undefined ? gt(messages.seq, q.after) : undefined,
        q.before !== undefined ? lt(messages.seq, q.before) : undefined,
      );
      const [{ total } = { total: 0 }] = await tx.select({ total: count() }).from(messages).where(and(eq(messages.orgId, actor.orgId), eq(messages.conversationId, conv.id)));
      const items = await tx
        .select()
        .from(messages)
        .where(where)
        .orderBy(q.order === 'asc' ? asc(messages.seq) : desc(messages.seq))
        .limit(q.limit);
      return { items, total };
    });
  }

  /** Adds the person's message; the chat run that answers it is created next. */
  async addUserMessage(actor: Actor, id: string, text: string): Promise<ConversationRow> {
    const conv = await this.get(actor, id);
    await this.database.withOrg(actor.orgId, async (tx) => {
      await this.append(tx, actor.orgId, conv.id, [{ message: { role: 'user', content: text } }]);
      // The first message names an untitled conversation.
      if (conv.messageCount === 0 && conv.title === 'New conversation') {
        await tx.update(conversations).set({ title: text.slice(0, 80) }).where(eq(conversations.id, conv.id));
      }
    });
    return conv;
  }

  /**
   * Removes the last reply (everything after the last user message) so it can be generated again;
   * returns that user message's text. 409 when there is no user message to answer.
   */
  async dropLastReply(actor: Actor, id: string): Promise<{ conversation: ConversationRow; text: string }> {
    const conv = await this.get(actor, id);
    return this.database.withOrg(actor.orgId, async (tx) => {
      const [last] = await tx
        .select()
        .from(messages)
        .where(and(eq(messages.orgId, actor.orgId), eq(messages.conversationId, conv.id), eq(messages.role, 'user')))
        .orderBy(desc(messages.seq))
        .limit(1);
      if (!last) throw conflict('There is no message to answer yet', 'nothing_to_regenerate');
      await tx.delete(messages).where(and(eq(messages.orgId, actor.orgId), eq(messages.conversationId, conv.id), gt(messages.seq, last.seq)));
      await tx.update(conversations).set({ messageCount: last.seq, updatedAt: sql`now()` }).where(eq(conversations.id, conv.id));
      return { conversation: conv, text: last.text };
    });
  }

  /**
   * The conversation's history for the model: messages after the summarized part, cut to the
   * agent's `memory.historyLength` and token budget (see memory.ts), and the running summary.
   */
  async contextFor(
    orgId: string,
    conversationId: string,
    agent: Agent,
    _runId: string,
  ): Promise<{ messages: ModelMessage[]; summary: string; cut: { messages: ModelMessage[]; throughSeq: number } | null }> {
    return this.database.withOrg(orgId, async (tx) => {
      const [conv] = await tx.select().from(conversations).where(and(eq(conversations.orgId, orgId), eq(conversations.id, conversationId)));
      if (!conv) throw notFound('Conversation');
      const rows = await tx
        .select({ seq: messages.seq, role: messages.role, content: messages.content })
        .from(messages)
        .where(and(eq(messages.orgId, orgId), eq(messages.conversationId, conversationId), gt(messages.seq, conv.summarizedThroughSeq)))
        .orderBy(asc(messages.seq));
      const all = rows.map((r) => ({ role: r.role, content: r.content }) as ModelMessage);
      const start = cutIndex(all, Math.max(1, agent.memory.historyLength), agent.memory.contextBudget ?? DEFAULT_CONTEXT_BUDGET);
      // What falls out of the window and is not in the summary yet: the engine summarizes it first.
      const cut = start > 0 ? { messages: all.slice(0, start), throughSeq: rows[start - 1]!.seq } : null;
      return { messages: all.slice(start), summary: conv.summary, cut };
    });
  }

  /** Stores the running summary covering messages up to `throughSeq` (never moves backwards). */
  async saveSummary(tx: Tx, orgId: string, conversationId: string, summary: string, throughSeq: number): Promise<void> {
    await tx
      .update(conversations)
      .set({ summary, summarizedThroughSeq: throughSeq })
      .where(and(eq(conversations.orgId, orgId), eq(conversations.id, conversationId), lt(conversations.summarizedThroughSeq, throughSeq)));
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
