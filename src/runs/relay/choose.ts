import type { Config } from '../../config/load.js';
import type { Logger } from '../../shared/logger.js';
import type { RunRelay } from './port.js';
import { PgRelay } from './postgres.js';
import { RedisRelay } from './redis.js';

/**
 * The relay an install's processes share (decision 38): Redis pub/sub with REDIS_URL, else
 * PostgreSQL LISTEN/NOTIFY with DATABASE_URL, else none (embedded PGlite is one process). Every
 * process of an install has the same settings, so they all pick the same one; the channel is
 * named after TROUPE_QUEUE_NAME, so installs sharing a Redis do not hear each other.
 */
export function chooseRelay(config: Pick<Config, 'REDIS_URL' | 'DATABASE_URL' | 'TROUPE_QUEUE_NAME'>, logger: Logger): RunRelay | null {
  if (config.REDIS_URL) return new RedisRelay(config.REDIS_URL, `${config.TROUPE_QUEUE_NAME}:runs`, logger);
  if (config.DATABASE_URL) return new PgRelay(config.DATABASE_URL, config.TROUPE_QUEUE_NAME, logger);
  return null;
}
