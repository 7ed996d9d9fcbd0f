import { ACTION_PARAMS, type ActionResult, type DecisionAction } from './dto.js';
import type { ActionType } from './enums.js';
import type { EffectivePolicy } from './policy.js';

/**
 * Which tool carries out each action type (issue 16: "actions run as durable steps through
 * tools"). An agent may take an action only when it has the tool (its grants decide, as for any
 * tool), except NO_ACTION; ESCALATE notifies the staff (and mails the policy's escalation address).
 */
export const ACTION_TOOLS: Record<ActionType, string | null> = {
  ASSIGN_PIPELINE: 'pipeline_assign',
  CREATE_EVENT: 'calendar_create_event',
  UPDATE_EVENT: 'calendar_update_event',
  CANCEL_EVENT: 'calendar_cancel_event',
  SEND_NOTIFICATION: 'notify_staff',
  SEND_EMAIL: 'send_email',
  TRIGGER_AUTOMATION: 'send_webhook',
  START_WORKFLOW: 'trigger_workflow',
  CREATE_TICKET: 'create_support_ticket',
  ESCALATE: 'notify_staff',
  NO_ACTION: null,
};

/** The action types an agent with these tools can take. */
export function availableActions(agentTools: readonly string[], toolExists: (name: string) => boolean): Set<ActionType> {
  const have = new Set(agentTools);
  const out = new Set<ActionType>(['NO_ACTION']);
  for (const [type, tool] of Object.entries(ACTION_TOOLS) as [ActionType, string | null][]) {
    if (tool && have.has(tool) && toolExists(tool)) out.add(type);
  }
  return out;
}

/** What an action's tool calls need besides its params. */
export interface ActionEnv {
  decisionId: string;
  intent: string;
  urgency: number;
  input: { source: string; type: string; data: unknown };
  eventId: string | null;
  policy: EffectivePolicy;
  /** Results of the decision's earlier actions (an assignment's assignee, for "to: assignee"). */
  previous: ActionResult[];
  /** A staff member's (or user's) dashboard user, for an in-app notification; null when unknown. */
  person(id: string): Promise<{ userId: string | null; email: string | null; name: string } | null>;
}

export interface ToolCall {
  tool: string;
  args: Record<string, unknown>;
}

