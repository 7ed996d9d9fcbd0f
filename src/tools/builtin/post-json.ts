import type { ToolContext } from '../define.js';
import { ToolError } from '../errors.js';
import type { Allowlist } from '../net/allowlist.js';
import { guardedRequest } from '../net/request.js';

/** Response text kept for the model from a webhook: enough for an error message, no more. */
const RESPONSE_BYTES = 16 * 1024;

/**
 * POSTs a JSON body under the SSRF rules, without following redirects (a webhook that moved
 * should be reconfigured, not chased). A non-2xx answer is a tool error naming the status.
 */
export async function postJson(ctx: ToolContext, url: string, body: string, headers: Record<string, string>, allowlist: Allowlist) {
  const res = await guardedRequest({
    url,
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    allowlist,
    timeoutMs: ctx.config.TROUPE_HTTP_TOOL_TIMEOUT_MS,
    maxBytes: Math.min(RESPONSE_BYTES, ctx.config.TROUPE_HTTP_TOOL_MAX_BYTES),
    maxRedirects: 0,
    signal: ctx.signal,
  });
  if (res.status < 200 || res.status >= 300) {
    throw new ToolError(`The receiver answered HTTP ${res.status}${res.body ? `: ${res.body.slice(0, 300)}` : ''}`);
  }
  return { status: res.status, response: res.body.slice(0, 2000) };
}
