import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * Whether an Authorization header carries `Bearer <token>`. Both sides are hashed first, so the
 * comparison takes the same time whatever the length or content of the guess.
 */
export function metricsTokenMatches(authorization: string | undefined, token: string): boolean {
  const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization ?? '');
  const given = createHash('sha256').update(m?.[1] ?? '').digest();
  const wanted = createHash('sha256').update(token).digest();
  return timingSafeEqual(given, wanted) && m !== null;
}

/** The 401 answer's body (problem+json) and headers, the same on the API port and the metrics port. */
export const METRICS_UNAUTHORIZED = {
  code: 'metrics_token_required',
  detail: '/metrics needs the metrics token (TROUPE_METRICS_TOKEN): send Authorization: Bearer <token>',
  headers: { 'www-authenticate': 'Bearer realm="metrics"' },
} as const;
