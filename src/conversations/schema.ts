import { sql } from 'drizzle-orm';
import { bigint, index, integer, json, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { agents } from '../agents/schema.js';
import { createdAt, id, orgId, ts, updatedAt } from '../db/columns.js';
import { chatPublications } from '../publications/schema.js';

/** A chat between people (one user) and one agent, with a running summary of turns cut from history. */
export const conversations = pgTable(
  'conversations',
  {
    id: id(),
    orgId: orgId(),
    agentId: uuid('agent_id')
      .notNull()
      .references(() => agents.id, { onDelete: 'cascade' }),
    userId: uuid('user_id'),
    /** A website visitor's conversation (the public chat of a publication): the visitor's id, and the publication. */
    visitorId: uuid('visitor_id'),
    publicationId: uuid('publication_id').references(() => chatPublications.id, { onDelete: 'set null' }),
    title: text('title').notNull().default('New conversation'),
    /** Summary of the messages up to and including `summarizedThroughSeq`, which no longer go to the model verbatim. */
    summary: text('summary').notNull().default(''),
    summarizedThroughSeq: integer('summarized_through_seq').notNull().default(0),
    messageCount: integer('message_count').notNull().default(0),
    lastMessageAt: ts('last_message_at'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('conversations_org_agent_idx').on(t.orgId, t.agentId, t.updatedAt),
    index('conversations_org_user_idx').on(t.orgId, t.userId),
    uniqueIndex('conversations_visitor_key').on(t.publicationId, t.visitorId).where(sql`visitor_id is not null`),
  ],
);

export const MESSAGE_ROLES = ['user', 'assistant', 'tool'] as const;

/**
 * One message in AI SDK ModelMessage form (`content` is the message's content, text or parts),
 * plus `text` for display and search. Tool calls (assistant) and their results (tool) are
 * separate messages with the same `runId`, and memory trimming keeps them together.
 */
export const messages = pgTable(
  'messages',
  {
    id: id(),
    orgId: orgId(),
    conversationId: uuid('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    seq: integer('seq').notNull(),
    role: text('role', { enum: MESSAGE_ROLES }).notNull(),
    /** json, not jsonb: the next turn replays it to the model as written (key order; decision 45). */
    content: json('content').$type<unknown>().notNull(),
    text: text('text').notNull().default(''),
    runId: uuid('run_id'),
    inputTokens: integer('input_tokens'),
    outputTokens: integer('output_tokens'),
    costMicros: bigint('cost_micros', { mode: 'number' }),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('messages_conversation_seq').on(t.conversationId, t.seq), index('messages_run_idx').on(t.runId).where(sql`run_id is not null`)],
);
