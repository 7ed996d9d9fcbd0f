/**
 * Inbound webhook bodies (issue 16): the route keeps the raw bytes for verification
 * (verify.ts) and parses them here afterwards, so a signature is always checked over what was sent.
 */
export interface ParsedBody {
  value: unknown;
  kind: 'json' | 'form' | 'text' | 'empty';
}

export type BodyErrorCode = 'invalid_json' | 'invalid_multipart' | 'files_not_accepted' | 'unsupported_media_type';

/** A body the endpoint cannot take; `code` is stable (the route answers 400, or 415 for unsupported_media_type). */
export class BodyError extends Error {
  override name = 'BodyError';
  constructor(
    readonly code: BodyErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Parses an inbound webhook body by its content type:
 * - application/json and any `+json`: JSON.parse (invalid JSON → BodyError `invalid_json`).
 * - application/x-www-form-urlencoded: an object of fields; a field given several times becomes
 *   an array; `a[b]` style keys are kept as plain keys.
 * - multipart/form-data: its text fields, as above; a file part → BodyError `files_not_accepted`.
 * - text/*: the text, decoded by its charset (default UTF-8).
 * - anything else: BodyError `unsupported_media_type`.
 * An empty body is `{ value: null, kind: 'empty' }` whatever the type, or with none: a bare
 * `curl -X POST` is a valid "something happened" with nothing to parse.
 */
export function parseWebhookBody(contentType: string | undefined, rawBody: Buffer): ParsedBody {
  if (rawBody.length === 0) return { value: null, kind: 'empty' };
  if (!contentType?.trim()) throw new BodyError('unsupported_media_type', 'The request has a body but no content-type');
  const { type, params } = parseMediaType(contentType);
  if (type === 'application/json' || type.endsWith('+json')) return { value: parseJson(type, rawBody), kind: 'json' };
  if (type === 'application/x-www-form-urlencoded') {
    return { value: collectFields(new URLSearchParams(decode(rawBody, params.charset))), kind: 'form' };
  }
  if (type === 'multipart/form-data') return { value: collectFields(parseMultipart(rawBody, params.boundary)), kind: 'form' };
  if (type.startsWith('text/')) return { value: decode(rawBody, params.charset), kind: 'text' };
  throw new BodyError(
    'unsupported_media_type',
    `Content-type ${type || contentType.trim()} is not accepted: send JSON, a form (urlencoded or multipart) or text`,
  );
}

/** `type/subtype; name=value; name="quoted \"value\""` → lower-case type and parameter names. */
function parseMediaType(header: string): { type: string; params: Record<string, string> } {
  const semi = header.indexOf(';');
  const type = (semi < 0 ? header : header.slice(0, semi)).trim().toLowerCase();
  return { type, params: semi < 0 ? {} : parseParams(header.slice(semi)) };
}

/** Parameters after a header's first value (Content-Type, Content-Disposition); quoted values may hold `;`. */
function parseParams(rest: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const m of rest.matchAll(/;\s*([^\s=;]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]*))/g)) {
    const name = m[1]!.toLowerCase();
    const value = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : m[3]!.trim();
    // The first occurrence wins, as in the HTTP parsers this sits behind.
    if (!Object.hasOwn(params, name)) params[name] = value;
  }
  return params;
}

function parseJson(type: string, body: Buffer): unknown {
  try {
    // TextDecoder drops a leading BOM, which JSON.parse would refuse.
    return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(body));
  } catch {
    // JSON.parse's message quotes the body; the sender has it already and logs should not.
    throw new BodyError('invalid_json', `The body is not valid JSON (content-type ${type})`);
  }
}

function decode(body: Buffer, charset: string | undefined): string {
  try {
    // Not fatal: a stray invalid byte in text becomes U+FFFD; only an unknown label throws.
    return new TextDecoder(charset || 'utf-8').decode(body);
  } catch {
    throw new BodyError('unsupported_media_type', `Charset ${charset} is not supported`);
  }
}

