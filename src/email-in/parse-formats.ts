import { createHmac, timingSafeEqual } from 'node:crypto';
import addressparser from 'nodemailer/lib/addressparser/index.js';
import { AppError } from '../shared/errors.js';
import type { ParseProvider } from './enums.js';
import { checksumOf, parseRaw, type Address, type AttachmentMeta, type MailParts } from './message.js';

/**
 * The inbound-parse formats of the common mail providers (issue 16; docs/email.md): what SendGrid,
 * Mailgun and Postmark post for a received mail, read into the one shape every email event has.
 * File parts are counted, measured and hashed here, and never kept.
 */

/** A body the provider's format does not allow: 415 (another content type) or 400 (not what it says). */
export const unsupported = (provider: ParseProvider, type: string, want: string) =>
  new AppError(415, 'unsupported_media_type', `Content-type ${type || '(none)'} is not accepted: ${provider} posts ${want}`);
const malformed = (message: string) => new AppError(400, 'invalid_body', message);

/** A request body as the route hands it over. */
export interface RawPost {
  contentType: string;
  body: Buffer;
}

/** Form fields and files, whichever encoding the provider used. */
interface Fields {
  get(name: string): string | undefined;
  files: { field: string; name: string | null; type: string; bytes: Uint8Array }[];
}

const mediaType = (contentType: string) => contentType.split(';')[0]!.trim().toLowerCase();

async function readForm(post: RawPost): Promise<Fields> {
  const type = mediaType(post.contentType);
  if (type === 'application/x-www-form-urlencoded') {
    const params = new URLSearchParams(post.body.toString('utf8'));
    return { get: (n) => params.get(n) ?? undefined, files: [] };
  }
  let form: FormData;
  try {
    // Node's own multipart reader (undici), files included.
    form = await new Response(new Uint8Array(post.body), { headers: { 'content-type': post.contentType } }).formData();
  } catch {
    throw malformed('The multipart/form-data body could not be read (a missing or wrong boundary?)');
  }
  const text = new Map<string, string>();
  const files: Fields['files'] = [];
  for (const [field, value] of form.entries()) {
    if (typeof value === 'string') {
      if (!text.has(field)) text.set(field, value);
    } else files.push({ field, name: value.name || null, type: value.type || 'application/octet-stream', bytes: new Uint8Array(await value.arrayBuffer()) });
  }
  return { get: (n) => text.get(n), files };
}

const addresses = (value: string | undefined): Address[] => (value ? addressparser(value, { flatten: true }).filter((a) => a.address).map((a) => ({ address: a.address, name: a.name ?? '' })) : []);
const fileMeta = (f: Fields['files'][number], name?: string | null, type?: string | null): AttachmentMeta => ({ filename: name ?? f.name, contentType: type || f.type, size: f.bytes.length, checksum: checksumOf(f.bytes) });

function jsonField<T>(value: string | undefined, what: string): T | undefined {
  if (!value) return undefined;
  try {
    return JSON.parse(value) as T;
  } catch {
    throw malformed(`The ${what} field is not valid JSON`);
  }
}

/** Headers from a raw header block (SendGrid's `headers` field), through the same MIME parser as SMTP. */
const fromHeaderBlock = (block: string | undefined) => (block ? parseRaw(`${block.replace(/\r?\n/g, '\r\n').trimEnd()}\r\n\r\n`) : null);

/**
 * SendGrid Inbound Parse: multipart/form-data. In raw mode (`email`: the whole MIME message) the
 * message is parsed as the SMTP listener would; otherwise its fields (`from`, `to`, `cc`,
 * `subject`, `text`, `html`, `headers`) and files (described by `attachment-info`).
 */
