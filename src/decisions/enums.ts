/**
 * The decision engine's fixed vocabularies (issue 16; docs/decision-engine.md), with no dependency:
 * the server's schemas and the dashboard share them.
 */

/**
 * Where a decision stands: `pending` (being decided), `awaiting_approval` (a person is asked),
 * `approved` (a person said yes; its actions are running), `executed` (every action done),
 * `rejected` (by the policy or a person), `failed` (an action failed, or nothing could decide),
 * `canceled` (its run was canceled, or stopped by its time limit).
 */
export const DECISION_STATUSES = ['pending', 'awaiting_approval', 'approved', 'executed', 'rejected', 'failed', 'canceled'] as const;
/** Statuses after which nothing more happens to a decision. */
export const FINAL_DECISION_STATUSES: readonly DecisionStatus[] = ['executed', 'rejected', 'failed', 'canceled'];
export type DecisionStatus = (typeof DECISION_STATUSES)[number];

/** Who made the decision: the agent's model, or the classification rules when the model could not. */
export const DECISION_SOURCES = ['model', 'rules'] as const;
export type DecisionSource = (typeof DECISION_SOURCES)[number];

/** What the policy made of a decision: do it, ask a person, or refuse it. */
export const POLICY_OUTCOMES = ['execute', 'ask', 'reject'] as const;
export type PolicyOutcome = (typeof POLICY_OUTCOMES)[number];

/** What a decision may do; each runs through a tool (actions.ts) as a durable step. */
export const ACTION_TYPES = [
  'ASSIGN_PIPELINE',
  'CREATE_EVENT',
  'UPDATE_EVENT',
  'CANCEL_EVENT',
  'SEND_NOTIFICATION',
  'SEND_EMAIL',
  'TRIGGER_AUTOMATION',
  'START_WORKFLOW',
  'CREATE_TICKET',
  'ESCALATE',
  'NO_ACTION',
] as const;
export type ActionType = (typeof ACTION_TYPES)[number];

/** How an action ended. `skipped`: not run because an earlier action failed, or a person refused a repeat. */
export const ACTION_STATUSES = ['succeeded', 'failed', 'skipped'] as const;
export type ActionStatus = (typeof ACTION_STATUSES)[number];

/** A decision type: a word naming what is decided (`intake`, `booking`, or an event type). */
export const DECISION_TYPE_RE = /^[A-Za-z0-9_.:-]{1,100}$/;