/** Why an action cannot be carried out as given (the step fails with it). */
export class ActionProblem extends Error {
  override name = 'ActionProblem';
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** The contact in the input, when it has one (name, email, phone under the usual keys). */
export function contactOf(data: unknown): { name?: string; email?: string; phone?: string } | undefined {
  if (!data || typeof data !== 'object') return undefined;
  const d = data as Record<string, unknown>;
  const pick = (...keys: string[]) => {
    for (const k of keys) {
      const v = d[k];
      if (typeof v === 'string' && v.trim()) return v.trim().slice(0, 200);
      if (v && typeof v === 'object' && typeof (v as { address?: unknown }).address === 'string') return String((v as { address: string }).address).slice(0, 200);
    }
    return undefined;
  };
  const email = pick('email', 'from', 'sender', 'contactEmail');
  const c = { name: pick('name', 'fullName', 'contactName'), email: email && /^[^@\s]+@[^@\s]+$/.test(email) ? email : undefined, phone: pick('phone', 'telephone', 'mobile') };
  return c.name || c.email || c.phone ? Object.fromEntries(Object.entries(c).filter(([, v]) => v !== undefined)) : undefined;
}

/** The tool calls (usually one) that carry out `action`. */
export async function toolCallsOf(action: DecisionAction, env: ActionEnv): Promise<ToolCall[]> {
  const p = ACTION_PARAMS[action.type].parse(action.params) as Record<string, unknown>;
  const contact = contactOf(env.input.data);
  switch (action.type) {
    case 'NO_ACTION':
      return [];
    case 'ASSIGN_PIPELINE': {
      const title = (p.title as string | undefined) ?? `${env.intent}${contact?.name || contact?.email ? `: ${contact.name ?? contact.email}` : ''}`;
      return [
        {
          tool: 'pipeline_assign',
          args: {
            ...p,
            title: title.slice(0, 300),
            priority: p.priority ?? env.urgency,
            ...(contact ? { contact } : {}),
            ...(env.eventId ? { sourceEventId: env.eventId } : {}),
            data: { decisionId: env.decisionId, input: env.input.data },
          },
        },
      ];
    }
    case 'CREATE_EVENT':
    case 'UPDATE_EVENT':
    case 'CANCEL_EVENT':
      return [{ tool: ACTION_TOOLS[action.type]!, args: p }];
    case 'SEND_NOTIFICATION': {
      const to = p.to as string;
      const base = { title: p.title, body: p.body ?? '', level: p.level ?? (env.urgency >= 4 ? 'urgent' : 'info') };
      if (to === 'everyone') return [{ tool: 'notify_staff', args: base }];
      if (to === 'assignee') {
        const assigned = [...env.previous].reverse().find((r) => r.type === 'ASSIGN_PIPELINE' && r.status === 'succeeded');
        const assignee = (assigned?.output as { assignee?: { userId?: string | null; email?: string | null; name?: string } | null } | undefined)?.assignee;
        if (!assignee) throw new ActionProblem('no_assignee', 'SEND_NOTIFICATION to "assignee": no earlier ASSIGN_PIPELINE action chose an assignee');
        return notifyPerson(assignee, base);
      }
      const person = await env.person(to);
      if (!person) throw new ActionProblem('unknown_recipient', `SEND_NOTIFICATION: ${to} is neither a staff member nor a user of this organization`);
      return notifyPerson(person, base);
    }
    case 'SEND_EMAIL':
      return [{ tool: 'send_email', args: p }];
    case 'TRIGGER_AUTOMATION': {
      const url = (p.url as string | undefined) ?? env.policy.automationUrl;
      if (!url) throw new ActionProblem('no_automation_url', 'TRIGGER_AUTOMATION: no url, and the policy has no automationUrl');
      const payload = { event: p.event ?? env.intent, decisionId: env.decisionId, intent: env.intent, urgency: env.urgency, input: env.input, ...((p.payload as object | undefined) ?? {}) };
      return [{ tool: 'send_webhook', args: { url, payload } }];
    }
    case 'START_WORKFLOW':
      return [{ tool: 'trigger_workflow', args: { workflowId: p.workflowId, input: p.input ?? { decisionId: env.decisionId, intent: env.intent, input: env.input.data } } }];
    case 'CREATE_TICKET':
      return [{ tool: 'create_support_ticket', args: { ...p, priority: p.priority ?? (env.urgency >= 5 ? 'urgent' : env.urgency >= 4 ? 'high' : 'normal'), ...(contact ? { requester: contact } : {}) } }];
    case 'ESCALATE': {
      const calls: ToolCall[] = [{ tool: 'notify_staff', args: { title: `Escalated: ${env.intent}`.slice(0, 200), body: String(p.reason), level: 'urgent' } }];
      if (env.policy.escalationEmail) {
        calls.push({ tool: 'send_email', args: { to: env.policy.escalationEmail, subject: `Escalated decision: ${env.intent}`.slice(0, 500), text: `${String(p.reason)}\n\nDecision ${env.decisionId}` } });
      }
      return calls;
    }
  }
}

/** A person gets it in the app when they have a dashboard user, else by mail. */
function notifyPerson(person: { userId?: string | null; email?: string | null; name?: string }, base: { title: unknown; body: unknown; level: unknown }): ToolCall[] {
  if (person.userId) return [{ tool: 'notify_staff', args: { ...base, userId: person.userId } }];
  if (person.email) return [{ tool: 'send_email', args: { to: person.email, subject: String(base.title), text: String(base.body || base.title) } }];
  throw new ActionProblem('unreachable_recipient', `${person.name ?? 'The recipient'} has neither a dashboard user nor an email address`);
}
