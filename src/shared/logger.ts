import { pino, type Logger } from 'pino';

/**
 * Paths pino blanks in every log line. Request bodies are not logged at all; these catch secrets
 * that travel in headers or end up in logged objects.
 */
const SECRET_KEYS = ['password', 'currentPassword', 'newPassword', 'apiKey', 'key', 'token', 'refreshToken', 'accessToken', 'secret', 'authorization'];

// pino's `*` matches exactly one level, so each name is listed at the top and two levels down.
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  ...SECRET_KEYS.flatMap((k) => [k, `*.${k}`, `*.*.${k}`]),
];

export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } });
}

export type { Logger };
