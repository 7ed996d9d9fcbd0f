import { pino, type Logger } from 'pino';

/**
 * Paths pino blanks in every log line. Request bodies are not logged at all; these catch secrets
 * that travel in headers or end up in logged objects.
 */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.apiKey',
  '*.token',
  '*.refreshToken',
  '*.accessToken',
  '*.secret',
];

export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: REDACT_PATHS, censor: '[redacted]' } });
}

export type { Logger };
