import { eq, isNotNull, or, sql, type SQL } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { roleAtLeast, type Actor } from '../shared/roles.js';
import { conversations } from './schema.js';

/**
 * Who sees a conversation: its own person; admins and owners see every conversation of the
 * organization; API keys see the conversations made with a key (userId null). A website
 * visitor's conversation (visitorId set, no person) is the organization's: every member of
 * staff sees it (decision 62). Undefined when the actor sees them all. The one rule for a
 * conversation and everything made in it (decision 33).
 */
export function conversationVisibleTo(actor: Actor): SQL | undefined {
  if (roleAtLeast(actor.role, 'admin')) return undefined;
  return actor.userId ? or(eq(conversations.userId, actor.userId), isNotNull(conversations.visitorId)) : sql`${conversations.userId} is null`;
}

/**
 * The same rule for data kept elsewhere that belongs to a conversation (a chat run, and through
 * it its steps, events and approvals): true when `conversationId` (a column holding a
 * conversation id, null for data outside any conversation) is null or names a conversation the
 * actor sees. A conversation that no longer exists hides what was made in it, except from admins.
 * Undefined when the actor sees every conversation, so their queries stay as they were.
 */
export function inVisibleConversation(actor: Actor, conversationId: AnyPgColumn): SQL | undefined {
  const rule = conversationVisibleTo(actor);
  if (!rule) return undefined;
  return sql`(${conversationId} is null or exists (select 1 from ${conversations} where ${conversations.id} = ${conversationId} and ${rule}))`;
}
