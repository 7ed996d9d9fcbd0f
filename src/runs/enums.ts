/** Pure file (no imports): shared with the dashboard. The module's tables and services import these. */

/** `waiting`: a workflow run parked on timers, child runs or people (it holds no worker and no lease). */
export const RUN_STATUSES = ['queued', 'running', 'waiting_approval', 'waiting', 'succeeded', 'failed', 'canceled'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];
/**
 * `task`: a task run by hand (POST /tasks/:id/execute); `schedule`: a task or workflow its schedule
 * fired; `workflow`: a run a workflow node started; `agent`: a workflow run an agent started (trigger_workflow).
 */
export const RUN_SOURCES = ['chat', 'api', 'task', 'schedule', 'workflow', 'event', 'decision', 'widget', 'agent'] as const;
export type RunSource = (typeof RUN_SOURCES)[number];
/** Sources whose run answers a conversation (its history in, its messages out): a person's chat, a website visitor's (widget). */
export const isConversationSource = (source: RunSource) => source === 'chat' || source === 'widget';
/** `node`: one node execution of a workflow run (step key `node:<execution key>`). */
export const STEP_KINDS = ['model_call', 'tool_call', 'node'] as const;
/** `waiting` and `skipped`: a workflow node waiting (on a timer, a child run, a person), or not taken. */
export const STEP_STATUSES = ['started', 'succeeded', 'failed', 'waiting_approval', 'rejected', 'waiting', 'skipped'] as const;
export type StepStatus = (typeof STEP_STATUSES)[number];
export const APPROVAL_STATUSES = ['pending', 'approved', 'rejected'] as const;
