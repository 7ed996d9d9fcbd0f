import type { Config } from '../config/load.js';
import type { Database } from '../db/client.js';
import type { Logger } from '../shared/logger.js';

/** The tool registry and the built-in tools' data (notifications, tickets, outbox, follow-ups). */
export class ToolService {
  constructor(
    readonly database: Database,
    readonly config: Config,
    readonly logger: Logger,
  ) {}
}