/**
 * Fields as an object; a repeated name becomes an array in order. Built with Object.fromEntries
 * so a field named `__proto__` is an ordinary key rather than the object's prototype.
 */
function collectFields(fields: Iterable<[string, string]>): Record<string, string | string[]> {
  const byName = new Map<string, string | string[]>();
  for (const [name, value] of fields) {
    const seen = byName.get(name);
    byName.set(name, seen === undefined ? value : Array.isArray(seen) ? [...seen, value] : [seen, value]);
  }
  return Object.fromEntries(byName);
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');

/**
 * The text fields of a multipart/form-data body (RFC 7578, delimiters per RFC 2046): each part
 * starts after `--boundary` CRLF and ends before CRLF `--boundary`; the last delimiter is
 * followed by `--`. Busboy would do this, but webhooks need text fields only and the body is
 * already in memory and size-limited, so a dependency is not worth it.
 */
function parseMultipart(body: Buffer, boundary: string | undefined): [string, string][] {
  if (!boundary) throw new BodyError('invalid_multipart', 'The multipart/form-data content-type has no boundary');
  const delimiter = Buffer.from(`--${boundary}`);
  const next = Buffer.from(`\r\n--${boundary}`);
  // The first delimiter opens the body or follows a preamble's CRLF.
  let at = body.subarray(0, delimiter.length).equals(delimiter) ? 0 : body.indexOf(next);
  if (at < 0) throw new BodyError('invalid_multipart', 'The multipart body does not contain its boundary');
  if (at > 0) at += CRLF.length;
  const fields: [string, string][] = [];
  for (;;) {
    let pos = at + delimiter.length;
    if (body[pos] === 0x2d && body[pos + 1] === 0x2d) return fields; // `--`: the close delimiter
    while (body[pos] === 0x20 || body[pos] === 0x09) pos++; // transport padding
    if (!body.subarray(pos, pos + 2).equals(CRLF)) {
      throw new BodyError('invalid_multipart', 'A multipart boundary line is not followed by CRLF');
    }
    const start = pos + CRLF.length;
    const end = body.indexOf(next, start);
    if (end < 0) throw new BodyError('invalid_multipart', 'The multipart body ends before its closing boundary');
    const field = parsePart(body.subarray(start, end));
    if (field) fields.push(field);
    at = end + CRLF.length;
  }
}

/** A part's name and text; undefined for a form's file input left empty (sent as `filename=""`, no content). */
function parsePart(part: Buffer): [string, string] | undefined {
  // No headers at all: the part opens with the blank line.
  const split = part.subarray(0, 2).equals(CRLF) ? 0 : part.indexOf(HEADER_END);
  if (split < 0) throw new BodyError('invalid_multipart', 'A multipart part has no blank line after its headers');
  const headers = new Map<string, string>();
  for (const line of part.subarray(0, split).toString('utf8').split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon > 0) headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const disposition = headers.get('content-disposition');
  if (!disposition) throw new BodyError('invalid_multipart', 'A multipart part has no Content-Disposition');
  const { type, params } = parseMediaType(disposition);
  if (type !== 'form-data' || params.name === undefined) {
    throw new BodyError('invalid_multipart', 'A multipart part is not "form-data" with a name');
  }
  const value = part.subarray(split === 0 ? CRLF.length : split + HEADER_END.length);
  if (params.filename === '' && value.length === 0) return undefined;
  if (params.filename !== undefined || params['filename*'] !== undefined) {
    throw new BodyError('files_not_accepted', `Field ${params.name} is a file; webhooks accept text fields only`);
  }
  // Browsers and fetch (WHATWG HTML) escape `"`, CR and LF in a name as %22, %0D, %0A; Node's own
  // Request.formData() reads them back the same way, and leaves every other `%` alone.
  const name = params.name.replace(/%(22|0D|0A)/gi, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  return [name, decode(value, parseMediaType(headers.get('content-type') ?? '').params.charset)];
}
