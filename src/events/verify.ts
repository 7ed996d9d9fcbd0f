import { createHmac, timingSafeEqual } from 'node:crypto';
import { safeEqual } from '../shared/crypto.js';

/**
 * How an inbound webhook proves it came from the endpoint's sender (issue 16). Pure: the route
 * reads the endpoint, decrypts its secret and hands the raw bytes here before anything is parsed.
 */
import { VERIFICATION_SCHEMES, type VerificationScheme } from './enums.js';

export { VERIFICATION_SCHEMES, type VerificationScheme };

export interface VerifySettings {
  scheme: VerificationScheme;
  /** The endpoint's secret (plain text here; stored encrypted elsewhere). Absent only for 'none'. */
  secret: string | null;
  /**
   * hmac_sha256 and token: the header that carries the signature or token. Default
   * `x-signature` (hmac_sha256), `x-webhook-token` (token). Matched case-insensitively.
   */
  header?: string | null;
  /** Seconds a signed timestamp may be away from `now`, either way (stripe; hmac_sha256 with `x-timestamp`). Default 300. */
  toleranceSeconds?: number;
}

export interface VerifyRequest {
  /** Lower-case header names, as Node gives them (string or string[]). */
  headers: Record<string, string | string[] | undefined>;
  /** The raw body bytes exactly as received (signatures are over these). */
  rawBody: Buffer;
  /** Milliseconds since the epoch (injected for tests). */
  now: number;
}

export type VerifyResult = { ok: true } | { ok: false; reason: string };

export const DEFAULT_TOKEN_HEADER = 'x-webhook-token';
export const DEFAULT_SIGNATURE_HEADER = 'x-signature';
export const TIMESTAMP_HEADER = 'x-timestamp';
export const GITHUB_HEADER = 'x-hub-signature-256';
export const STRIPE_HEADER = 'stripe-signature';
export const DEFAULT_TOLERANCE_SECONDS = 300;

/**
 * Whether the request carries the endpoint's token or a valid signature over its raw body. A
 * failure's `reason` names the header and what is wrong with it, never the secret or the
 * signature that was expected: it is shown to the sender and kept with the rejection.
 */
export function verifyWebhook(settings: VerifySettings, req: VerifyRequest): VerifyResult {
  if (settings.scheme === 'none') return OK;
  // A stored row may carry any string; refuse rather than fall through to "verified".
  if (!VERIFICATION_SCHEMES.includes(settings.scheme)) return fail(`Unknown verification scheme "${settings.scheme}"`);
  const secret = settings.secret;
  if (!secret) return fail(`The endpoint has no secret for verification "${settings.scheme}"`);
  const tolerance = settings.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  switch (settings.scheme) {
    case 'token':
      return verifyToken(tokenHeader(settings), secret, req);
    case 'hmac_sha256':
      return verifyGenericHmac(signatureHeader(settings), secret, tolerance, req);
    case 'github':
      return verifyGithub(secret, req);
    case 'stripe':
      return verifyStripe(secret, tolerance, req);
  }
}

/**
 * The headers a correct sender would add for these settings (the dashboard's "send a test" uses
 * it). hmac_sha256 signs with `x-timestamp` (seconds), the stronger of its two forms. Throws when
 * a scheme other than `none` has no secret: there is nothing to sign with.
 */
export function signWebhook(settings: VerifySettings, rawBody: Buffer, now: number): Record<string, string> {
  if (settings.scheme === 'none') return {};
  const secret = settings.secret;
  if (!secret) throw new Error(`Cannot sign for verification "${settings.scheme}" without a secret`);
  const seconds = String(Math.floor(now / 1000));
  switch (settings.scheme) {
    case 'token': {
      const header = tokenHeader(settings);
      return { [header]: header === 'authorization' ? `Bearer ${secret}` : secret };
    }
    case 'hmac_sha256':
      return {
        [TIMESTAMP_HEADER]: seconds,
        [signatureHeader(settings)]: `sha256=${hmacHex(secret, rawBody, seconds)}`,
      };
    case 'github':
      return { [GITHUB_HEADER]: `sha256=${hmacHex(secret, rawBody)}` };
    case 'stripe':
      return { [STRIPE_HEADER]: `t=${seconds},v1=${hmacHex(secret, rawBody, seconds)}` };
    default:
      throw new Error(`Unknown verification scheme "${String(settings.scheme)}"`);
  }
}

const OK: VerifyResult = { ok: true };
const fail = (reason: string): VerifyResult => ({ ok: false, reason });

const tokenHeader = (s: VerifySettings) => s.header?.trim().toLowerCase() || DEFAULT_TOKEN_HEADER;
const signatureHeader = (s: VerifySettings) => s.header?.trim().toLowerCase() || DEFAULT_SIGNATURE_HEADER;

/** A header's value; the first when it was given several times. Empty counts as absent. */
function header(req: VerifyRequest, name: string): string | undefined {
  const value = req.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  return first ? first : undefined;
}

