import { boolean, index, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, orgId, ts, updatedAt } from '../db/columns.js';
import { TICKET_STATUSES } from './enums.js';

export { TICKET_STATUSES } from './enums.js';

/** Per-organization tool settings an administrator controls. One row per organization. */
export const toolSettings = pgTable('tool_settings', {
  orgId: orgId().primaryKey(),
  /** Hosts or CIDR ranges `http_request`/`send_webhook` may reach even though they are private. */
  httpAllowlist: text('http_allowlist').array().notNull().default([]),
  /** The key `send_webhook` signs bodies with, encrypted (SecretBox); null: deliveries go unsigned. */
  webhookSecret: text('webhook_secret'),
  /** An interrupted `send_webhook` call is sent again with the same delivery id instead of asking a person (decision 46). */
  webhookRetryOnCrash: boolean('webhook_retry_on_crash').notNull().default(false),
  updatedAt: updatedAt(),
});

/** In-app notifications for staff (`notify_staff`, budget alerts); userId null = every member. */
export const notifications = pgTable(
  'notifications',
  {
    id: id(),
    orgId: orgId(),
    userId: uuid('user_id'),
    title: text('title').notNull(),
    body: text('body').notNull().default(''),
    /** info | warning | urgent */
    level: text('level').notNull().default('info'),
    data: jsonb('data').$type<Record<string, unknown>>().notNull().default({}),
    runId: uuid('run_id'),
    readAt: ts('read_at'),
    createdAt: createdAt(),
  },
  (t) => [index('notifications_org_created_idx').on(t.orgId, t.createdAt)],
);

export const supportTickets = pgTable(
  'support_tickets',
  {
    id: id(),
    orgId: orgId(),
    subject: text('subject').notNull(),
    description: text('description').notNull().default(''),
    /** low | normal | high | urgent */
    priority: text('priority').notNull().default('normal'),
    status: text('status', { enum: TICKET_STATUSES }).notNull().default('open'),
    requester: jsonb('requester').$type<Record<string, unknown>>().notNull().default({}),
    agentId: uuid('agent_id'),
    runId: uuid('run_id'),
    /** With run_id: the tool call that opened it, so a retried call finds its ticket instead of opening another. */
    toolCallId: text('tool_call_id'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('support_tickets_org_status_idx').on(t.orgId, t.status), uniqueIndex('support_tickets_run_call_idx').on(t.runId, t.toolCallId)],
);

/** Mail from `send_email`: kept here when no SMTP is configured (status kept), else sent and recorded. */
export const outboxEmails = pgTable(
  'outbox_emails',
  {
    id: id(),
    orgId: orgId(),
    to: text('to').array().notNull(),
    subject: text('subject').notNull(),
    text: text('text').notNull().default(''),
    html: text('html'),
    /** Files sent with it (send_report_email's CSV, export_data): text content, at most a few MiB in all. */
    attachments: jsonb('attachments').$type<{ filename: string; contentType: string; content: string }[]>().notNull().default([]),
    /** kept | sent | failed */
    status: text('status').notNull(),
    error: text('error'),
    messageId: text('message_id'),
    runId: uuid('run_id'),
    createdAt: createdAt(),
    sentAt: ts('sent_at'),
  },
  (t) => [index('outbox_emails_org_created_idx').on(t.orgId, t.createdAt)],
);

/** A follow-up an agent scheduled; the background-work issue turns each into a real task. */
export const followUps = pgTable(
  'follow_ups',
  {
    id: id(),
    orgId: orgId(),
    agentId: uuid('agent_id'),
    runId: uuid('run_id'),
    dueAt: ts('due_at').notNull(),
    note: text('note').notNull(),
    contact: jsonb('contact').$type<Record<string, unknown>>().notNull().default({}),
    /** pending | done | canceled */
    status: text('status').notNull().default('pending'),
    createdAt: createdAt(),
  },
  (t) => [index('follow_ups_org_due_idx').on(t.orgId, t.dueAt)],
);