export async function readSendgrid(post: RawPost): Promise<MailParts> {
  if (mediaType(post.contentType) !== 'multipart/form-data') throw unsupported('sendgrid', mediaType(post.contentType), 'multipart/form-data');
  const f = await readForm(post);
  const raw = f.get('email');
  if (raw) return parseRaw(raw);
  if (f.get('from') === undefined && f.get('headers') === undefined) throw malformed('Not a SendGrid Inbound Parse post: no from, headers or email field');
  const headers = await fromHeaderBlock(f.get('headers'));
  const info = jsonField<Record<string, { filename?: string; name?: string; type?: string }>>(f.get('attachment-info'), 'attachment-info') ?? {};
  const from = addresses(f.get('from'))[0] ?? headers?.from ?? null;
  return {
    from,
    to: f.get('to') !== undefined ? addresses(f.get('to')) : (headers?.to ?? []),
    cc: f.get('cc') !== undefined ? addresses(f.get('cc')) : (headers?.cc ?? []),
    subject: f.get('subject') ?? headers?.subject,
    text: f.get('text'),
    html: f.get('html'),
    messageId: headers?.messageId,
    inReplyTo: headers?.inReplyTo,
    references: headers?.references,
    date: headers?.date,
    attachments: f.files.map((file) => {
      const meta = info[file.field];
      return fileMeta(file, meta?.filename ?? meta?.name ?? file.name, meta?.type);
    }),
  };
}

/** Mailgun's signature: HMAC-SHA256 of `timestamp + token` with the signing key, within 5 minutes. */
export function verifyMailgun(signingKey: string, timestamp: string | undefined, token: string | undefined, signature: string | undefined, now = Date.now()): string | null {
  if (!timestamp || !token || !signature) return 'The post has no timestamp, token and signature, and this inbox checks them';
  const at = Number(timestamp) * 1000;
  if (!Number.isFinite(at) || Math.abs(now - at) > 300_000) return 'The signature timestamp is more than 5 minutes from now';
  const want = createHmac('sha256', signingKey).update(timestamp + token).digest('hex');
  const got = Buffer.from(signature.toLowerCase());
  return got.length === want.length && timingSafeEqual(got, Buffer.from(want)) ? null : 'The Mailgun signature does not match the signing key';
}

/**
 * Mailgun routes (forward): multipart/form-data or urlencoded, with `sender`, `recipient`,
 * `from`, `subject`, `body-plain`, `body-html`, the MIME headers as fields (`Message-Id`, `To`,
 * `Cc`, `Date`, …, also in `message-headers`) and files `attachment-1` …. With a signing key the
 * signature is checked first (401).
 */
export async function readMailgun(post: RawPost, signingKey: string | null): Promise<MailParts> {
  const type = mediaType(post.contentType);
  if (type !== 'multipart/form-data' && type !== 'application/x-www-form-urlencoded') throw unsupported('mailgun', type, 'multipart/form-data or application/x-www-form-urlencoded');
  const f = await readForm(post);
  if (signingKey) {
    const problem = verifyMailgun(signingKey, f.get('timestamp'), f.get('token'), f.get('signature'));
    if (problem) throw new AppError(401, 'signature_invalid', problem);
  }
  if (f.get('sender') === undefined && f.get('from') === undefined) throw malformed('Not a Mailgun route post: no sender or from field');
  const listed = jsonField<[string, string][]>(f.get('message-headers'), 'message-headers') ?? [];
  const header = (name: string) => {
    const direct = f.get(name) ?? f.get(name.toLowerCase());
    if (direct !== undefined) return direct;
    const hit = Array.isArray(listed) ? listed.find((h) => Array.isArray(h) && String(h[0]).toLowerCase() === name.toLowerCase()) : undefined;
    return hit ? String(hit[1]) : undefined;
  };
  return {
    from: addresses(f.get('from') ?? header('From'))[0] ?? addresses(f.get('sender'))[0] ?? null,
    to: addresses(header('To') ?? f.get('recipient')),
    cc: addresses(header('Cc')),
    subject: f.get('subject') ?? header('Subject'),
    text: f.get('body-plain'),
    html: f.get('body-html'),
    messageId: header('Message-Id'),
    inReplyTo: header('In-Reply-To'),
    references: header('References'),
    date: header('Date'),
    attachments: f.files.filter((file) => /^attachment-\d+$/.test(file.field)).map((file) => fileMeta(file)),
  };
}

