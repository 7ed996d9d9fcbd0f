import { classifyText, findPhrase, type ClassificationRule } from '../models/classify.js';
import type { DecisionAction, DecisionBody } from './dto.js';
import type { EffectivePolicy } from './policy.js';

/** Words that make a rule decision urgent (the ops seed's "urgent, emergency, ASAP"). */
const URGENT_WORDS = ['urgent', 'emergency', 'asap', 'immediately'];

/** The text the rules read: the input's strings (subject, message, body, …) in order, keys included. */
export function inputText(data: unknown, limit = 20_000): string {
  const parts: string[] = [];
  let size = 0;
  const walk = (v: unknown, depth: number) => {
    if (size > limit || depth > 8) return;
    if (typeof v === 'string') {
      parts.push(v);
      size += v.length;
    } else if (typeof v === 'number' || typeof v === 'boolean') parts.push(String(v));
    else if (Array.isArray(v)) for (const x of v) walk(x, depth + 1);
    else if (v && typeof v === 'object') for (const x of Object.values(v)) walk(x, depth + 1);
  };
  walk(data, 0);
  return parts.join('\n').slice(0, limit);
}

/**
 * The rule fallback (issue 16): when the model is down or its answer stays invalid, the
 * organization's classification rules (docs/rules-model.md) name the intent, and the policy's
 * `fallbackRules` say what to do for it (their params rendered by `render`). Confidence is the
 * policy's `rulesConfidence`; an input no rule matches (or an intent without actions) asks a person.
 */
export async function rulesDecision(
  data: unknown,
  rules: readonly ClassificationRule[],
  policy: EffectivePolicy,
  render: (actions: DecisionAction[]) => Promise<DecisionAction[]>,
): Promise<DecisionBody> {
  const text = inputText(data);
  const hit = classifyText(text, rules);
  const urgent = URGENT_WORDS.some((w) => findPhrase(text, w) >= 0);
  if (!hit) {
    return { intent: 'unclassified', urgency: urgent ? 5 : 3, confidence: policy.rulesConfidence, reasoning: 'No classification rule matched the input.', actions: [], requiresApproval: true };
  }
  const mapped = policy.fallbackRules.find((r) => r.intent.toLowerCase() === hit.label.toLowerCase());
  const actions = mapped ? await render(mapped.actions) : [];
  return {
    intent: hit.label,
    urgency: mapped?.urgency ?? (urgent ? 5 : 3),
    confidence: policy.rulesConfidence,
    reasoning: `Classified by rule "${hit.label}" (matched: ${hit.matched.join(', ')})${mapped ? '' : '; no fallback actions are set for this intent'}.`,
    actions,
    requiresApproval: !mapped,
  };
}
