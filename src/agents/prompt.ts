import type { AgentSnapshot } from './dto.js';

/** What the system prompt is made of; `name` may be missing in an unsaved draft. */
export type PromptSource = Pick<AgentSnapshot, 'role' | 'description' | 'instructions' | 'personality'> & {
  name?: string | null;
};

export interface PromptSection {
  name: 'identity' | 'instructions' | 'personality';
  text: string;
}

export interface SystemPrompt {
  systemPrompt: string;
  sections: PromptSection[];
}

/** Used in place of a name in drafts that have none yet. */
export const UNNAMED = 'an AI assistant';

/**
 * Builds the system prompt an agent runs with. Pure and deterministic: the same configuration
 * always yields the same string, so a preview is exactly what the run engine sends.
 *
 * Format — sections in this order, separated by one blank line, and a section (or a line in one)
 * left out when its parts are empty; every part is trimmed and CRLF becomes LF:
 *
 * ```text
 * You are {name}, {role}.          ← identity; "You are {name}." without a role; a final
 * {description}                       period is not doubled; no name → "an AI assistant"
 *
 * # Instructions
 * {instructions}
 *
 * # Personality
 * - Traits: {trait}, {trait}, …
 * - Tone: {tone}
 * - Behavior: {behavior}           ← continuation lines of a multi-line value are indented
 * - Language style: {languageStyle}    by two spaces so they stay inside their bullet
 * ```
 *
 * `systemPrompt` is the sections' texts joined by "\n\n"; `sections` lists them by name so a
 * form can highlight which input produced which part.
 */
export function composeSystemPrompt(agent: PromptSource): SystemPrompt {
  const sections: PromptSection[] = [{ name: 'identity', text: identity(agent) }];

  const instructions = clean(agent.instructions);
  if (instructions) sections.push({ name: 'instructions', text: `# Instructions\n${instructions}` });

  const p = agent.personality;
  const traits = p.traits.map(clean).filter(Boolean);
  const lines = [
    bullet('Traits', traits.join(', ')),
    bullet('Tone', clean(p.tone)),
    bullet('Behavior', clean(p.behavior)),
    bullet('Language style', clean(p.languageStyle)),
  ].filter((line): line is string => line !== null);
  if (lines.length) sections.push({ name: 'personality', text: `# Personality\n${lines.join('\n')}` });

  return { systemPrompt: sections.map((s) => s.text).join('\n\n'), sections };
}

function identity(agent: PromptSource): string {
  const name = clean(agent.name) || UNNAMED;
  const role = clean(agent.role);
  const first = role ? `You are ${name}, ${role}` : `You are ${name}`;
  const sentence = /[.!?]$/.test(first) ? first : `${first}.`;
  const description = clean(agent.description);
  return description ? `${sentence}\n${description}` : sentence;
}

function bullet(label: string, value: string): string | null {
  return value ? `- ${label}: ${value.replace(/\n/g, '\n  ')}` : null;
}

function clean(value: string | null | undefined): string {
  return (value ?? '').replace(/\r\n?/g, '\n').trim();
}