function verifyToken(name: string, secret: string, req: VerifyRequest): VerifyResult {
  // With the header configured as `authorization` itself, its value is read as a bearer token.
  const direct = name === 'authorization' ? undefined : header(req, name);
  if (direct !== undefined) {
    return safeEqual(direct, secret) ? OK : fail(`The ${name} header does not match the endpoint's token`);
  }
  const authorization = header(req, 'authorization');
  if (authorization === undefined) return fail(`The ${name} header is missing (or send Authorization: Bearer <token>)`);
  const bearer = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization)?.[1];
  if (bearer === undefined) return fail('The authorization header is not "Bearer <token>"');
  return safeEqual(bearer, secret) ? OK : fail("The authorization header's bearer token does not match the endpoint's token");
}

function verifyGenericHmac(name: string, secret: string, toleranceSeconds: number, req: VerifyRequest): VerifyResult {
  const given = header(req, name);
  if (given === undefined) return fail(`The ${name} header is missing`);
  const hex = given.startsWith('sha256=') ? given.slice('sha256='.length) : given;
  if (!isSha256Hex(hex)) return fail(`The ${name} header is not a hex HMAC-SHA256 (optionally prefixed sha256=)`);
  const timestamp = header(req, TIMESTAMP_HEADER);
  if (timestamp !== undefined && !/^\d{1,16}$/.test(timestamp)) {
    return fail(`The ${TIMESTAMP_HEADER} header is not a number of seconds or milliseconds since the epoch`);
  }
  if (!hexMatches(hex, hmacHex(secret, req.rawBody, timestamp))) {
    return fail(`The ${name} header does not match the body${timestamp === undefined ? '' : ` and ${TIMESTAMP_HEADER}`}`);
  }
  if (timestamp !== undefined) {
    // Seconds now are ten digits and milliseconds thirteen; 1e11 s is the year 5138, 1e11 ms is 1973.
    const n = Number(timestamp);
    const ms = n >= 1e11 ? n : n * 1000;
    if (Math.abs(req.now - ms) > toleranceSeconds * 1000) {
      return fail(`The ${TIMESTAMP_HEADER} header is outside the replay window (${toleranceSeconds} s)`);
    }
  }
  return OK;
}

/** GitHub: https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries */
function verifyGithub(secret: string, req: VerifyRequest): VerifyResult {
  const given = header(req, GITHUB_HEADER);
  if (given === undefined) return fail(`The ${GITHUB_HEADER} header is missing`);
  const hex = given.startsWith('sha256=') ? given.slice('sha256='.length) : undefined;
  if (hex === undefined || !isSha256Hex(hex)) return fail(`The ${GITHUB_HEADER} header is not "sha256=<hex>"`);
  return hexMatches(hex, hmacHex(secret, req.rawBody)) ? OK : fail(`The ${GITHUB_HEADER} header does not match the body`);
}

/**
 * Stripe: https://docs.stripe.com/webhooks#verify-manually. Several v1 values appear while a
 * secret is being rolled; v0 (test mode's legacy scheme) is ignored. Unlike Stripe's libraries,
 * a timestamp too far in the future fails too: the window is the same both ways.
 */
function verifyStripe(secret: string, toleranceSeconds: number, req: VerifyRequest): VerifyResult {
  const given = header(req, STRIPE_HEADER);
  if (given === undefined) return fail(`The ${STRIPE_HEADER} header is missing`);
  let t: string | undefined;
  const v1: string[] = [];
  for (const item of given.split(',')) {
    const eq = item.indexOf('=');
    if (eq < 0) continue;
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (key === 't') t ??= value;
    else if (key === 'v1') v1.push(value);
  }
  if (t === undefined) return fail(`The ${STRIPE_HEADER} header has no timestamp (t=)`);
  if (!/^\d{1,12}$/.test(t)) return fail(`The ${STRIPE_HEADER} header's timestamp (t=) is not a number of seconds`);
  if (v1.length === 0) return fail(`The ${STRIPE_HEADER} header has no v1 signature`);
  const expected = hmacHex(secret, req.rawBody, t);
  // Every candidate is compared, so the time taken does not tell which one matched.
  let matched = false;
  for (const candidate of v1) if (isSha256Hex(candidate) && hexMatches(candidate, expected)) matched = true;
  if (!matched) return fail(`No v1 signature in the ${STRIPE_HEADER} header matches the body`);
  if (Math.abs(req.now / 1000 - Number(t)) > toleranceSeconds) {
    return fail(`The ${STRIPE_HEADER} header's timestamp is outside the replay window (${toleranceSeconds} s)`);
  }
  return OK;
}

/** Hex HMAC-SHA256 of the raw body, or of `${timestamp}.${body}` (bytes, so a non-UTF-8 body is signed as sent). */
function hmacHex(secret: string, body: Buffer, timestamp?: string): string {
  const mac = createHmac('sha256', secret);
  if (timestamp !== undefined) mac.update(`${timestamp}.`);
  return mac.update(body).digest('hex');
}

const isSha256Hex = (s: string) => /^[0-9a-fA-F]{64}$/.test(s);

/** Both are 64 hex digits (checked before), so the digests compare in constant time. */
function hexMatches(givenHex: string, expectedHex: string): boolean {
  return timingSafeEqual(Buffer.from(givenHex, 'hex'), Buffer.from(expectedHex, 'hex'));
}