interface PostmarkAddress {
  Email?: string;
  Name?: string;
}
interface PostmarkMessage {
  From?: string;
  FromName?: string;
  FromFull?: PostmarkAddress;
  To?: string;
  ToFull?: PostmarkAddress[];
  Cc?: string;
  CcFull?: PostmarkAddress[];
  Subject?: string;
  MessageID?: string;
  Date?: string;
  TextBody?: string;
  HtmlBody?: string;
  Headers?: { Name?: string; Value?: string }[];
  Attachments?: { Name?: string; Content?: string; ContentType?: string; ContentLength?: number }[];
}

const postmarkList = (full: PostmarkAddress[] | undefined, plain: string | undefined): Address[] =>
  Array.isArray(full) ? full.filter((a) => a && typeof a.Email === 'string' && a.Email).map((a) => ({ address: a.Email!, name: typeof a.Name === 'string' ? a.Name : '' })) : addresses(plain);

/**
 * Postmark inbound webhook: JSON with `FromFull`, `ToFull`, `CcFull`, `Subject`, `TextBody`,
 * `HtmlBody`, `Headers` and `Attachments` (base64 `Content`, measured and hashed). The mail's own
 * Message-ID comes from its headers; Postmark's `MessageID` (its own id) stands in without one.
 */
export function readPostmark(post: RawPost): MailParts {
  const type = mediaType(post.contentType);
  if (type !== 'application/json') throw unsupported('postmark', type, 'application/json');
  let m: PostmarkMessage;
  try {
    m = JSON.parse(post.body.toString('utf8')) as PostmarkMessage;
  } catch {
    throw malformed('The body is not valid JSON');
  }
  if (!m || typeof m !== 'object' || Array.isArray(m) || (m.FromFull === undefined && m.From === undefined)) throw malformed('Not a Postmark inbound message: no From or FromFull');
  const headers = Array.isArray(m.Headers) ? m.Headers : [];
  const header = (name: string) => headers.find((h) => h && typeof h.Name === 'string' && h.Name.toLowerCase() === name.toLowerCase())?.Value;
  const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
  const from = m.FromFull && typeof m.FromFull.Email === 'string' ? { address: m.FromFull.Email, name: str(m.FromFull.Name) ?? str(m.FromName) ?? '' } : (addresses(str(m.From))[0] ?? null);
  return {
    from,
    to: postmarkList(m.ToFull, str(m.To)),
    cc: postmarkList(m.CcFull, str(m.Cc)),
    subject: str(m.Subject),
    text: str(m.TextBody),
    html: str(m.HtmlBody),
    messageId: header('Message-ID') ?? str(m.MessageID),
    inReplyTo: header('In-Reply-To'),
    references: header('References'),
    date: str(m.Date) ?? header('Date'),
    attachments: (Array.isArray(m.Attachments) ? m.Attachments : []).map((a) => {
      const bytes = typeof a?.Content === 'string' ? Buffer.from(a.Content, 'base64') : null;
      return { filename: str(a?.Name) ?? null, contentType: str(a?.ContentType) ?? 'application/octet-stream', size: typeof a?.ContentLength === 'number' ? a.ContentLength : (bytes?.length ?? 0), checksum: bytes ? checksumOf(bytes) : null };
    }),
  };
}

/** The provider's format, read. */
export function readParsePost(provider: ParseProvider, post: RawPost, signingKey: string | null): Promise<MailParts> {
  if (provider === 'sendgrid') return readSendgrid(post);
  if (provider === 'mailgun') return readMailgun(post, signingKey);
  return Promise.resolve(readPostmark(post));
}
