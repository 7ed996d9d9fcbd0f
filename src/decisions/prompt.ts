import { z } from 'zod';
import { ACTION_PARAMS, type DecisionBody } from './dto.js';
import type { ActionType } from './enums.js';

/** What the organization looks like to a decision: pipelines, staff and load, calendars, history. Each part optional. */
export type DecisionContext = Record<string, unknown>;

const paramsSchema = (type: ActionType) => {
  const { $schema: _drop, ...rest } = z.toJSONSchema(ACTION_PARAMS[type], { io: 'input', target: 'draft-07', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
};

/** The JSON Schema of the answer, its actions limited to `allowed` (also shown to the model). */
export function answerSchema(allowed: readonly ActionType[]): Record<string, unknown> {
  return {
    type: 'object',
    required: ['intent', 'confidence', 'actions'],
    properties: {
      intent: { type: 'string', description: 'What the input is about, in UPPER_SNAKE_CASE (e.g. SALES_INQUIRY)' },
      urgency: { type: 'integer', minimum: 1, maximum: 5 },
      confidence: { type: 'number', minimum: 0, maximum: 1, description: 'How sure you are that the intent and the actions are right' },
      reasoning: { type: 'string' },
      actions: {
        type: 'array',
        items: { anyOf: allowed.map((t) => ({ type: 'object', required: ['type', 'params'], properties: { type: { const: t }, params: paramsSchema(t) } })) },
      },
      requiresApproval: { type: 'boolean', description: 'true when a person should look even though you are sure' },
    },
  };
}

const json = (v: unknown, max: number) => {
  const s = JSON.stringify(v, null, 1) ?? 'null';
  return s.length > max ? `${s.slice(0, max)}… (cut)` : s;
};

/**
 * The task a decision's model call gets (the agent's own system prompt, personality and model
 * stay as configured): the input, the organization's context, the policy's instructions, the
 * actions it may take with their params, and the answer's format.
 */
export function decisionTask(p: {
  orgName: string;
  now: Date;
  input: { source: string; type: string; data: unknown };
  context: DecisionContext;
  instructions: string;
  allowed: readonly ActionType[];
}): string {
  const parts = [
    `Decide what to do with an input that came in to ${p.orgName || 'the organization'} (now: ${p.now.toISOString()}).`,
    `## Input\nSource: ${p.input.source}\nType: ${p.input.type}\nData:\n${json(p.input.data, 20_000)}`,
  ];
  for (const [name, value] of Object.entries(p.context)) {
    if (value === undefined || value === null || (Array.isArray(value) && value.length === 0)) continue;
    parts.push(`## ${name}\n${json(value, 10_000)}`);
  }
  if (p.instructions.trim()) parts.push(`## Guidelines\n${p.instructions.trim()}`);
  parts.push(
    `## Actions you may take\n${p.allowed.join(', ')}. Use only these; an empty list means nothing to do. ` +
      'Give a confidence from 0 to 1: below a threshold a person is asked before anything happens.',
  );
  parts.push(`## Answer\nAnswer with only a JSON object (no prose, no code fence) valid against this JSON Schema:\n${JSON.stringify(answerSchema(p.allowed))}`);
  return parts.join('\n\n');
}

/** The model's answer, checked: the decision, or the problem to send back with the next try. */
export function checkAnswer(value: unknown, allowed: ReadonlySet<ActionType>, parse: (v: unknown) => { success: true; data: DecisionBody } | { success: false; error: z.ZodError }): { ok: true; decision: DecisionBody } | { ok: false; problem: string } {
  if (value === undefined) return { ok: false, problem: 'the answer holds no JSON object' };
  const r = parse(value);
  if (!r.success) return { ok: false, problem: r.error.issues.slice(0, 10).map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ') };
  const refused = r.data.actions.filter((a) => !allowed.has(a.type)).map((a) => a.type);
  if (refused.length) return { ok: false, problem: `actions not allowed: ${[...new Set(refused)].join(', ')} (allowed: ${[...allowed].join(', ')})` };
  return { ok: true, decision: r.data };
}
