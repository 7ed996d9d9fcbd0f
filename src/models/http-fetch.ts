import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import type { Allowlist } from '../tools/net/allowlist.js';
import { checkUrl, resolveTarget, type PinnedTarget } from '../tools/net/guard.js';
import { pinnedLookup } from '../tools/net/request.js';

/**
 * The `fetch` the model clients use: node:http(s) with keep-alive, instead of Node's global
 * fetch (undici's WHATWG fetch with web streams, AbortSignal plumbing and transferable objects
 * per request). Measured against the local provider stub, 50 calls at once through the real
 * OpenAI client: 1.0 ms of CPU per call instead of 1.4-1.8 (bench/queue: "model client").
 *
 * It speaks what the AI SDK's providers send: a URL (string, URL or Request), a method, headers
 * and a string or byte body. Anything else (form data, a stream body) and redirects go to the
 * global fetch, unchanged. Errors look like fetch's: a network failure rejects with
 * `TypeError('fetch failed', { cause })` (the SDK and models/errors.ts classify it as retryable),
 * an abort with the signal's reason. JSON answers are read whole; an event stream
 * (`text/event-stream`) is handed over as it arrives.
 */
export const httpFetch: typeof fetch = (input, init) => exchange(input, init ?? {}, null);

/**
 * The same fetch for a base URL an organization stored (not the operator's): every request goes
 * through the tools' egress guard (tools/net/guard.ts) first. The host is resolved and refused
 * when any of its addresses is private, loopback, link-local or reserved, unless
 * TROUPE_PRIVATE_MODEL_HOSTS (`allowlist`) covers it, and the socket connects to the address
 * that was checked, so a DNS answer that changes after the check (rebinding) cannot redirect it.
 * Redirects are not followed (the 3xx is the answer), nothing is handed to the global fetch, and
 * a plain answer larger than MAX_GUARDED_BYTES fails. A refusal rejects like a network failure.
 */
export function guardedHttpFetch(allowlist: Allowlist): typeof fetch {
  return (input, init) => exchange(input, init ?? {}, allowlist);
}

/** A model's answer is text: far below this. Bounds what a tenant's endpoint can make the server hold. */
export const MAX_GUARDED_BYTES = 32 * 1024 * 1024;

async function exchange(input: Parameters<typeof fetch>[0], init: RequestInit, guard: Allowlist | null): Promise<Response> {
  const body = init.body;
  const plain = !(input instanceof Request) && (body == null || typeof body === 'string' || body instanceof Uint8Array);
  if (!plain) return guard ? refuse('a request form the guard cannot check') : fetch(input, init);
  const url = typeof input === 'string' ? new URL(input) : (input as URL);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return guard ? refuse(`a ${url.protocol} URL`) : fetch(input, init);
  const signal = init.signal ?? undefined;
  if (signal?.aborted) throw abortError(signal);
  const target = guard ? await pin(url, guard) : null;
  if (signal?.aborted) throw abortError(signal);

  const headers: Record<string, string> = {};
  new Headers(init.headers).forEach((value, name) => (headers[name] = value));
  const method = init.method ?? 'GET';
  let res = await send(url, method, headers, body, signal, target);
  // A kept-alive socket the server closed just as it was reused fails before the request reached
  // the server (Node's documented case for a retry); such a request goes again on a new socket.
  for (let attempt = 1; res === STALE_SOCKET; attempt++) res = await send(url, method, headers, body, signal, target, attempt >= 3);

  const status = res.statusCode ?? 0;
  // Guarded: the 3xx itself is the answer (the client reports it as an error); following it
  // would leave the checked address.
  if (!guard && REDIRECT.has(status) && res.headers.location) {
    res.resume();
    return fetch(input, init);
  }
  const responseHeaders = new Headers();
  for (let i = 0; i < res.rawHeaders.length; i += 2) responseHeaders.append(res.rawHeaders[i]!, res.rawHeaders[i + 1]!);
  const stream = decoded(res);
  if (status === 204 || status === 304 || method === 'HEAD') {
    stream.resume();
    return new Response(null, { status, statusText: res.statusMessage, headers: responseHeaders });
  }
  // Decoded here: the body's size and encoding no longer match, as with fetch.
  responseHeaders.delete('content-encoding');
  responseHeaders.delete('content-length');
  if (/^text\/event-stream/i.test(responseHeaders.get('content-type') ?? '')) {
    const onAbort = () => stream.destroy(new DOMException('This operation was aborted', 'AbortError'));
    signal?.addEventListener('abort', onAbort, { once: true });
    stream.once('close', () => signal?.removeEventListener('abort', onAbort));
    return new Response(Readable.toWeb(stream) as ReadableStream<Uint8Array>, { status, statusText: res.statusMessage, headers: responseHeaders });
  }
  const bytes = await readAll(stream, signal, guard ? MAX_GUARDED_BYTES : Infinity);
  // A Buffer is a Uint8Array; the DOM typing (web/ type-checks this file too) wants it over an ArrayBuffer.
  return new Response(bytes as Uint8Array<ArrayBuffer>, { status, statusText: res.statusMessage, headers: responseHeaders });
}

