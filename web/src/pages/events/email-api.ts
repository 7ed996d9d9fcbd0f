import type { z } from 'zod';
import type { connectionTestSchema, createInboxBody, emailDeliverySchema, inboxSchema, inboxWithTokenSchema, updateInboxBody } from '@server/email-in/dto';
import { DEFAULT_EMAIL_EVENT_TYPE, DEFAULT_POLL_SECONDS, INBOX_KINDS, MIN_POLL_SECONDS, PARSE_PROVIDERS, type InboxKind, type ParseProvider } from '@server/email-in/enums';
import { api } from '../../api/client';

/*
 * The endpoints the Email page uses (src/email-in/routes.ts): the organization's inboxes (an SMTP
 * address, an IMAP mailbox polled, an inbound-parse webhook), their tests, polls and recent mail.
 */

export type Inbox = z.output<typeof inboxSchema>;
export type InboxWithToken = z.output<typeof inboxWithTokenSchema>;
export type ConnectionTest = z.output<typeof connectionTestSchema>;
export type EmailDelivery = z.output<typeof emailDeliverySchema>;
export type CreateInbox = z.input<typeof createInboxBody>;
export type UpdateInbox = z.input<typeof updateInboxBody>;
export type { InboxKind, ParseProvider };
export { DEFAULT_EMAIL_EVENT_TYPE, DEFAULT_POLL_SECONDS, INBOX_KINDS, MIN_POLL_SECONDS, PARSE_PROVIDERS };

export const KIND_LABELS = {
  smtp: 'An address at Troupe (SMTP)',
  imap: 'A mailbox elsewhere (IMAP)',
  parse: "A mail provider's inbound parse",
} satisfies Record<InboxKind, string>;
export const PROVIDER_LABELS = { sendgrid: 'SendGrid Inbound Parse', mailgun: 'Mailgun routes', postmark: 'Postmark inbound' } satisfies Record<ParseProvider, string>;

const enc = encodeURIComponent;

export const emailKeys = {
  inboxes: ['events', 'email-inboxes'] as const,
  deliveries: (id: string) => ['events', 'email-inboxes', id, 'deliveries'] as const,
};

export const emailApi = {
  inboxes: (signal?: AbortSignal) => api.get<{ items: Inbox[] }>('/email-inboxes', { signal }),
  /** A parse inbox's answer carries its token: the only time it is shown. */
  create: (body: CreateInbox) => api.post<InboxWithToken>('/email-inboxes', body),
  update: (id: string, body: UpdateInbox) => api.patch<Inbox>(`/email-inboxes/${enc(id)}`, body),
  remove: (id: string) => api.delete(`/email-inboxes/${enc(id)}`),
  rotateToken: (id: string) => api.post<InboxWithToken>(`/email-inboxes/${enc(id)}/rotate-token`),
  testConnection: (id: string) => api.post<ConnectionTest>(`/email-inboxes/${enc(id)}/test-connection`),
  pollNow: (id: string) => api.post<Inbox>(`/email-inboxes/${enc(id)}/poll`),
  deliveries: (id: string, signal?: AbortSignal) => api.get<{ items: EmailDelivery[] }>(`/email-inboxes/${enc(id)}/deliveries`, { signal }),
};
