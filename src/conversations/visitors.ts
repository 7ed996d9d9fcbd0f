import { and, asc, eq, gt, inArray, sql } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import { AppError } from '../shared/errors.js';
import { conversations, messages } from './schema.js';
import type { ConversationRow, ConversationService } from './service.js';

/** A message as a visitor sees it: their own and the agent's text, never tool calls or results. */
export interface VisitorMessage {
  seq: number;
  role: 'visitor' | 'assistant';
  text: string;
  createdAt: Date;
}

export interface VisitorLimits {
  perMinute: number;
  perDay: number;
}

/**
 * Conversations of website visitors (the public chat of a chat publication, docs/widget.md): one
 * per visitor, holding the visitor's id and the publication. They have no person
 * (`user_id` null), and staff see them in the conversations API marked by `visitorId`.
 */
export class VisitorChats {
  constructor(
    private readonly database: Database,
    private readonly conversations: Pick<ConversationService, 'append'>,
  ) {}

  /**
   * The visitor's conversation with the publication's agent, made on their first message (a
   * visitor who only opens the chat leaves nothing behind). One per (publication, visitor): the
   * unique index decides between two first messages sent at once.
   */
  async open(orgId: string, agentId: string, publicationId: string, visitorId: string): Promise<ConversationRow> {
    return this.database.withOrg(orgId, async (tx) => {
      const [made] = await tx
        .insert(conversations)
        .values({ orgId, agentId, userId: null, visitorId, publicationId, title: 'Website visitor' })
        .onConflictDoNothing()
        .returning();
      if (made) return made;
      const [row] = await tx
        .select()
        .from(conversations)
        .where(and(eq(conversations.orgId, orgId), eq(conversations.publicationId, publicationId), eq(conversations.visitorId, visitorId)));
      return row!;
    });
  }

  /** The visitor's conversation in this publication, or null (never another visitor's, publication's or organization's). */
  async find(orgId: string, publicationId: string, visitorId: string): Promise<ConversationRow | null> {
    const [row] = await this.database.readOrg(orgId, (tx) =>
      tx
        .select()
        .from(conversations)
        .where(and(eq(conversations.orgId, orgId), eq(conversations.publicationId, publicationId), eq(conversations.visitorId, visitorId)))
        .limit(1),
    );
    return row ?? null;
  }

  /**
   * Adds the visitor's message, unless it would pass their limits: 429 `rate_limited` with
   * Retry-After (seconds until the oldest message in the full window leaves it). Counted under
   * the conversation's row lock, so concurrent sends cannot pass a limit together. Returns the
   * message's seq.
   */
  async addMessage(orgId: string, conversationId: string, text: string, limits: VisitorLimits): Promise<number> {
    return this.database.withOrg(orgId, async (tx) => {
      const [conv] = await tx
        .select({ id: conversations.id, messageCount: conversations.messageCount })
        .from(conversations)
        .where(and(eq(conversations.orgId, orgId), eq(conversations.id, conversationId)))
        .for('update');
      if (!conv) throw new AppError(401, 'invalid_visitor_token', 'This chat session has ended; start a new one');
      const [w] = await tx
        .select({
          minute: sql<number>`count(*) filter (where ${messages.createdAt} > now() - interval '1 minute')`.mapWith(Number),
          minuteWait: sql<number | null>`ceil(extract(epoch from (min(${messages.createdAt}) filter (where ${messages.createdAt} > now() - interval '1 minute') + interval '1 minute' - now())))`.mapWith(Number),
          day: sql<number>`count(*)`.mapWith(Number),
          dayWait: sql<number | null>`ceil(extract(epoch from (min(${messages.createdAt}) + interval '1 day' - now())))`.mapWith(Number),
        })
        .from(messages)
        .where(and(eq(messages.orgId, orgId), eq(messages.conversationId, conversationId), eq(messages.role, 'user'), sql`${messages.createdAt} > now() - interval '1 day'`));
      const over = (count: number, limit: number, wait: number | null, window: string) => {
        if (count < limit) return;
        const seconds = Math.max(1, wait ?? 1);
        throw new AppError(429, 'rate_limited', `You can send ${limit} messages per ${window}; try again in ${seconds} s`, undefined, { 'retry-after': String(seconds) });
      };
      over(w?.day ?? 0, limits.perDay, w?.dayWait ?? null, 'day');
      over(w?.minute ?? 0, limits.perMinute, w?.minuteWait ?? null, 'minute');
      await this.conversations.append(tx, orgId, conversationId, [{ message: { role: 'user', content: text } }]);
      if (conv.messageCount === 0) await tx.update(conversations).set({ title: `Visitor: ${text.slice(0, 70)}` }).where(eq(conversations.id, conversationId));
      return conv.messageCount + 1;
    });
  }

  /** The visitor's and the agent's messages after `afterSeq`, oldest first (at most `limit`). */
  async messages(orgId: string, conversationId: string, afterSeq = 0, limit = 100): Promise<VisitorMessage[]> {
    const rows = await this.database.readOrg(orgId, (tx) =>
      tx
        .select({ seq: messages.seq, role: messages.role, text: messages.text, createdAt: messages.createdAt })
        .from(messages)
        .where(and(eq(messages.orgId, orgId), eq(messages.conversationId, conversationId), gt(messages.seq, afterSeq), inArray(messages.role, ['user', 'assistant'])))
        .orderBy(asc(messages.seq))
        .limit(limit),
    );
    // An assistant message with no text is a tool call: the visitor sees the answer, not the work.
    return rows.filter((r) => r.role === 'user' || r.text.trim() !== '').map((r) => ({ seq: r.seq, role: r.role === 'user' ? 'visitor' : 'assistant', text: r.text, createdAt: r.createdAt }));
  }
}