/** The checked address to connect to; a refusal rejects as fetch's network failure does. */
async function pin(url: URL, allowlist: Allowlist): Promise<PinnedTarget> {
  try {
    return await resolveTarget(checkUrl(url), allowlist);
  } catch (err) {
    throw new TypeError('fetch failed', { cause: err });
  }
}

function refuse(what: string): never {
  throw new TypeError('fetch failed', { cause: new Error(`Refused ${what} to an organization's model endpoint`) });
}

const STALE_SOCKET = Symbol('stale socket');

function send(
  url: URL,
  method: string,
  headers: Record<string, string>,
  body: string | Uint8Array | null | undefined,
  signal: AbortSignal | undefined,
  target: PinnedTarget | null,
  last = false,
): Promise<http.IncomingMessage | typeof STALE_SOCKET> {
  return new Promise((resolve, reject) => {
    const secure = url.protocol === 'https:';
    const options: http.RequestOptions = target
      ? { method, headers, agent: secure ? guardedHttpsAgent : guardedHttpAgent, lookup: pinnedLookup(target) }
      : { method, headers, agent: secure ? httpsAgent : httpAgent };
    const req = (secure ? https : http).request(url, options);
    const onAbort = () => {
      reject(abortError(signal!));
      req.destroy();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    req.once('response', (r) => {
      signal?.removeEventListener('abort', onAbort);
      resolve(r);
    });
    req.once('error', (err: NodeJS.ErrnoException) => {
      signal?.removeEventListener('abort', onAbort);
      if (signal?.aborted) reject(abortError(signal));
      else if (!last && req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE')) resolve(STALE_SOCKET);
      else reject(new TypeError('fetch failed', { cause: err }));
    });
    req.end(body ?? undefined);
  });
}

const REDIRECT = new Set([301, 302, 303, 307, 308]);

// Idle sockets are kept for the next call (and unref'd by the agent, so they hold no process open).
const httpAgent = new http.Agent({ keepAlive: true });
const httpsAgent = new https.Agent({ keepAlive: true });
// Guarded requests keep their own pools: every socket in them was connected to an address the
// guard checked for that host name (the allowlist is the operator's, the same for every request),
// so reusing one is as safe as the check; a socket of the operator's pools never serves a tenant URL.
const guardedHttpAgent = new http.Agent({ keepAlive: true });
const guardedHttpsAgent = new https.Agent({ keepAlive: true });

function abortError(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException('This operation was aborted', 'AbortError');
}

/** The body with any content encoding undone (fetch does the same). */
function decoded(res: http.IncomingMessage): Readable {
  const encoding = String(res.headers['content-encoding'] ?? '').trim().toLowerCase();
  const decoder =
    encoding === 'gzip' || encoding === 'x-gzip'
      ? zlib.createGunzip()
      : encoding === 'deflate'
        ? zlib.createInflate()
        : encoding === 'br'
          ? zlib.createBrotliDecompress()
          : null;
  if (!decoder) return res;
  res.on('error', (err) => decoder.destroy(err));
  // A body that cannot be decoded (or is cut off for its size) frees its socket too.
  decoder.once('error', () => res.destroy());
  return res.pipe(decoder);
}

function readAll(stream: Readable, signal: AbortSignal | undefined, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onAbort = () => {
      reject(abortError(signal!));
      stream.destroy();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = () => signal?.removeEventListener('abort', onAbort);
    stream.on('data', (c: Buffer) => {
      size += c.length;
      if (size > maxBytes) stream.destroy(new Error(`The answer is larger than ${maxBytes} bytes`));
      else chunks.push(c);
    });
    stream.once('end', () => {
      done();
      resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks));
    });
    stream.once('error', (err) => {
      done();
      reject(signal?.aborted ? abortError(signal) : new TypeError('fetch failed', { cause: err }));
    });
  });
}
