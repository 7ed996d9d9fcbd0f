import { pino, type DestinationStream, type Logger } from 'pino';
import { serializeError } from './log-errors.js';

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

/**
 * The process's logger: JSON lines to stdout (or `destination`), secrets blanked, errors without
 * the values of a failed query (serializeError).
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    serializers: { err: serializeError },
  };
  return destination ? pino(options, destination) : pino(options);
}

export type { Logger };
