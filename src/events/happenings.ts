import type { EngineEvents } from '../observability/events.js';
import type { Logger } from '../shared/logger.js';
import type { EventService } from './service.js';
import { typeMatches } from './service.js';
import type { TriggerService } from './triggers.js';

/**
 * Troupe's own happenings as events (issue 16; docs/events.md): a run finished, failed or was
 * canceled (`run.finished`, `run.failed`, `run.canceled`), a workflow run did (`workflow.…`), an
 * approval was requested or decided, a schedule fired a task (`task.due`), a support ticket was
 * opened (`ticket.created`), a budget reached 80% or 100% (`budget.alert`). Lower modules
 * (schedules, tools, billing) only tell the engine's event port; they never import this module. Heard on the engine's event port in the process where they
 * happen; stored only when an enabled trigger of the organization listens for the type (an event
 * log row for every run would double the writes of a busy install), once per happening (its
 * dedupe key). Runs a trigger started (source `event`) make no `run.*`/`workflow.*` events: a
 * trigger on run.finished that starts an agent would otherwise feed itself.
 */
export function recordHappenings(engine: EngineEvents, log: EventService, triggers: TriggerService, logger: Logger): void {
  const record = async (orgId: string, type: string, payload: Record<string, unknown>, key: string) => {
    const listening = (await triggers.enabledOf(orgId)).some((t) => typeMatches(t.eventType, type));
    if (!listening) return;
    await log.emit(orgId, { type, source: 'troupe', payload, dedupeKey: `troupe:${type}:${key}` });
  };
  const safely = (p: Promise<void>) => void p.catch((err: unknown) => logger.warn({ err }, 'could not record a happening as an event'));

  engine.on('run:finished', (e) => {
    // Decisions (and their model calls) are not happenings: a trigger on run.* starting a decision would feed itself.
    if (e.source === 'event' || e.source === 'decision' || e.status === 'waiting') return;
    const kind = e.agentId ? 'run' : 'workflow';
    const verb = e.status === 'succeeded' ? 'finished' : e.status === 'failed' ? 'failed' : e.status === 'canceled' ? 'canceled' : null;
    if (!verb) return;
    const payload = { runId: e.runId, ...(e.agentId ? { agentId: e.agentId } : {}), source: e.source, status: e.status, ...(e.errorCode ? { errorCode: e.errorCode } : {}) };
    safely(record(e.orgId, `${kind}.${verb}`, payload, e.runId));
  });
  engine.on('approval:requested', (e) => safely(record(e.orgId, 'approval.requested', { approvalId: e.approvalId, runId: e.runId, tool: e.tool }, e.approvalId)));
  engine.on('approval:decided', (e) => safely(record(e.orgId, 'approval.decided', { approvalId: e.approvalId, runId: e.runId, decision: e.decision }, e.approvalId)));
  // A schedule fired a task (whatever became of it: a run, skipped, over budget, failed).
  engine.on('scheduler:fire', (e) => {
    if (!e.taskId) return;
    const payload = { taskId: e.taskId, scheduleId: e.scheduleId, dueAt: e.dueAt.toISOString(), runId: e.runId ?? null, outcome: e.outcome };
    safely(record(e.orgId, 'task.due', payload, `${e.scheduleId}:${e.dueAt.toISOString()}`));
  });
  engine.on('ticket:created', (e) => safely(record(e.orgId, 'ticket.created', { ticketId: e.ticketId, subject: e.subject, priority: e.priority, agentId: e.agentId, runId: e.runId }, e.ticketId)));
  engine.on('budget:alert', (e) => {
    const payload = { targetType: e.targetType, targetId: e.targetId, month: e.month, thresholdPercent: e.thresholdPercent, spentMicros: e.spentMicros, budgetMicros: e.budgetMicros };
    safely(record(e.orgId, 'budget.alert', payload, `${e.scope}:${e.month}:${e.thresholdPercent}`));
  });
}
