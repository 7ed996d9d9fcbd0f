/**
 * The email sources' fixed vocabularies (docs/email.md), with no dependency: the server's schemas
 * and the dashboard's forms share them.
 */

/** How mail reaches an inbox: Troupe's own SMTP listener, an IMAP mailbox it polls, or a provider's inbound-parse webhook. */
export const INBOX_KINDS = ['smtp', 'imap', 'parse'] as const;
export type InboxKind = (typeof INBOX_KINDS)[number];

/** The inbound-parse formats understood at `POST /hooks/email/{inboxId}`. */
export const PARSE_PROVIDERS = ['sendgrid', 'mailgun', 'postmark'] as const;
export type ParseProvider = (typeof PARSE_PROVIDERS)[number];

/** The event type an inbox gives its mail unless it names another. */
export const DEFAULT_EMAIL_EVENT_TYPE = 'email.received';

/** IMAP polling interval bounds, in seconds. */
export const MIN_POLL_SECONDS = 15;
export const DEFAULT_POLL_SECONDS = 60;
