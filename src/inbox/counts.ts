import { sql, type SQL } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import type { Actor } from '../shared/roles.js';
import { INBOX_COUNT_KEYS, type InboxCountKey, type InboxCounts } from './dto.js';

/**
 * A module whose records belong in the inbox (the tools' notifications, tickets, follow-ups and
 * mail; a pack's SMS outbox and social posts) says how to count them: one scalar SQL expression
 * per count, over its own tables, for this actor. A count the actor may not read (the outbox for
 * a member) is left out. The inbox never names another module's table: it only runs what the
 * sources give it, all in one statement.
 */
export interface InboxCounter {
  counts(actor: Actor): Partial<Record<InboxCountKey, SQL>>;
}

/**
 * Every source's counts in one statement, one round trip (`readOrg`): `select (…) as "a", (…) as "b"`.
 * Keys no source gives are 0; `mail` and `sms` are null when their counts were left out (the role).
 */
export async function countInbox(database: Database, actor: Actor, sources: InboxCounter[]): Promise<InboxCounts> {
  const parts = new Map<InboxCountKey, SQL>();
  for (const source of sources) for (const [key, expr] of Object.entries(source.counts(actor)) as [InboxCountKey, SQL][]) parts.set(key, expr);
  const got: Partial<Record<InboxCountKey, number>> = {};
  if (parts.size) {
    const columns = [...parts].map(([key, expr]) => sql`(${expr})::int as ${sql.identifier(key)}`);
    const { rows } = await database.readOrg(actor.orgId, (tx) => tx.execute(sql`select ${sql.join(columns, sql`, `)}`));
    const row = (rows[0] ?? {}) as Record<string, unknown>;
    for (const key of INBOX_COUNT_KEYS) if (parts.has(key)) got[key] = Number(row[key] ?? 0);
  }
  const n = (key: InboxCountKey) => got[key] ?? 0;
  const has = (key: InboxCountKey) => parts.has(key);
  return {
    attention: n('unreadNotifications') + n('openTickets'),
    notifications: { unread: n('unreadNotifications') },
    tickets: { open: n('openTickets'), inProgress: n('inProgressTickets') },
    followUps: { pending: n('pendingFollowUps'), due: n('dueFollowUps') },
    mail: has('keptMail') || has('failedMail') ? { kept: n('keptMail'), failed: n('failedMail') } : null,
    sms: has('keptSms') || has('failedSms') ? { kept: n('keptSms'), failed: n('failedSms') } : null,
    socialPosts: { scheduled: n('scheduledPosts') },
  };
}
