import { and, eq, isNull, lte, sql, type SQL } from 'drizzle-orm';
import type { InboxCounter } from '../inbox/counts.js';
import { roleAtLeast, type Actor } from '../shared/roles.js';
import { visibleTo } from './notifications.js';
import { followUps, notifications, outboxEmails, supportTickets } from './schema.js';

const countWhere = (table: typeof notifications | typeof supportTickets | typeof followUps | typeof outboxEmails, where: SQL | undefined): SQL =>
  sql`select count(*) from ${table} where ${where}`;

/**
 * The inbox's counts of the tools' records (`GET /inbox/counts`): unread notifications the actor
 * sees (the rule of `GET /notifications`), open and in-progress tickets, pending and due follow-ups,
 * and, for admins and owners only (the outbox is theirs), kept and failed mail.
 */
export const toolsInboxCounter: InboxCounter = {
  counts(actor: Actor) {
    const ticket = (status: 'open' | 'in_progress') => countWhere(supportTickets, and(eq(supportTickets.orgId, actor.orgId), eq(supportTickets.status, status)));
    const mail = (status: 'kept' | 'failed') => countWhere(outboxEmails, and(eq(outboxEmails.orgId, actor.orgId), eq(outboxEmails.status, status)));
    const pending = and(eq(followUps.orgId, actor.orgId), eq(followUps.status, 'pending'));
    return {
      unreadNotifications: countWhere(notifications, and(visibleTo(actor), isNull(notifications.readAt))),
      openTickets: ticket('open'),
      inProgressTickets: ticket('in_progress'),
      pendingFollowUps: countWhere(followUps, pending),
      dueFollowUps: countWhere(followUps, and(pending, lte(followUps.dueAt, sql`now()`))),
      ...(roleAtLeast(actor.role, 'admin') ? { keptMail: mail('kept'), failedMail: mail('failed') } : {}),
    };
  },
};
