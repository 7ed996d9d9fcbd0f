import { z } from 'zod';
import { trustProxySetting } from './trust-proxy.js';
import { normalizeAllowlistEntry } from '../tools/net/allowlist.js';

/** Parses "true/false/1/0/yes/no" the way people write them in .env files. */
const bool = z
  .union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');

const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const url = (protocols: string[]) =>
  z.string().refine(
    (v) => {
      try {
        return protocols.includes(new URL(v).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}` },
  );

/** A comma-separated list of hostnames, addresses and CIDR ranges (the tools' allowlist syntax), normalized. */
const hostList = z
  .string()
  .default('')
  .transform((v) => v.split(',').map((t) => t.trim()).filter(Boolean))
  .superRefine((entries, ctx) => {
    for (const entry of entries) {
      const result = normalizeAllowlistEntry(entry);
      if (!result.ok) ctx.addIssue({ code: 'custom', message: `"${entry}" ${result.message}` });
    }
  })
  .transform((entries) => entries.map((e) => (normalizeAllowlistEntry(e) as { value: string }).value));

/**
 * Every setting Troupe reads, keyed by its environment variable name. The README's configuration
 * table documents each one; keep them in step.
 */
export const configSchema = z.object({
  PORT: int(0, 65535).default(3000),
  HOST: z.string().min(1).default('127.0.0.1'),
  TROUPE_PUBLIC_URL: url(['http:', 'https:']).optional(),
  TROUPE_DATA_DIR: z.string().min(1).default('./.troupe'),
  // Without DATABASE_URL: a PostgreSQL the server starts from the npm platform package, else PGlite (decision 57).
  TROUPE_EMBEDDED_DB: z.enum(['auto', 'postgres', 'pglite']).default('auto'),
  DATABASE_URL: url(['postgres:', 'postgresql:']).optional(),
  DATABASE_POOL_SIZE: int(1, 500).default(10),
  REDIS_URL: url(['redis:', 'rediss:']).optional(),
  TROUPE_SECRET_KEY: z.string().optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TROUPE_CORS_ORIGINS: z.string().default(''),
  TROUPE_WEB_DIR: z.string().min(1).optional(),
  TROUPE_BODY_LIMIT: int(1024, 100 * 1024 * 1024).default(1024 * 1024),
  TROUPE_ALLOW_SIGNUP: bool.default(true),
  TROUPE_ACCESS_TOKEN_TTL: int(60, 86_400).default(900),
  TROUPE_REFRESH_TOKEN_TTL: int(3600, 365 * 86_400).default(30 * 86_400),
  TROUPE_AUTH_RATE_LIMIT: int(1, 100_000).default(20),
  TROUPE_TRUST_PROXY: trustProxySetting,
  TROUPE_LOCKOUT_THRESHOLD: int(1, 1000).default(5),
  TROUPE_LOCKOUT_MINUTES: int(1, 24 * 60).default(15),
  TROUPE_LOCKOUT_ACCOUNT_THRESHOLD: int(1, 100_000).default(50),
  TROUPE_OWNER_EMAIL: z.email().optional(),
  TROUPE_OWNER_PASSWORD: z.string().min(10, 'must be at least 10 characters').optional(),
  TROUPE_OWNER_NAME: z.string().min(1).default('Owner'),
  TROUPE_ORG_NAME: z.string().min(1).default('My organization'),
  SMTP_URL: url(['smtp:', 'smtps:']).optional(),
  SMTP_FROM: z.string().min(3).default('Troupe <troupe@localhost>'),
  TROUPE_MODEL_MAX_RETRIES: int(0, 10).default(3),
  TROUPE_RUN_WAIT_SECONDS: int(1, 600).default(60),
  // Agent runs wait on models, not on the CPU: 200 runs waiting 0.6 s each take ~0.7 s at 200
  // at once, 25 s at 5 (bench/api-loop). A waiting run holds ~0.4 MiB of heap and no connection.
  TROUPE_WORKER_CONCURRENCY: int(1, 1000).default(200),
  TROUPE_QUEUE_ATTEMPTS: int(1, 100).default(3),
  TROUPE_QUEUE_BACKOFF_MS: int(10, 3_600_000).default(1000),
  TROUPE_QUEUE_RATE_PER_MINUTE: int(1, 10_000_000).optional(),
  TROUPE_QUEUE_NAME: z.string().regex(/^[a-zA-Z0-9_-]{1,100}$/, 'letters, digits, _ and - only').default('troupe-runs'),
  TROUPE_JOB_RETENTION_HOURS: int(1, 24 * 365).default(24),
  /** `troupe worker` lowers its CPU priority by this much (nice), yielding to the API and the database on a shared machine; 0 keeps the normal one. */
  TROUPE_WORKER_NICE: int(0, 19).default(10),
  /** Days the event log keeps processed events (and their trigger fires). */
  TROUPE_EVENT_RETENTION_DAYS: int(1, 3650).default(30),
  TROUPE_RECOVER_EVERY_SECONDS: int(1, 3600).default(15),
  TROUPE_MAINTENANCE_SECONDS: int(0, 3600).default(10),
  TROUPE_RUN_LEASE_SECONDS: int(2, 3600).default(30),
  TROUPE_SCHEDULER_LEASE_SECONDS: int(2, 3600).default(10),
  TROUPE_SHUTDOWN_GRACE_SECONDS: int(0, 3600).default(30),
  TROUPE_HTTP_TOOL_TIMEOUT_MS: int(100, 300_000).default(15_000),
  TROUPE_HTTP_TOOL_MAX_BYTES: int(1024, 50 * 1024 * 1024).default(1024 * 1024),
  TROUPE_APPROVAL_TOOLS: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((t) => t.trim()).filter(Boolean)),
  // Private hosts an organization's stored model base URL may point at (the tools' allowlist syntax).
  TROUPE_PRIVATE_MODEL_HOSTS: hostList,
  // Inbound email (docs/email.md): the SMTP listener (off unless a port is set), and the private
  // hosts an organization's IMAP inbox may name (the same syntax).
  TROUPE_SMTP_INBOUND_PORT: int(0, 65535).optional(),
  TROUPE_SMTP_INBOUND_HOST: z.string().min(1).default('0.0.0.0'),
  TROUPE_SMTP_INBOUND_DOMAIN: z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/, 'must be a domain name, e.g. mail.example.com')
    .optional(),
  TROUPE_SMTP_INBOUND_MAX_BYTES: int(1024, 100 * 1024 * 1024).default(10 * 1024 * 1024),
  TROUPE_PRIVATE_MAIL_HOSTS: hostList,
  // Private hosts an organization's database source may connect to (same syntax; docs/db-sources.md).
  TROUPE_PRIVATE_DATABASE_HOSTS: hostList,
  // Metrics (decision 47): a worker's or scheduler's own /health, /ready and /metrics port (off
  // unless set; the API serves them on its own port), and an optional bearer token for /metrics.
  TROUPE_METRICS_PORT: int(0, 65535).optional(),
  TROUPE_METRICS_TOKEN: z.string().min(16, 'must be at least 16 characters').optional(),
  // OpenTelemetry traces (decision 48): exported over OTLP/HTTP when an endpoint is set, off otherwise.
  OTEL_EXPORTER_OTLP_ENDPOINT: url(['http:', 'https:']).optional(),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: url(['http:', 'https:']).optional(),
  OTEL_EXPORTER_OTLP_HEADERS: z.string().optional(),
  OTEL_SERVICE_NAME: z.string().min(1).default('troupe'),
  OTEL_SDK_DISABLED: bool.default(false),
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_BASE_URL: url(['http:', 'https:']).optional(),
  ANTHROPIC_API_KEY: z.string().min(1).optional(),
  ANTHROPIC_BASE_URL: url(['http:', 'https:']).optional(),
  GROQ_API_KEY: z.string().min(1).optional(),
  GROQ_BASE_URL: url(['http:', 'https:']).optional(),
  GOOGLE_GENERATIVE_AI_API_KEY: z.string().min(1).optional(),
  GOOGLE_GENERATIVE_AI_BASE_URL: url(['http:', 'https:']).optional(),
  OLLAMA_BASE_URL: url(['http:', 'https:']).optional(),
  OPENROUTER_API_KEY: z.string().min(1).optional(),
  OPENROUTER_BASE_URL: url(['http:', 'https:']).optional(),
});

export type RawConfig = z.infer<typeof configSchema>;
