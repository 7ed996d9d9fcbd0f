import { z } from 'zod';
import { problemResponses } from '../http/problem-schema.js';
import { ROLES } from '../shared/roles.js';
import { pageQuery } from '../shared/page-schema.js';
import {
  EMAIL_STATUSES,
  FOLLOW_UP_SORTS,
  FOLLOW_UP_STATUSES,
  NOTIFICATION_LEVELS,
  TICKET_PRIORITIES,
  TICKET_STATUSES,
  TOOL_CATEGORIES,
} from './enums.js';

/** The tools API's wire shapes. Dates leave as ISO strings. */
export const errors = problemResponses;
/** Plain strings, so a malformed id answers 404 like an unknown one (uuidOr404 in the handler). */
export const idParams = z.object({ id: z.string().max(100) });

const isoDate = z.date().transform((d) => d.toISOString()).pipe(z.string());
const isoDateOrNull = z.date().nullable().transform((d) => d?.toISOString() ?? null).pipe(z.string().nullable());
const jsonObject = z.record(z.string(), z.unknown());

export const toolInfoSchema = z
  .object({
    name: z.string(),
    category: z.enum(TOOL_CATEGORIES),
    description: z.string(),
    inputSchema: jsonObject.describe('JSON Schema (draft-07) of the arguments'),
    outputSchema: jsonObject.nullable().describe('JSON Schema of the result, when the tool declares one'),
    grantRoles: z.array(z.enum(ROLES)).describe('Roles that may add this tool to an agent'),
    requiresApproval: z.boolean().describe('A person approves each call before it runs'),
    idempotent: z.boolean().describe('Retried automatically after an interruption'),
    timeoutMs: z.number().int(),
  })
  .meta({ id: 'Tool' });

export const toolSettingsSchema = z
  .object({
    httpAllowlist: z.array(z.string()),
    webhookSecretSet: z.boolean().describe('send_webhook signs its deliveries (x-troupe-signature); the secret is never shown'),
    webhookRetryOnCrash: z
      .boolean()
      .describe('A send_webhook call interrupted by a worker crash is sent again with the same x-troupe-delivery id instead of asking a person (for receivers that drop repeated ids)'),
    updatedAt: isoDateOrNull,
  })
  .meta({ id: 'ToolSettings' });

/** PUT /tool-settings/webhook-secret: the key send_webhook signs with (write-only). */
export const webhookSecretBody = z.object({
  secret: z.string().min(16, 'Use at least 16 characters').max(256).describe('Shared with the receivers, which check x-troupe-signature: sha256=<hex HMAC-SHA256 of the body>'),
});

export const notificationSchema = z
  .object({
    id: z.uuid(),
    userId: z.uuid().nullable().describe('null: for everyone in the organization'),
    title: z.string(),
    body: z.string(),
    level: z.enum(NOTIFICATION_LEVELS),
    data: jsonObject,
    runId: z.uuid().nullable(),
    readAt: isoDateOrNull.describe('Shared by everyone for a notification addressed to everyone'),
    createdAt: isoDate,
  })
  .meta({ id: 'Notification' });

export const listNotificationsQuery = pageQuery.extend({
  unread: z.stringbool().optional().describe('true: only unread ones'),
  level: z.enum(NOTIFICATION_LEVELS).optional(),
});

export const ticketSchema = z
  .object({
    id: z.uuid(),
    subject: z.string(),
    description: z.string(),
    priority: z.enum(TICKET_PRIORITIES),
    status: z.enum(TICKET_STATUSES),
    requester: jsonObject,
    agentId: z.uuid().nullable(),
    runId: z.uuid().nullable(),
    createdAt: isoDate,
    updatedAt: isoDate,
  })
  .meta({ id: 'SupportTicket' });

export const listTicketsQuery = pageQuery.extend({ status: z.enum(TICKET_STATUSES).optional(), priority: z.enum(TICKET_PRIORITIES).optional() });
export const updateTicketBody = z.object({ status: z.enum(TICKET_STATUSES).optional(), priority: z.enum(TICKET_PRIORITIES).optional() });

export const outboxEmailSchema = z
  .object({
    id: z.uuid(),
    to: z.array(z.string()),
    subject: z.string(),
    text: z.string(),
    html: z.string().nullable(),
    attachments: z
      .array(z.object({ index: z.number().int(), filename: z.string(), contentType: z.string(), bytes: z.number().int() }))
      .describe('Files sent with it; GET /outbox/{id}/attachments/{index} downloads one'),
    status: z.enum(EMAIL_STATUSES).describe('kept: no SMTP configured, the mail waits here; sent; failed'),
    error: z.string().nullable(),
    messageId: z.string().nullable(),
    runId: z.uuid().nullable(),
    createdAt: isoDate,
    sentAt: isoDateOrNull,
  })
  .meta({ id: 'OutboxEmail' });

export const listOutboxQuery = pageQuery.extend({ status: z.enum(EMAIL_STATUSES).optional() });

export const followUpSchema = z
  .object({
    id: z.uuid(),
    agentId: z.uuid().nullable(),
    runId: z.uuid().nullable(),
    dueAt: isoDate,
    note: z.string(),
    contact: jsonObject,
    status: z.enum(FOLLOW_UP_STATUSES),
    createdAt: isoDate,
  })
  .meta({ id: 'FollowUp' });

/** Soonest first by default (sortBy dueAt, sortOrder asc), unlike the newest-first lists. */
export const listFollowUpsQuery = pageQuery.extend({
  status: z.enum(FOLLOW_UP_STATUSES).optional(),
  sortBy: z.enum(FOLLOW_UP_SORTS).default('dueAt'),
  sortOrder: z.enum(['asc', 'desc']).default('asc'),
});
