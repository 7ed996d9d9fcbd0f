/** Pure file (no imports): shared with the dashboard. The module's tables and services import these. */

export const TASK_PRIORITIES = ['low', 'normal', 'high', 'urgent'] as const;
export type TaskPriority = (typeof TASK_PRIORITIES)[number];
export const TASK_KINDS = ['adhoc', 'scheduled'] as const;
export type TaskKind = (typeof TASK_KINDS)[number];
/**
 * A task's state follows its latest execution: idle (never run, or a scheduled task between
 * fires after none yet), queued, running, waiting_approval, then completed | failed | canceled.
 */
export const TASK_STATUSES = ['idle', 'queued', 'running', 'waiting_approval', 'completed', 'failed', 'canceled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
