import { z } from 'zod';
import { EVENT_TYPE_HINT, EVENT_TYPE_RE } from '../shared/event-type.js';
import { DEFAULT_EMAIL_EVENT_TYPE, DEFAULT_POLL_SECONDS, INBOX_KINDS, MIN_POLL_SECONDS, PARSE_PROVIDERS } from './enums.js';

/** The wire shapes of email inboxes (docs/email.md). Browser-pure: the dashboard's forms use them. */

const iso = z.date().transform((d) => d.toISOString());
const isoOrNull = z
  .date()
  .nullable()
  .transform((d) => d?.toISOString() ?? null);

const eventType = z.string().trim().min(1).max(200).regex(EVENT_TYPE_RE, EVENT_TYPE_HINT);
/** A host name or an IP address, nothing else (no scheme, port or path). */
const host = z
  .string()
  .trim()
  .toLowerCase()
  .min(1)
  .max(253)
  .regex(/^(\[?[0-9a-f:.]+\]?|[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*\.?)$/, 'a host name or an IP address (no scheme, port or path)');
const pollSeconds = z.number().int().min(MIN_POLL_SECONDS).max(86_400);
const mailbox = z.string().trim().min(1).max(500);

const common = {
  name: z.string().trim().min(1).max(200),
  eventType: eventType.default(DEFAULT_EMAIL_EVENT_TYPE).describe('The type of the events its mail makes'),
  enabled: z.boolean().default(true),
};

export const createSmtpInboxBody = z.strictObject({ kind: z.literal('smtp'), ...common }).meta({ id: 'CreateSmtpInbox', description: "An address at Troupe's own SMTP listener" });
export const createImapInboxBody = z
  .strictObject({
    kind: z.literal('imap'),
    ...common,
    host: host.describe('The IMAP server'),
    port: z.number().int().min(1).max(65_535).default(993),
    secure: z.boolean().default(true).describe('TLS from the start (993); false: STARTTLS when offered (143)'),
    username: z.string().min(1).max(500),
    password: z.string().min(1).max(2000).describe('Stored encrypted; never returned'),
    mailbox: mailbox.default('INBOX'),
    pollSeconds: pollSeconds.default(DEFAULT_POLL_SECONDS).describe(`How often it is polled (at least ${MIN_POLL_SECONDS} s)`),
  })
  .meta({ id: 'CreateImapInbox', description: 'A mailbox elsewhere, polled over IMAP' });
export const createParseInboxBody = z
  .strictObject({
    kind: z.literal('parse'),
    ...common,
    provider: z.enum(PARSE_PROVIDERS).describe('Whose inbound-parse format it receives'),
    signingKey: z.string().min(8).max(500).nullable().optional().describe("Mailgun's webhook signing key: every post's signature is then checked"),
  })
  .meta({ id: 'CreateParseInbox', description: "A mail provider's inbound-parse webhook" });

export const createInboxBody = z.discriminatedUnion('kind', [createSmtpInboxBody, createImapInboxBody, createParseInboxBody]).meta({ id: 'CreateEmailInbox' });
export type CreateInboxInput = z.output<typeof createInboxBody>;

export const updateInboxBody = z
  .strictObject({
    name: common.name.optional(),
    eventType: eventType.optional(),
    enabled: z.boolean().optional(),
    host: host.optional(),
    port: z.number().int().min(1).max(65_535).optional(),
    secure: z.boolean().optional(),
    username: z.string().min(1).max(500).optional(),
    password: z.string().min(1).max(2000).optional().describe('A new password (write-only)'),
    mailbox: mailbox.optional(),
    pollSeconds: pollSeconds.optional(),
    signingKey: z.string().min(8).max(500).nullable().optional().describe('Mailgun: a new signing key, or null to stop checking'),
  })
  .meta({ id: 'UpdateEmailInbox', description: 'Fields of another kind are refused by name' });
export type UpdateInboxInput = z.output<typeof updateInboxBody>;

export const inboxSchema = z
  .object({
    id: z.uuid(),
    orgId: z.uuid(),
    name: z.string(),
    kind: z.enum(INBOX_KINDS),
    enabled: z.boolean(),
    eventType: z.string(),
    address: z.string().nullable().describe('smtp: the address to send or forward mail to'),
    host: z.string().nullable(),
    port: z.number().int().nullable(),
    secure: z.boolean().nullable(),
    username: z.string().nullable(),
    hasPassword: z.boolean(),
    mailbox: z.string(),
    pollSeconds: z.number().int(),
    uidValidity: z.number().int().nullable(),
    lastUid: z.number().int().describe('imap: the highest UID turned into an event'),
    lastPolledAt: isoOrNull,
    lastError: z.string().nullable().describe('imap: why the last poll failed; null after a good one'),
    provider: z.enum(PARSE_PROVIDERS).nullable(),
    hookUrl: z.string().nullable().describe('parse: where the provider posts (add ?token=… shown once at creation)'),
    hasSigningKey: z.boolean(),
    createdAt: iso,
    updatedAt: iso,
  })
  .meta({ id: 'EmailInbox' });
export type InboxView = z.input<typeof inboxSchema>;

export const inboxWithTokenSchema = inboxSchema
  .extend({
    token: z.string().nullable().describe('parse: the token, shown only now'),
    tokenUrl: z.string().nullable().describe('parse: the full URL with its token, to paste into the provider; shown only now'),
  })
  .meta({ id: 'EmailInboxWithToken' });

export const connectionTestSchema = z
  .object({
    ok: z.boolean(),
    error: z.string().nullable(),
    messages: z.number().int().nullable().describe('How many messages the mailbox holds'),
    uidValidity: z.number().int().nullable(),
  })
  .meta({ id: 'EmailConnectionTest' });

export const emailDeliverySchema = z
  .object({
    eventId: z.uuid(),
    receivedAt: z.string(),
    from: z.string().nullable(),
    subject: z.string().nullable(),
    attachments: z.number().int(),
    truncated: z.boolean(),
  })
  .meta({ id: 'EmailDelivery' });

const addressSchema = z.object({ address: z.string(), name: z.string() });
/** What an `email.received` event carries (its payload). */
export const emailPayloadSchema = z
  .object({
    inboxId: z.uuid(),
    via: z.enum(['smtp', 'imap', 'sendgrid', 'mailgun', 'postmark']),
    from: addressSchema.nullable(),
    to: z.array(addressSchema),
    cc: z.array(addressSchema),
    subject: z.string(),
    text: z.string(),
    html: z.string(),
    messageId: z.string().nullable(),
    inReplyTo: z.string().nullable(),
    references: z.array(z.string()),
    date: z.string().nullable(),
    attachments: z.array(z.object({ filename: z.string().nullable(), contentType: z.string(), size: z.number().int(), checksum: z.string().nullable() })),
    truncated: z.boolean().describe('Text or HTML was cut to the size limit, or the message was larger than the limit'),
  })
  .meta({ id: 'EmailPayload' });
export type EmailPayload = z.output<typeof emailPayloadSchema>;
