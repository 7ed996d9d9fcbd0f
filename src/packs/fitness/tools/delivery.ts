import { eq } from 'drizzle-orm';
import type { Tx } from '../../../db/client.js';
import { organizations } from '../../../db/tenancy.js';
import type { SecretBox } from '../../../shared/crypto.js';
import { AppError } from '../../../shared/errors.js';
import { safeSmtpMessage, sendMail } from '../../../shared/mail.js';
import type { ToolContext } from '../../../tools/define.js';
import { ToolError } from '../../../tools/errors.js';
import { Outbox, type EmailAttachment } from '../../../tools/outbox.js';
import { fitnessCommunications, type ContactRow } from '../crm/schema.js';
import { daysBetween, fullName } from './common.js';
import type { MessageChannel, MessagePurpose } from './enums.js';
import { fitnessSmsOutbox } from './schema.js';
import { dialable, SmsSettings, sendTwilio } from './sms.js';
import { render, textToHtml } from './templates.js';

/*
 * How a message reaches a contact, whichever tool sends it: consent first, then the channel's
 * delivery (SMTP or the mail outbox; the SMS provider or the SMS outbox), then one row in the
 * communications log (channel, outbound, status sent/queued/failed, the run). A message kept in an
 * outbox because nothing is configured is `queued`: a person can read and send it.
 */

/** Why a contact cannot get a message; each is said to the model in words. */
export const EXCLUSION_REASONS = ['opted_out', 'no_marketing_consent', 'no_email_consent', 'no_email', 'no_sms_consent', 'no_phone'] as const;
export type ExclusionReason = (typeof EXCLUSION_REASONS)[number];

const REASON_TEXT: Record<ExclusionReason, string> = {
  opted_out: 'opted out of all messages',
  no_marketing_consent: 'has not agreed to marketing messages (marketingConsent is false)',
  no_email_consent: 'has not agreed to email (emailConsent is false)',
  no_email: 'has no email address',
  no_sms_consent: 'has not agreed to SMS (smsConsent is false)',
  no_phone: 'has no phone number',
};

export type Reach = { ok: true; channel: 'email' | 'sms'; address: string } | { ok: false; reasons: ExclusionReason[] };

type Reachable = Pick<ContactRow, 'email' | 'phone' | 'emailConsent' | 'smsConsent' | 'marketingConsent' | 'optedOut'>;

function reachOn(c: Reachable, channel: 'email' | 'sms'): Reach {
  if (channel === 'email') {
    if (!c.emailConsent) return { ok: false, reasons: ['no_email_consent'] };
    if (!c.email) return { ok: false, reasons: ['no_email'] };
    return { ok: true, channel, address: c.email };
  }
  if (!c.smsConsent) return { ok: false, reasons: ['no_sms_consent'] };
  if (!c.phone || c.phone.replace(/\D/g, '').length < 4) return { ok: false, reasons: ['no_phone'] };
  return { ok: true, channel, address: dialable(c.phone) };
}

/**
 * Whether and how a contact can get a message: never when opted out; marketing needs marketing
 * consent; email needs email consent and an address, SMS SMS consent and a phone. `auto` takes
 * email when it can, else SMS.
 */
export function reach(c: Reachable, channel: MessageChannel, purpose: MessagePurpose): Reach {
  if (c.optedOut) return { ok: false, reasons: ['opted_out'] };
  if (purpose === 'marketing' && !c.marketingConsent) return { ok: false, reasons: ['no_marketing_consent'] };
  if (channel !== 'auto') return reachOn(c, channel);
  const email = reachOn(c, 'email');
  if (email.ok) return email;
  const sms = reachOn(c, 'sms');
  return sms.ok ? sms : { ok: false, reasons: [...(email.ok ? [] : email.reasons), ...sms.reasons] };
}

/** "Jane Doe has not agreed to SMS (smsConsent is false); no message was sent." */
export const refusal = (c: ContactRow, reasons: ExclusionReason[], channel: MessageChannel) =>
  `${fullName(c)} ${reasons.map((r) => REASON_TEXT[r]).join(' and ')}${channel === 'auto' ? ' (tried email, then SMS)' : ''}; no message was sent`;

/** The organization's name: {{gym_name}}. */
export async function gymName(tx: Tx, orgId: string): Promise<string> {
  const [org] = await tx.select({ name: organizations.name }).from(organizations).where(eq(organizations.id, orgId));
  return org?.name ?? 'our gym';
}

/** {{time_away}}: "in 23 days", "in a while" (never visited), "since yesterday". */
function timeAway(lastVisit: Date | null, now: Date): string {
  if (!lastVisit) return 'in a while';
  const days = daysBetween(lastVisit, now);
  if (days <= 1) return 'since yesterday';
  return `in ${days} days`;
}

/** The built-in template values for one contact, then the call's own. */
export function contactVariables(c: ContactRow, gym: string, extra: Record<string, string> = {}, now = new Date()): Record<string, string> {
  return {
    ...extra,
    first_name: c.firstName,
    last_name: c.lastName,
    full_name: fullName(c),
    gym_name: gym,
    time_away: timeAway(c.lastVisitAt, now),
    last_visit_date: c.lastVisitAt ? c.lastVisitAt.toISOString().slice(0, 10) : 'never',
  };
}

export interface Delivery {
  status: 'sent' | 'queued' | 'failed';
  /** The provider's id (SMTP message id, SMS sid), when sent. */
  messageId: string | null;
  /** The outbox row (mail outbox or SMS outbox). */
  outboxId: string | null;
  error: string | null;
}

/**
 * Sends a mail through SMTP_URL, or keeps it in the mail outbox (GET /outbox) without one. Every
 * mail is recorded. A failure is returned (status failed), not thrown: the caller logs it.
 */
