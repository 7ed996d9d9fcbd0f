import { sql } from 'drizzle-orm';
import { bigint, boolean, check, index, integer, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, orgId, ts, updatedAt } from '../db/columns.js';
import { DEFAULT_EMAIL_EVENT_TYPE, DEFAULT_POLL_SECONDS } from './enums.js';

/**
 * An organization's inbound mailbox (issue 16; docs/email.md): mail to it becomes events of
 * `event_type` with source `email`. Three kinds share the table:
 * - `smtp`: Troupe's own listener accepts mail for `<local_part>@<TROUPE_SMTP_INBOUND_DOMAIN>`;
 * - `imap`: a mailbox elsewhere, polled with the stored (encrypted) credentials; `last_uid` is
 *   the cursor, reset when the server's UIDVALIDITY changes; pollers take due inboxes under a
 *   lease (`lease_until`, `lease_owner`) as the event processor takes events;
 * - `parse`: a mail provider's inbound-parse webhook posts to `/hooks/email/{id}` with a token
 *   (only its SHA-256 is kept).
 */
export const emailInboxes = pgTable(
  'email_inboxes',
  {
    id: id(),
    orgId: orgId(),
    name: text('name').notNull(),
    kind: text('kind').notNull(),
    enabled: boolean('enabled').notNull().default(true),
    eventType: text('event_type').notNull().default(DEFAULT_EMAIL_EVENT_TYPE),
    /** smtp: `in-<12 base32 characters>`, unique across the install (the listener finds the inbox by it). */
    localPart: text('local_part'),
    // ---- imap ----
    host: text('host'),
    port: integer('port'),
    /** true: TLS from the start (993); false: STARTTLS when the server offers it (143). */
    secure: boolean('secure'),
    username: text('username'),
    /** SecretBox, bound to the organization and the inbox; never returned. */
    passwordEnc: text('password_enc'),
    mailbox: text('mailbox').notNull().default('INBOX'),
    /** The mailbox's UIDVALIDITY when last_uid was read; a change starts the cursor again. */
    uidValidity: bigint('uid_validity', { mode: 'number' }),
    lastUid: bigint('last_uid', { mode: 'number' }).notNull().default(0),
    pollSeconds: integer('poll_seconds').notNull().default(DEFAULT_POLL_SECONDS),
    lastPolledAt: ts('last_polled_at'),
    lastError: text('last_error'),
    leaseUntil: ts('lease_until'),
    leaseOwner: text('lease_owner'),
    // ---- parse ----
    provider: text('provider'),
    /** SHA-256 (hex) of the token senders put in the URL. */
    tokenHash: text('token_hash'),
    /** Mailgun's webhook signing key (SecretBox): when set, every post's signature is checked. */
    signingKeyEnc: text('signing_key_enc'),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('email_inboxes_local_part').on(t.localPart).where(sql`local_part is not null`),
    index('email_inboxes_org_idx').on(t.orgId, t.createdAt),
    // What pollers look for: enabled IMAP inboxes, least recently polled first.
    index('email_inboxes_imap_due_idx').on(t.lastPolledAt).where(sql`kind = 'imap' and enabled`),
    check('email_inboxes_kind', sql`${t.kind} in ('smtp', 'imap', 'parse')`),
  ],
);
