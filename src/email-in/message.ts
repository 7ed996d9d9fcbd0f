import { createHash } from 'node:crypto';
import { simpleParser, type AddressObject, type EmailAddress, type ParsedMail } from 'mailparser';
import type { EmailPayload } from './dto.js';

/**
 * One received mail as an event's payload (docs/email.md): the same shape whichever way it came
 * (the SMTP listener, an IMAP poll, a provider's inbound parse). Bounded so a mail cannot make a
 * huge event: text and HTML are cut at MAX_BODY_CHARS each (`truncated` says so), at most
 * MAX_ADDRESSES per list and MAX_ATTACHMENTS attachments are described, and attachment contents
 * are never stored (their name, type, size and SHA-256 are).
 */
export const MAX_BODY_CHARS = 256 * 1024;
export const MAX_ADDRESSES = 100;
export const MAX_ATTACHMENTS = 100;
const MAX_SUBJECT_CHARS = 2000;
const MAX_ID_CHARS = 1000;

export type Via = EmailPayload['via'];
export interface Address {
  address: string;
  name: string;
}
export interface AttachmentMeta {
  filename: string | null;
  contentType: string;
  size: number;
  checksum: string | null;
}

/** What a source knows of a mail, before the limits are applied. */
export interface MailParts {
  from: Address | null;
  to: Address[];
  cc: Address[];
  subject: string | null | undefined;
  text: string | null | undefined;
  html: string | null | undefined;
  messageId: string | null | undefined;
  inReplyTo: string | null | undefined;
  references: string[] | string | null | undefined;
  date: Date | string | null | undefined;
  attachments: AttachmentMeta[];
  /** The source already cut something (the message was over the size limit). */
  truncated?: boolean;
}

// PostgreSQL's jsonb cannot hold U+0000 nor a lone UTF-16 surrogate; a mail may contain either.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
/** Text safe to store: no NUL, no lone surrogate (replaced by U+FFFD). */
export const clean = (s: string) => s.replaceAll('\u0000', '').replace(LONE_SURROGATE, '\uFFFD');

function cut(s: string | null | undefined, max: number): { value: string; cut: boolean } {
  const v = clean(s ?? '');
  if (v.length <= max) return { value: v, cut: false };
  // Not in the middle of a surrogate pair.
  const end = /[\uD800-\uDBFF]/.test(v[max - 1]!) ? max - 1 : max;
  return { value: v.slice(0, end), cut: true };
}

const oneLine = (s: string | null | undefined, max = MAX_ID_CHARS) => (s ? cut(s.trim(), max).value || null : null);
const address = (a: Address): Address => ({ address: clean(a.address).trim().slice(0, 320), name: clean(a.name).trim().slice(0, 500) });

/** The payload of an event for `inboxId`, with the limits applied. */
export function toPayload(inboxId: string, via: Via, parts: MailParts): EmailPayload {
  const text = cut(parts.text, MAX_BODY_CHARS);
  const html = cut(parts.html, MAX_BODY_CHARS);
  const refs = (Array.isArray(parts.references) ? parts.references : (parts.references ?? '').split(/\s+/)).map((r) => oneLine(r)).filter((r): r is string => !!r);
  const date = parts.date ? new Date(parts.date) : null;
  return {
    inboxId,
    via,
    from: parts.from ? address(parts.from) : null,
    to: parts.to.slice(0, MAX_ADDRESSES).map(address),
    cc: parts.cc.slice(0, MAX_ADDRESSES).map(address),
    subject: cut(parts.subject, MAX_SUBJECT_CHARS).value,
    text: text.value,
    html: html.value,
    messageId: oneLine(parts.messageId),
    inReplyTo: oneLine(parts.inReplyTo),
    references: refs.slice(0, MAX_ADDRESSES),
    date: date && !Number.isNaN(date.getTime()) ? date.toISOString() : null,
    attachments: parts.attachments.slice(0, MAX_ATTACHMENTS).map((a) => ({ filename: a.filename === null ? null : clean(a.filename).slice(0, 500), contentType: clean(a.contentType).slice(0, 200), size: a.size, checksum: a.checksum })),
    truncated: !!parts.truncated || text.cut || html.cut || parts.to.length > MAX_ADDRESSES || parts.cc.length > MAX_ADDRESSES || parts.attachments.length > MAX_ATTACHMENTS,
  };
}

/** SHA-256 (hex) of an attachment's bytes: what the payload keeps instead of them. */
export const checksumOf = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** The addresses of a header, groups flattened. */
export function addressesOf(field: AddressObject | AddressObject[] | undefined): Address[] {
  const flat = (list: EmailAddress[]): Address[] => list.flatMap((a) => (a.group ? flat(a.group) : a.address ? [{ address: a.address, name: a.name ?? '' }] : []));
  return (Array.isArray(field) ? field : field ? [field] : []).flatMap((f) => flat(f.value));
}

/** Parses a raw RFC 5322 message (mailparser); attachment contents are measured and hashed, then dropped. */
export async function parseRaw(raw: Buffer | string): Promise<MailParts> {
  const mail: ParsedMail = await simpleParser(raw, { checksumAlgo: 'sha256', skipImageLinks: true, skipTextToHtml: true, skipTextLinks: true } as Parameters<typeof simpleParser>[1]);
  return {
    from: addressesOf(mail.from)[0] ?? null,
    to: addressesOf(mail.to),
    cc: addressesOf(mail.cc),
    subject: mail.subject,
    text: mail.text,
    html: mail.html === false ? '' : mail.html,
    messageId: mail.messageId,
    inReplyTo: mail.inReplyTo,
    references: mail.references,
    date: mail.date,
    attachments: mail.attachments.map((a) => ({ filename: a.filename ?? null, contentType: a.contentType, size: a.size ?? a.content.length, checksum: a.checksum ?? checksumOf(a.content) })),
  };
}

/**
 * The dedupe key of a mail in an inbox: `<prefix>:<inbox>:<Message-ID>`, or the SHA-256 of the
 * raw bytes when it has none (a long Message-ID is hashed too, so keys stay short).
 */
export function dedupeKey(prefix: string, inboxId: string, messageId: string | null, raw: Uint8Array | string): string {
  if (messageId) return `${prefix}:${inboxId}:${messageId.length <= 150 ? messageId : createHash('sha256').update(messageId).digest('hex')}`;
  return `${prefix}:${inboxId}:sha256:${createHash('sha256').update(raw).digest('hex')}`;
}
