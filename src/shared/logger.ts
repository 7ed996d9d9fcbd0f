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

const SECRET = new Set(SECRET_KEYS);
/** Header names blanked under a `headers` object (authorization is a secret key anywhere). */
const SECRET_HEADERS = new Set(['cookie', 'x-api-key', 'set-cookie']);
const CENSOR = '[redacted]';

const isPlain = (v: unknown): v is Record<string, unknown> => {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
};

/**
 * `obj` with the values of secret keys blanked, at the top and one or two levels down (what
 * REDACT_PATHS says), copying only the objects on the way to a secret: most log lines have none
 * and are returned as they are. Only plain objects are looked into: class instances (a request,
 * an error) reach their serializers untouched, which log no secrets.
 */
export function redactSecrets(obj: Record<string, unknown>, depth = 0, parentKey = ''): Record<string, unknown> {
  let out: Record<string, unknown> | null = null;
  for (const key in obj) {
    if (!Object.prototype.hasOwnProperty.call(obj, key)) continue;
    const value = obj[key];
    let next = value;
    if (SECRET.has(key) || (parentKey === 'headers' && SECRET_HEADERS.has(key))) next = value === undefined ? value : CENSOR;
    else if (depth < 2 && isPlain(value)) next = redactSecrets(value, depth + 1, key);
    if (next !== value) (out ??= { ...obj })[key] = next;
  }
  return out ?? obj;
}

/**
 * The process's logger: JSON lines to stdout (or `destination`), secrets blanked, errors without
 * the values of a failed query (serializeError).
 *
 * Secrets are blanked by redactSecrets (a formatter), not by pino's `redact` option over
 * REDACT_PATHS: with its wildcard paths @pinojs/redact walked every value of every line and every
 * child logger's bindings (a child per request and per tool call), 10-20 µs each; the formatter
 * looks at each key once (decision 54).
 */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options = {
    level,
    formatters: { log: (o: Record<string, unknown>) => redactSecrets(o) },
    serializers: { err: serializeError },
  };
  const logger = destination ? pino(options, destination) : pino(options);
  // A child's bindings too (pino's bindings formatter does not reach children). Children are made
  // from their parent's prototype, so they all inherit this.
  const child = logger.child;
  logger.child = function (this: Logger, bindings, childOptions) {
    return child.call(this, redactSecrets(bindings), childOptions);
  } as Logger['child'];
  return logger;
}

export type { Logger };
