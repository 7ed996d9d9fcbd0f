import { z } from 'zod';
import { ToolError } from '../../../tools/errors.js';

/*
 * Message templates: `{{first_name}}`-style variables, filled in one pass. A value is inserted as
 * text (escaped for HTML where the result is HTML) and is never read again as a template, so a
 * contact named "{{gym_name}}" stays that name. An unknown variable, or one with no value, is an
 * error naming it: a message never goes out with a hole or a raw "{{offer}}" in it.
 */

const VARIABLE = /\{\{\s*([a-z][a-z0-9_]{0,39})\s*\}\}/g;

/** Variables every message to a contact can use; the model may add its own (`variables`). */
export const CONTACT_VARIABLES = ['first_name', 'last_name', 'full_name', 'gym_name', 'time_away', 'last_visit_date'] as const;

/** Extra variables a tool call may give: lower-case names, short text values. */
export const variablesSchema = z
  .record(z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'variable names are lower-case letters, digits and _'), z.string().max(500))
  .refine((v) => Object.keys(v).length <= 20, 'at most 20 variables')
  .describe(`Values for {{name}} placeholders besides the built-in ${CONTACT_VARIABLES.map((v) => `{{${v}}}`).join(', ')}`);

/** The variables a template names, each once, in order. */
export const variablesIn = (template: string) => [...new Set([...template.matchAll(VARIABLE)].map((m) => m[1]!))];

export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/**
 * Fills a template. Throws `invalid_arguments` naming every variable it has no value for (an
 * empty string is a value). `html` escapes the values, not the template.
 */
export function render(template: string, values: Readonly<Record<string, string | null | undefined>>, options: { html?: boolean; field?: string } = {}): string {
  const missing = variablesIn(template).filter((name) => values[name] === undefined || values[name] === null);
  if (missing.length) {
    const known = Object.keys(values).filter((k) => values[k] !== undefined && values[k] !== null);
    throw new ToolError(
      `${options.field ?? 'The message'} uses ${missing.map((m) => `{{${m}}}`).join(', ')}, which ${missing.length === 1 ? 'has' : 'have'} no value here; known: ${known.map((k) => `{{${k}}}`).join(', ')} (give others in variables)`,
      'invalid_arguments',
      [{ path: `input.${options.field ?? 'body'}`, message: `no value for ${missing.join(', ')}` }],
    );
  }
  return template.replace(VARIABLE, (_m, name: string) => (options.html ? escapeHtml(values[name]!) : values[name]!));
}

/** Plain text as simple HTML: escaped, paragraphs at blank lines, line breaks kept. */
export const textToHtml = (text: string) =>
  text
    .split(/\n{2,}/)
    .map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`)
    .join('\n');

export interface RetentionTemplate {
  id: string;
  /** When to use it, for the model. */
  use: string;
  subject: string;
  email: string;
  sms: string;
}

/** The retention messages a gym sends; `{{offer}}` must be given where a template names it. */
export const RETENTION_TEMPLATES: readonly RetentionTemplate[] = [
  {
    id: 'we_miss_you',
    use: 'an active member who has not visited for a while',
    subject: 'We miss you, {{first_name}}!',
    email:
      "Hi {{first_name}},\n\nWe haven't seen you at {{gym_name}} {{time_away}}, and we miss having you around. " +
      'Your membership is ready whenever you are: book a class or just drop in.\n\nIf anything is getting in the way, reply to this message and we will help.\n\nSee you soon,\n{{gym_name}}',
    sms: "Hi {{first_name}}, we haven't seen you at {{gym_name}} {{time_away}} and we miss you! Book a class or drop in anytime. Reply if we can help.",
  },
  {
    id: 'comeback_offer',
    use: 'a member drifting away, with an incentive to come back (give variables.offer)',
    subject: '{{first_name}}, a little something to get you back',
    email:
      "Hi {{first_name}},\n\nIt's been {{time_away}} since your last visit to {{gym_name}}. To make coming back easier, here is an offer for you: {{offer}}.\n\n" +
      'Just mention it at the front desk or reply to this message.\n\n{{gym_name}}',
    sms: 'Hi {{first_name}}, come back to {{gym_name}}: {{offer}}. Mention this message at the front desk.',
  },
  {
    id: 'check_in',
    use: 'a friendly check-in on how training is going, no offer',
    subject: 'How is your training going, {{first_name}}?',
    email:
      'Hi {{first_name}},\n\nJust checking in: how is your training going? If you would like a new plan, a session with a coach or a different class time, ' +
      'reply and we will set it up.\n\n{{gym_name}}',
    sms: 'Hi {{first_name}}, how is your training going? Reply if you would like a new plan or a session with a coach. {{gym_name}}',
  },
  {
    id: 'renewal_reminder',
    use: 'a membership that is paused, past due or about to end',
    subject: 'Keep your membership going, {{first_name}}',
    email:
      'Hi {{first_name}},\n\nA quick note about your {{gym_name}} membership: we would love to keep you training with us. ' +
      'If you have questions about your plan or payment, reply to this message and we will sort it out together.\n\n{{gym_name}}',
    sms: 'Hi {{first_name}}, a quick note about your {{gym_name}} membership. Reply with any question about your plan or payment and we will help.',
  },
  {
    id: 'win_back',
    use: 'a former or cancelled member, invited back (give variables.offer)',
    subject: 'Come back to {{gym_name}}, {{first_name}}',
    email:
      "Hi {{first_name}},\n\nIt's been a while! A lot has happened at {{gym_name}} since you left, and we would love to see you again. " +
      'For returning members: {{offer}}.\n\nReply to this message to get started.\n\n{{gym_name}}',
    sms: 'Hi {{first_name}}, we would love to see you back at {{gym_name}}. For returning members: {{offer}}. Reply to get started.',
  },
];
export const RETENTION_TEMPLATE_IDS = RETENTION_TEMPLATES.map((t) => t.id) as [string, ...string[]];
export const retentionTemplate = (id: string) => RETENTION_TEMPLATES.find((t) => t.id === id)!;
export const retentionTemplatesHelp = RETENTION_TEMPLATES.map((t) => `${t.id} (${t.use})`).join('; ');
