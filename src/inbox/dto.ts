import { z } from 'zod';

// Pure schema file (zod only): shared with the dashboard.

const count = z.number().int();

/** `GET /inbox/counts`: what agents left for people, counted in one statement (the navigation badge reads `attention`). */
export const inboxCountsSchema = z
  .object({
    attention: count.describe('What waits for a person and can be cleared: unread notifications plus open tickets (the navigation badge)'),
    notifications: z.object({ unread: count.describe('Unread notifications you see (for everyone, and yours)') }),
    tickets: z.object({ open: count, inProgress: count }),
    followUps: z.object({ pending: count, due: count.describe('Pending and due now or earlier') }),
    mail: z.object({ kept: count.describe('Waiting in the outbox: no mail server is configured'), failed: count }).nullable().describe('Admins and owners (the outbox is theirs); null for other roles'),
    sms: z.object({ kept: count.describe('Waiting in the SMS outbox: no SMS provider is set'), failed: count }).nullable().describe('Admins and owners; null for other roles'),
    socialPosts: z.object({ scheduled: count.describe('Posts waiting for a person to publish them') }),
  })
  .meta({ id: 'InboxCounts' });
export type InboxCounts = z.output<typeof inboxCountsSchema>;

/** The counts a source may give, each a scalar SQL count over the source's own tables. */
export const INBOX_COUNT_KEYS = [
  'unreadNotifications',
  'openTickets',
  'inProgressTickets',
  'pendingFollowUps',
  'dueFollowUps',
  'keptMail',
  'failedMail',
  'keptSms',
  'failedSms',
  'scheduledPosts',
] as const;
export type InboxCountKey = (typeof INBOX_COUNT_KEYS)[number];
