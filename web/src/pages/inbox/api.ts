import type { z } from 'zod';
import type { InboxCounts } from '@server/inbox/dto';
import type { followUpSchema, notificationSchema, outboxEmailSchema, ticketSchema, updateTicketBody } from '@server/tools/dto';
import type { SMS_STATUSES, SOCIAL_PLATFORMS, SOCIAL_POST_STATUSES } from '@server/packs/fitness/tools/enums';
import { api, type QueryValue } from '../../api/client';
import type { Page } from '../../api/types';

/* The inbox's endpoints: each kind of record is its module's list; the counts are one call. Query keys start with 'inbox'. */

export type Notification = z.output<typeof notificationSchema>;
export type OutboxEmail = z.output<typeof outboxEmailSchema>;
export type Ticket = z.output<typeof ticketSchema>;
export type FollowUp = z.output<typeof followUpSchema>;
export type { InboxCounts };

/** `GET /fitness/sms-outbox` items (the schema is local to its routes file). */
export interface SmsMessage {
  id: string;
  contactId: string | null;
  to: string;
  from: string | null;
  body: string;
  status: (typeof SMS_STATUSES)[number];
  error: string | null;
  runId: string | null;
  createdAt: string;
  sentAt: string | null;
}

/** `GET /fitness/social-posts` items. */
export interface SocialPost {
  id: string;
  platform: (typeof SOCIAL_PLATFORMS)[number];
  content: string;
  hashtags: string[];
  mediaUrls: string[];
  scheduledFor: string;
  status: (typeof SOCIAL_POST_STATUSES)[number];
  agentId: string | null;
  runId: string | null;
  createdAt: string;
}

/** How often the navigation badge looks again (paused in a hidden tab). */
export const COUNTS_POLL_MS = 15_000;

const page = <T>(path: string, query: Record<string, QueryValue>, signal?: AbortSignal) => api.get<Page<T>>(path, { query, signal });

export const inboxApi = {
  counts: (signal?: AbortSignal) => api.get<InboxCounts>('/inbox/counts', { signal }),
  notifications: (q: { unread?: boolean; offset: number; limit: number }, signal?: AbortSignal) => page<Notification>('/notifications', { ...q, unread: q.unread || undefined }, signal),
  markRead: (id: string) => api.post<Notification>(`/notifications/${id}/read`),
  markAllRead: () => api.post<{ updated: number }>('/notifications/read-all'),
  mail: (q: { status?: string; offset: number; limit: number }, signal?: AbortSignal) => page<OutboxEmail>('/outbox', q, signal),
  sms: (q: { status?: string; offset: number; limit: number }, signal?: AbortSignal) => page<SmsMessage>('/fitness/sms-outbox', q, signal),
  socialPosts: (q: { status?: string; offset: number; limit: number }, signal?: AbortSignal) => page<SocialPost>('/fitness/social-posts', q, signal),
  tickets: (q: { status?: string; offset: number; limit: number }, signal?: AbortSignal) => page<Ticket>('/tickets', q, signal),
  updateTicket: (id: string, body: z.input<typeof updateTicketBody>) => api.patch<Ticket>(`/tickets/${id}`, body),
  followUps: (q: { status?: string; offset: number; limit: number }, signal?: AbortSignal) => page<FollowUp>('/follow-ups', q, signal),
};

export const inboxKeys = {
  all: ['inbox'] as const,
  counts: ['inbox', 'counts'] as const,
  list: (tab: string, q: object) => ['inbox', 'list', tab, q] as const,
};
