import { z } from 'zod';

// Framing and routing headers are the client's to set: a model-chosen Host or Content-Length
// could smuggle a second request or reach another virtual host than the one that was checked.
const RESERVED = new Set(['host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'expect', 'proxy-authorization', 'proxy-connection']);
const TOKEN_RE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** Request headers a model may set: at most 50, names as HTTP tokens, values without line breaks. */
export const requestHeadersSchema = z
  .record(z.string().max(100), z.string().max(8192))
  .superRefine((headers, ctx) => {
    const names = Object.keys(headers);
    if (names.length > 50) ctx.addIssue({ code: 'custom', message: 'at most 50 headers' });
    for (const name of names) {
      if (!TOKEN_RE.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'not a valid header name' });
      else if (RESERVED.has(name.toLowerCase())) ctx.addIssue({ code: 'custom', path: [name], message: 'this header is set by Troupe and cannot be given' });
      if (/[\r\n\0]/.test(headers[name]!)) ctx.addIssue({ code: 'custom', path: [name], message: 'header values cannot contain line breaks' });
    }
  });

/** Lowercased names, so later defaults and overrides compare reliably. */
export const lowerKeys = (headers: Record<string, string> = {}) =>
  Object.fromEntries(Object.entries(headers).map(([k, v]) => [k.toLowerCase(), v]));