export async function deliverEmail(
  ctx: ToolContext,
  mail: { to: string[]; subject: string; text: string; html?: string | null; attachments?: EmailAttachment[] },
): Promise<Delivery> {
  const outbox = new Outbox(ctx.database);
  const base = { ...mail, html: mail.html ?? null, runId: ctx.runId };
  const smtpUrl = ctx.config.SMTP_URL;
  if (!smtpUrl) {
    const row = await outbox.record(ctx.orgId, { ...base, status: 'kept' });
    return { status: 'queued', messageId: null, outboxId: row.id, error: null };
  }
  try {
    const { messageId } = await sendMail(
      { SMTP_URL: smtpUrl, SMTP_FROM: ctx.config.SMTP_FROM },
      { to: mail.to, subject: mail.subject, text: mail.text, ...(mail.html ? { html: mail.html } : {}), attachments: mail.attachments },
    );
    const row = await outbox.record(ctx.orgId, { ...base, status: 'sent', messageId, sentAt: new Date() }).catch((err: unknown) => {
      // Sent already: a failed record must not make the model send it again.
      ctx.logger.error({ err, runId: ctx.runId }, 'fitness tools: a mail was sent but its outbox row could not be written');
      return null;
    });
    return { status: 'sent', messageId, outboxId: row?.id ?? null, error: null };
  } catch (err) {
    const error = `The mail server did not take the message: ${safeSmtpMessage(err, smtpUrl)}`;
    const row = await outbox.record(ctx.orgId, { ...base, status: 'failed', error });
    return { status: 'failed', messageId: null, outboxId: row.id, error };
  }
}

type SmsDelivery = Omit<Delivery, 'outboxId'> & { from: string | null };

/** Sends an SMS through the organization's provider, or keeps it (queued) without one; the SMS outbox row is written with the log. */
async function deliverSms(ctx: ToolContext, secrets: SecretBox | undefined, to: string, body: string): Promise<SmsDelivery> {
  const provider = await new SmsSettings(ctx.database, secrets).provider(ctx.orgId).catch((err: unknown) => {
    throw err instanceof AppError ? new ToolError(err.message) : err;
  });
  if (!provider) return { status: 'queued', from: null, messageId: null, error: null };
  try {
    const sent = await sendTwilio(ctx, provider, to, body);
    return { status: 'sent', from: provider.fromNumber, messageId: sent.messageId, error: null };
  } catch (err) {
    // A refusal, the egress guard, the network or the time limit: recorded as failed. The run's own abort goes up.
    if (!(err instanceof ToolError)) throw err;
    return { status: 'failed', from: provider.fromNumber, messageId: null, error: err.message };
  }
}

export interface ContactMessage {
  contact: ContactRow;
  channel: MessageChannel;
  purpose: MessagePurpose;
  /** Templates: filled with the contact's variables and `variables`. */
  subject?: string | null;
  body: string;
  variables?: Record<string, string>;
  gym: string;
}

export interface Sent extends Delivery {
  channel: 'email' | 'sms';
  communicationId: string;
  subject: string | null;
  body: string;
}

/**
 * One message to one contact: consent (refused: ToolError `refused` naming why), the templates
 * filled, delivered, and logged in the communications log (with the SMS outbox row for an SMS).
 * A delivery failure is logged (status failed) and returned, not thrown.
 */
export async function messageContact(ctx: ToolContext, secrets: SecretBox | undefined, m: ContactMessage): Promise<Sent> {
  const way = reach(m.contact, m.channel, m.purpose);
  if (!way.ok) throw new ToolError(refusal(m.contact, way.reasons, m.channel), 'refused');
  const values = contactVariables(m.contact, m.gym, m.variables);
  const body = render(m.body, values, { field: 'body' });
  if (way.channel === 'sms' && body.length > 1600) throw new ToolError(`The SMS is ${body.length} characters once filled in; at most 1600`, 'invalid_arguments', [{ path: 'input.body', message: 'too long for an SMS' }]);
  const subject = way.channel === 'email' ? render(m.subject?.trim() || `A message from ${m.gym}`, values, { field: 'subject' }).replace(/[\r\n]+/g, ' ') : null;
  const email = way.channel === 'email' ? await deliverEmail(ctx, { to: [way.address], subject: subject!, text: body, html: textToHtml(body) }) : null;
  const sms = way.channel === 'sms' ? await deliverSms(ctx, secrets, way.address, body) : null;
  const delivery = (email ?? sms)!;
  const ids = await ctx.database.withOrg(ctx.orgId, async (tx) => {
    const [comm] = await tx
      .insert(fitnessCommunications)
      .values({ orgId: ctx.orgId, contactId: m.contact.id, channel: way.channel, direction: 'outbound', subject, body, status: delivery.status, runId: ctx.runId })
      .returning({ id: fitnessCommunications.id });
    if (!sms) return { communicationId: comm!.id, outboxId: email!.outboxId };
    const [row] = await tx
      .insert(fitnessSmsOutbox)
      .values({
        orgId: ctx.orgId,
        contactId: m.contact.id,
        communicationId: comm!.id,
        to: way.address,
        from: sms.from,
        body,
        status: sms.status === 'queued' ? 'kept' : sms.status,
        providerMessageId: sms.messageId,
        error: sms.error,
        runId: ctx.runId,
        sentAt: sms.status === 'sent' ? new Date() : null,
      })
      .returning({ id: fitnessSmsOutbox.id });
    return { communicationId: comm!.id, outboxId: row!.id };
  });
  return { channel: way.channel, subject, body, status: delivery.status, messageId: delivery.messageId, error: delivery.error, ...ids };
}
