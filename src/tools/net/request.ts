import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import { ToolError } from '../errors.js';
import type { Allowlist } from './allowlist.js';
import { checkUrl, hostOf, resolveTarget, type PinnedTarget } from './guard.js';
import { lowerKeys } from './headers.js';

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export interface GuardedRequest {
  url: string;
  method: HttpMethod;
  headers?: Record<string, string>;
  body?: string | Buffer;
  allowlist: Allowlist;
  /** For the whole exchange: every redirect, connect and the body. */
  timeoutMs: number;
  /** Body bytes kept; the rest is cut off and `truncated` set. */
  maxBytes: number;
  /** Redirects followed (each target checked again); 0 returns the 3xx response itself. Default 5. */
  maxRedirects?: number;
  signal: AbortSignal;
}

export interface GuardedResponse {
  /** Where the response came from, after redirects. */
  url: string;
  status: number;
  headers: Record<string, string>;
  body: string;
  truncated: boolean;
  redirects: number;
}

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const CREDENTIAL_HEADERS = ['authorization', 'cookie', 'proxy-authorization'];
export const USER_AGENT = 'Troupe-Tools/0.1';

/** Hands the socket the address already checked, whichever way net asks (`all` with happy eyeballs). */
export const pinnedLookup =
  (target: PinnedTarget): LookupFunction =>
  (_hostname, options, callback) => {
    if (options.all) callback(null, [{ address: target.address, family: target.family }]);
    else callback(null, target.address, target.family);
  };

function send(url: URL, target: PinnedTarget, method: string, headers: Record<string, string>, body: string | Buffer | undefined, signal: AbortSignal) {
  return new Promise<IncomingMessage>((resolve, reject) => {
    const client = url.protocol === 'https:' ? https : http;
    const req = client.request(
      {
        hostname: hostOf(url),
        port: url.port || undefined,
        path: `${url.pathname}${url.search}`,
        method,
        headers,
        lookup: pinnedLookup(target),
        // A fresh connection per request: a pooled socket was checked for another URL.
        agent: false,
        signal,
      },
      resolve,
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function readBody(res: IncomingMessage, maxBytes: number) {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of res) {
    const buf = chunk as Buffer;
    if (size + buf.length > maxBytes) {
      chunks.push(buf.subarray(0, maxBytes - size));
      truncated = true;
      break; // leaving the loop destroys the stream: the rest is never downloaded
    }
    chunks.push(buf);
    size += buf.length;
  }
  return { body: Buffer.concat(chunks).toString('utf8'), truncated };
}

const flatHeaders = (res: IncomingMessage) =>
  Object.fromEntries(Object.entries(res.headers).flatMap(([k, v]) => (v === undefined ? [] : [[k, Array.isArray(v) ? v.join(', ') : v]])));

function networkFailure(err: unknown, url: URL): ToolError {
  const code = (err as { code?: string }).code ?? '';
  const reason =
    {
      ECONNREFUSED: 'the connection was refused',
      ECONNRESET: 'the connection was reset',
      EHOSTUNREACH: 'the host is unreachable',
      ENETUNREACH: 'the network is unreachable',
      ETIMEDOUT: 'the connection timed out',
      EPROTO: 'the TLS handshake failed',
    }[code] ??
    (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY/.test(code)
      ? `the server's TLS certificate was not accepted (${code})`
      : code.startsWith('HPE_')
        ? 'the response is not valid HTTP'
        : `the request failed (${code || 'network error'})`);
  return new ToolError(`Request to ${url.host} failed: ${reason}`);
}

/**
 * One outbound HTTP exchange under the SSRF rules: every URL (the first and each redirect) is
 * checked by `resolveTarget` and the socket connects to the checked address. Redirects are
 * followed by hand: 303 (and 301/302 after POST) switch to GET without a body, credentials are
 * dropped when the origin changes. Responses of any status are returned; network failures,
 * refusals and the time limit throw ToolError.
 */
export async function guardedRequest(req: GuardedRequest): Promise<GuardedResponse> {
  const deadline = AbortSignal.timeout(req.timeoutMs);
  const signal = AbortSignal.any([req.signal, deadline]);
  const maxRedirects = req.maxRedirects ?? 5;
  let url = checkUrl(req.url);
  let method: string = req.method;
  let body = req.body;
  // identity: the body is handed to the model as text, so it must not arrive compressed.
  let headers: Record<string, string> = { 'user-agent': USER_AGENT, ...lowerKeys(req.headers), 'accept-encoding': 'identity' };
  try {
    for (let redirects = 0; ; redirects++) {
      signal.throwIfAborted();
      const target = await resolveTarget(url, req.allowlist).catch((err: unknown) => {
        if (redirects > 0 && err instanceof ToolError) throw new ToolError(`Redirected to ${url.host}, which is not allowed: ${err.message}`, err.code);
        throw err;
      });
      const res = await send(url, target, method, headers, body, signal);
      const location = res.headers.location;
      if (maxRedirects > 0 && REDIRECT_STATUSES.has(res.statusCode ?? 0) && location) {
        res.resume();
        if (redirects >= maxRedirects) throw new ToolError(`Stopped after ${maxRedirects} redirects (last to ${location.slice(0, 200)})`);
        const next = checkUrl(location, url);
        if (next.origin !== url.origin) headers = Object.fromEntries(Object.entries(headers).filter(([k]) => !CREDENTIAL_HEADERS.includes(k)));
        if ((res.statusCode === 303 && method !== 'HEAD') || ((res.statusCode === 301 || res.statusCode === 302) && method === 'POST')) {
          method = 'GET';
          body = undefined;
          delete headers['content-type'];
        }
        url = next;
        continue;
      }
      const read = await readBody(res, req.maxBytes);
      return { url: url.toString(), status: res.statusCode ?? 0, headers: flatHeaders(res), ...read, redirects };
    }
  } catch (err) {
    if (req.signal.aborted) throw req.signal.reason;
    if (deadline.aborted) throw new ToolError(`No complete response from ${url.host} within ${req.timeoutMs} ms`, 'timeout');
    if (err instanceof ToolError) throw err;
    throw networkFailure(err, url);
  }
}
