import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import type { Config } from './config/load.js';
import { resolveSecretKey } from './config/secret-key.js';
import { openPglite, openPostgres, type Database } from './db/client.js';
import { AgentService } from './agents/service.js';
import { AuditService } from './audit/service.js';
import { BillingService } from './billing/service.js';
import { AuthService } from './auth/service.js';
import { OrgService } from './auth/org-service.js';
import { AccessTokens } from './auth/tokens.js';
import { ModelService } from './models/service.js';
import { ConversationService } from './conversations/service.js';
import { RunBus } from './runs/bus.js';
import { InProcessDispatcher, type Dispatcher } from './runs/dispatcher.js';
import { RunExecutor } from './runs/engine/executor.js';
import { RunService } from './runs/service.js';
import { ToolService } from './tools/service.js';
import { SecretBox } from './shared/crypto.js';
import { createLogger, type Logger } from './shared/logger.js';

/** Everything a process holds: settings, the database, the logger and the services. */
export interface AppContext {
  config: Config;
  database: Database;
  logger: Logger;
  secrets: SecretBox;
  tokens: AccessTokens;
  /** Present when REDIS_URL is set. */
  redis: Redis | null;
  services: {
    auth: AuthService;
    orgs: OrgService;
    agents: AgentService;
    models: ModelService;
    audit: AuditService;
    billing: BillingService;
    tools: ToolService;
    conversations: ConversationService;
    runs: RunService;
    runBus: RunBus;
    executor: RunExecutor;
    dispatcher: Dispatcher & { start(): void; recover(): Promise<number> };
  };
  close(): Promise<void>;
}

export interface ContextOptions {
  /** Use this database instead of opening one from the config (tests). */
  database?: Database;
  logger?: Logger;
}

/** Opens the database (applying migrations) and wires the services. */
export async function createContext(config: Config, options: ContextOptions = {}): Promise<AppContext> {
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const { key, generated } = resolveSecretKey(config);
  if (generated) logger.info({ dataDir: config.dataDir }, 'generated a new secret key in the data folder (secret.key); back it up');
  const database =
    options.database ??
    (config.DATABASE_URL
      ? await openPostgres(config.DATABASE_URL, config.DATABASE_POOL_SIZE)
      : await openPglite(config.dataDir));
  if (database.migrated.length) logger.info({ migrations: database.migrated }, 'applied database migrations');
  const secrets = new SecretBox(key);
  const tokens = new AccessTokens(key, config.TROUPE_ACCESS_TOKEN_TTL);
  const models = new ModelService(database, secrets, config);
  await models.syncCatalog();
  const orgs = new OrgService(database, config, logger);
  const auth = new AuthService(database, tokens, config, orgs);
  const tools = new ToolService(database, config, logger);
  const agents = new AgentService(database, tools);
  const audit = new AuditService(database);
  auth.setAudit(audit);
  const billing = new BillingService(database, models, audit);
  orgs.onBillingSettingsChanged = (orgId) => billing.forgetMarkup(orgId);
  const conversations = new ConversationService(database);
  const runBus = new RunBus();
  const workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  const executor = new RunExecutor({ database, config, logger, bus: runBus, agents, models, tools, billing, audit, conversations }, workerId);
  const dispatcher = new InProcessDispatcher(executor, database, logger);
  const runs = new RunService(database, agents, tools, audit, runBus, dispatcher);
  const redis = config.REDIS_URL
    ? new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false })
    : null;
  if (redis) {
    redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
    redis.connect().catch(() => {});
  }
  return {
    config,
    database,
    logger,
    secrets,
    tokens,
    redis,
    services: { auth, orgs, agents, models, audit, billing, tools, conversations, runs, runBus, executor, dispatcher },
    async close() {
      await dispatcher.close();
      redis?.disconnect();
      await database.close();
    },
  };
}
