import type { DecisionAction, DecisionBody } from './dto.js';
import type { ActionType, DecisionSource, PolicyOutcome } from './enums.js';

/** The policy as the engine applies it: a stored row, or the defaults when there is none. */
export interface EffectivePolicy {
  id: string | null;
  autoExecuteThreshold: number;
  requireApprovalThreshold: number;
  allowedActions: ActionType[] | null;
  actionRules: { type: ActionType; mode: 'auto' | 'ask' | 'never'; maxRecipients?: number }[];
  maxActionsPerMinute: number | null;
  maxActionsPerHour: number | null;
  notifyOnHighPriority: boolean;
  notifyOnFailure: boolean;
  escalationEmail: string | null;
  automationUrl: string | null;
  approverRole: 'member' | 'admin' | 'owner';
  rulesConfidence: number;
  fallbackRules: { intent: string; urgency?: number; actions: DecisionAction[] }[];
  instructions: string;
  enabled: boolean;
}

/** What applies without a stored policy (the seed's defaults: 0.85 and 0.5). */
export const DEFAULT_POLICY: EffectivePolicy = {
  id: null,
  autoExecuteThreshold: 0.85,
  requireApprovalThreshold: 0.5,
  allowedActions: null,
  actionRules: [],
  maxActionsPerMinute: null,
  maxActionsPerHour: null,
  notifyOnHighPriority: true,
  notifyOnFailure: true,
  escalationEmail: null,
  automationUrl: null,
  approverRole: 'member',
  rulesConfidence: 0.6,
  fallbackRules: [],
  instructions: '',
  enabled: true,
};

/** Actions of the decision that count against the rate limits (NO_ACTION does nothing). */
export const countedActions = (actions: readonly DecisionAction[]) => actions.filter((a) => a.type !== 'NO_ACTION').length;

/** The actions the policy lets this agent take, given the tools it has (`available`). */
export function allowedActions(policy: EffectivePolicy, available: ReadonlySet<ActionType>): ActionType[] {
  const never = new Set(policy.actionRules.filter((r) => r.mode === 'never').map((r) => r.type));
  return [...available].filter((t) => !never.has(t) && (policy.allowedActions === null || policy.allowedActions.includes(t) || t === 'NO_ACTION'));
}

export interface PolicyVerdict {
  outcome: PolicyOutcome;
  reason: string;
}

/**
 * What the policy makes of a decision (pure; the engine stores the verdict as a step, so a
 * resumed run does not judge again): reject below `requireApprovalThreshold`, execute at or above
 * `autoExecuteThreshold` unless something asks for a person (an action rule, a mail to more
 * people than allowed, the model itself, the rate limits), ask otherwise.
 * `recent`: actions this agent executed without a person in the last minute and hour.
 */
export function judge(d: DecisionBody & { source: DecisionSource }, policy: EffectivePolicy, recent: { minute: number; hour: number }): PolicyVerdict {
  const c = d.confidence;
  if (c < policy.requireApprovalThreshold) return { outcome: 'reject', reason: `confidence ${fmt(c)} is below the approval threshold ${fmt(policy.requireApprovalThreshold)}` };
  const asks: string[] = [];
  if (c < policy.autoExecuteThreshold) asks.push(`confidence ${fmt(c)} is below the auto-execute threshold ${fmt(policy.autoExecuteThreshold)}`);
  if (d.requiresApproval) asks.push(d.source === 'rules' ? 'the rules could not classify the input' : 'the model asked for a person');
  for (const a of d.actions) {
    const rule = policy.actionRules.find((r) => r.type === a.type);
    if (!rule) continue;
    if (rule.mode === 'ask') asks.push(`${a.type} always asks a person`);
    if (rule.maxRecipients !== undefined && a.type === 'SEND_EMAIL') {
      const to = (a.params as { to?: unknown }).to;
      const n = Array.isArray(to) ? to.length : 1;
      if (n > rule.maxRecipients) asks.push(`SEND_EMAIL to ${n} people (more than ${rule.maxRecipients})`);
    }
  }
  const n = countedActions(d.actions);
  if (n > 0 && policy.maxActionsPerMinute !== null && recent.minute + n > policy.maxActionsPerMinute) asks.push(`the rate limit of ${policy.maxActionsPerMinute} actions a minute`);
  if (n > 0 && policy.maxActionsPerHour !== null && recent.hour + n > policy.maxActionsPerHour) asks.push(`the rate limit of ${policy.maxActionsPerHour} actions an hour`);
  if (asks.length) return { outcome: 'ask', reason: asks.join('; ') };
  return { outcome: 'execute', reason: `confidence ${fmt(c)} is at or above ${fmt(policy.autoExecuteThreshold)}` };
}

const fmt = (n: number) => String(Math.round(n * 1000) / 1000);
