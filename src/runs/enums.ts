/** Pure file (no imports): shared with the dashboard. The module's tables and services import these. */

export const RUN_STATUSES = ['queued', 'running', 'waiting_approval', 'succeeded', 'failed', 'canceled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
/** `task`: a task run by hand (POST /tasks/:id/execute); `schedule`: a task its schedule fired. */
export const RUN_SOURCES = ['chat', 'api', 'task', 'schedule', 'workflow', 'event', 'decision', 'widget'] as const;
export type RunSource = (typeof RUN_SOURCES)[number];
/** Sources whose run answers a conversation (its history in, its messages out): a person's chat, a website visitor's (widget). */
export const isConversationSource = (source: RunSource) => source === 'chat' || source === 'widget';
export const STEP_KINDS = ['model_call', 'tool_call'] as const;
export const STEP_STATUSES = ['started', 'succeeded', 'failed', 'waiting_approval', 'rejected'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];
export const APPROVAL_STATUSES = ['pending', 'approved', 'rejected'] as const;
