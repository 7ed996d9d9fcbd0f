import type { Logger } from '../shared/logger.js';
import type { EngineEvents } from './events.js';

/**
 * What the operator's log hears from the event port. The engine already logs its own failures
 * where they happen; this adds what would otherwise pass unseen: a run the queue did not accept
 * (it stays queued in the database and the recovery sweep sends it again, but an operator whose
 * Redis is failing must see it).
 */
export function logEngineEvents(events: EngineEvents, logger: Logger): void {
  events.on('dispatch:failed', (e) =>
    logger.warn({ orgId: e.orgId, runId: e.runId, error: e.error }, 'handing a run to the queue failed; it stays queued and the recovery sweep sends it again'),
  );
  events.on('run:released', (e) => logger.debug({ orgId: e.orgId, runId: e.runId, reason: e.reason }, 'released a run without ending it'));
}
