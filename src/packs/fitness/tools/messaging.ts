import { z } from 'zod';
import { csvRecord, type CsvValue } from '../../../billing/csv.js';
import type { SecretBox } from '../../../shared/crypto.js';
import { defineTool, type ToolContext } from '../../../tools/define.js';
import { ToolError } from '../../../tools/errors.js';
import { MAX_ATTACHMENT_BYTES } from '../../../tools/outbox.js';
import { kindOfStatus, type ContactStatus } from '../crm/enums.js';
import type { ContactRow } from '../crm/schema.js';
import { contactIn, idSchema } from './common.js';
import { deliverEmail, gymName, messageContact, reach, type Sent } from './delivery.js';
import { MESSAGE_CHANNELS, MESSAGE_PURPOSES, type MessageChannel, type MessagePurpose } from './enums.js';
import { escapeHtml, RETENTION_TEMPLATE_IDS, retentionTemplate, retentionTemplatesHelp, variablesSchema } from './templates.js';

// Messages to one contact (SMS, email or the channel their consent allows) and reports to staff.

const clip = (text: string, max = 80) => {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
};

/** External messages: only people who manage the organization may give agents these (as send_email). */
const SEND = { grantRoles: ['admin', 'owner'] as const, requiresApproval: false, idempotent: false, timeoutMs: 45_000 };

export const channelSchema = z
  .enum(MESSAGE_CHANNELS)
  .default('auto')
  .describe('auto (default): email when they agreed to it and have an address, else SMS; or email, or sms');
export const purposeSchema = z
  .enum(MESSAGE_PURPOSES)
  .default('service')
  .describe('service: about their membership, bookings or account; marketing: offers and promotion (needs their marketing consent)');
const subjectSchema = z
  .string()
  .trim()
  .min(1)
  .max(300)
  .refine((s) => !/[\r\n]/.test(s), 'cannot contain line breaks')
  .optional()
  .describe('Email subject (variables allowed); default "A message from <gym>"');
const bodySchema = z.string().trim().min(1).max(10_000).describe('The message. {{first_name}}, {{gym_name}} and the other variables are filled in per person');

export const sentSchema = z.object({
  communicationId: z.string().describe('The row in the communications log'),
  channel: z.enum(['email', 'sms']),
  status: z.enum(['sent', 'queued']).describe('queued: no mail server or SMS provider is set; the message waits in the outbox for a person'),
  to: z.string(),
  subject: z.string().nullable(),
  body: z.string().describe('As sent, variables filled in'),
  outboxId: z.string().nullable(),
});

function answer(sent: Sent, contact: ContactRow) {
  if (sent.status === 'failed') throw new ToolError(`The ${sent.channel === 'sms' ? 'SMS' : 'email'} to ${contact.firstName} failed and was logged as failed: ${sent.error ?? 'unknown error'}`);
  return {
    communicationId: sent.communicationId,
    channel: sent.channel,
    status: sent.status,
    to: sent.channel === 'email' ? contact.email! : contact.phone!,
    subject: sent.subject,
    body: sent.body,
    outboxId: sent.outboxId,
  };
}

/** Reads the contact and the gym's name, checks the contact is of the kind the tool is for, sends. */
async function sendTo(
  ctx: ToolContext,
  secrets: SecretBox | undefined,
  id: string,
  kind: 'member' | 'lead' | null,
  message: { channel: MessageChannel; purpose: MessagePurpose; subject?: string; body: string; variables?: Record<string, string> },
) {
  const { contact, gym } = await ctx.database.withOrg(ctx.orgId, async (tx) => ({
    contact: await contactIn(tx, ctx.orgId, id, kind === 'lead' ? 'Lead' : kind === 'member' ? 'Client' : 'Contact'),
    gym: await gymName(tx, ctx.orgId),
  }));
  const actual = kindOfStatus(contact.status as ContactStatus);
  if (kind && actual !== kind) {
    throw new ToolError(
      `${contact.firstName} is a ${actual} (status ${contact.status}), not a ${kind === 'member' ? 'client' : 'lead'}: use ${actual === 'lead' ? 'send_message_to_lead' : 'send_message_to_client'}`,
      'invalid_arguments',
    );
  }
  return answer(await messageContact(ctx, secrets, { contact, gym, ...message }), contact);
}

export const sendSms = (secrets?: SecretBox) =>
  defineTool({
    name: 'send_sms',
    category: 'messaging',
    description:
      "Sends an SMS to a contact (member or lead) at the phone number in their record, only if they agreed to SMS and have not opted out " +
      "(marketing also needs marketing consent). Goes through the organization's SMS provider; without one it waits in the SMS outbox " +
      '(status queued). Logged in the contact\'s communications. At most 1600 characters once variables are filled in.',
    inputSchema: z.object({
      contactId: idSchema('contact'),
      body: z.string().trim().min(1).max(1600).describe('The text; {{first_name}}, {{gym_name}}, … are filled in'),
      purpose: purposeSchema,
      variables: variablesSchema.optional(),
    }),
    outputSchema: sentSchema,
    ...SEND,
    describe: (input) => `Send a ${input.purpose} SMS to contact ${input.contactId.slice(0, 8)}…: '${clip(input.body)}'`,
    async execute(input, ctx) {
      return sendTo(ctx, secrets, input.contactId, null, { ...input, channel: 'sms' });
    },
  });

const messageFields = { channel: channelSchema, purpose: purposeSchema, subject: subjectSchema, body: bodySchema, variables: variablesSchema.optional() };
const directDescription = (who: string) =>
  `Sends a message to a ${who} by email or SMS, chosen by what they agreed to and what their record has (channel auto), or the ` +
  'channel you name. Refused, with the reason, when they opted out or did not consent (marketing needs marketing consent). Logged in ' +
  'their communications; without a mail server or SMS provider the message waits in the outbox (status queued).';

export const sendMessageToClient = (secrets?: SecretBox) =>
  defineTool({
    name: 'send_message_to_client',
    category: 'messaging',
    description: directDescription('member (client)'),
    inputSchema: z.object({ clientId: idSchema('client (contact)'), ...messageFields }),
    outputSchema: sentSchema,
    ...SEND,
    describe: (input) => `Send a ${input.purpose} message (${input.channel}) to client ${input.clientId.slice(0, 8)}…: '${clip(input.subject ?? input.body)}'`,
    async execute(input, ctx) {
      return sendTo(ctx, secrets, input.clientId, 'member', input);
    },
  });

export const sendMessageToLead = (secrets?: SecretBox) =>
  defineTool({
    name: 'send_message_to_lead',
    category: 'messaging',
    description: directDescription('lead (prospect: status lead or trial)'),
    inputSchema: z.object({ leadId: idSchema('lead (contact)'), ...messageFields }),
    outputSchema: sentSchema,
    ...SEND,
    describe: (input) => `Send a ${input.purpose} message (${input.channel}) to lead ${input.leadId.slice(0, 8)}…: '${clip(input.subject ?? input.body)}'`,
    async execute(input, ctx) {
      return sendTo(ctx, secrets, input.leadId, 'lead', input);
    },
  });

export const sendRetentionMessage = (secrets?: SecretBox) =>
  defineTool({
    name: 'send_retention_message',
    category: 'messaging',
    description:
      `Sends one retention message to a member from a template: ${retentionTemplatesHelp}. A marketing message: the member must have agreed ` +
      'to marketing and to the channel, and not opted out. `body`/`subject` replace the template\'s text (variables still filled in); ' +
      'variables.offer is needed by the offer templates. Logged in their communications.',
    inputSchema: z.object({
      clientId: idSchema('client (contact)'),
      template: z.enum(RETENTION_TEMPLATE_IDS),
      channel: channelSchema,
      subject: subjectSchema.describe("Replaces the template's subject"),
      body: z.string().trim().min(1).max(10_000).optional().describe("Replaces the template's text for the chosen channel"),
      variables: variablesSchema.optional(),
    }),
    outputSchema: sentSchema.extend({ template: z.string() }),
    ...SEND,
    describe: (input) => `Send the "${input.template}" retention message (${input.channel}) to client ${input.clientId.slice(0, 8)}…`,
    async execute(input, ctx) {
      const t = retentionTemplate(input.template);
      // The text for the channel the contact will be reached on: decided by messageContact, so give both and pick after.
      const { contact, gym } = await ctx.database.withOrg(ctx.orgId, async (tx) => ({ contact: await contactIn(tx, ctx.orgId, input.clientId, 'Client'), gym: await gymName(tx, ctx.orgId) }));
      const way = reach(contact, input.channel, 'marketing');
      const body = input.body ?? (way.ok && way.channel === 'sms' ? t.sms : t.email);
      const sent = await messageContact(ctx, secrets, { contact, gym, channel: input.channel, purpose: 'marketing', subject: input.subject ?? t.subject, body, variables: input.variables });
      return { ...answer(sent, contact), template: t.id };
    },
  });

// ---- reports to staff ----

/** Most rows a report table carries (the CSV has them all; the mail's HTML shows the first MAX_HTML_ROWS). */
const MAX_REPORT_ROWS = 20_000;
const MAX_HTML_ROWS = 200;
const cell = z.union([z.string().max(2000), z.number().finite(), z.boolean(), z.null()]);
const toCsv = (v: z.output<typeof cell>): CsvValue => (typeof v === 'boolean' ? String(v) : v);
const show = (v: z.output<typeof cell>) => (v === null ? '' : String(v));

/** The report as HTML: a heading, the summary, a table (escaped); the CSV carries every row. */
export function reportHtml(r: { title: string; summary?: string; columns: string[]; rows: z.output<typeof cell>[][] }): string {
  const head = r.columns.map((c) => `<th style="text-align:left;border-bottom:1px solid #ccc;padding:4px 8px">${escapeHtml(c)}</th>`).join('');
  const body = r.rows
    .slice(0, MAX_HTML_ROWS)
    .map((row) => `<tr>${row.map((v) => `<td style="padding:4px 8px;border-bottom:1px solid #eee">${escapeHtml(show(v))}</td>`).join('')}</tr>`)
    .join('\n');
  const more = r.rows.length > MAX_HTML_ROWS ? `<p>The first ${MAX_HTML_ROWS} of ${r.rows.length} rows; all of them are in the attached CSV.</p>` : '';
  const summary = r.summary ? r.summary.split(/\n{2,}/).map((p) => `<p>${escapeHtml(p).replace(/\n/g, '<br>')}</p>`).join('\n') : '';
  return `<!doctype html><html><body style="font-family:sans-serif"><h1 style="font-size:20px">${escapeHtml(r.title)}</h1>\n${summary}\n<table style="border-collapse:collapse">\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody></table>\n${more}</body></html>`;
}

export const sendReportEmail = defineTool({
  name: 'send_report_email',
  category: 'messaging',
  description:
    'Emails a report to staff addresses: a title, a short summary and a table, as an HTML mail with the table also attached as a CSV file. ' +
    'Use it after an analytics tool: put the figures in `columns` and `rows`. Without a mail server the report waits in the outbox.',
  inputSchema: z
    .object({
      to: z.array(z.email().max(254)).min(1).max(20).describe('Staff addresses'),
      subject: z
        .string()
        .trim()
        .min(1)
        .max(300)
        .refine((s) => !/[\r\n]/.test(s), 'cannot contain line breaks'),
      title: z.string().trim().min(1).max(300).optional().describe('Heading of the report (default: the subject)'),
      summary: z.string().trim().max(20_000).optional().describe('Plain text above the table: the findings in a few sentences'),
      columns: z.array(z.string().trim().min(1).max(200)).min(1).max(50),
      rows: z.array(z.array(cell).max(50)).max(MAX_REPORT_ROWS).describe('Each row has one value per column'),
      filename: z
        .string()
        .trim()
        .regex(/^[\w\- .]{1,100}$/, 'letters, digits, spaces, _ - and . only')
        .optional()
        .describe('Name of the CSV file (default from the subject)'),
    })
    .superRefine((r, c) => {
      r.rows.forEach((row, i) => {
        if (row.length !== r.columns.length) c.addIssue({ code: 'custom', path: ['rows', i], message: `has ${row.length} values for ${r.columns.length} columns` });
      });
    }),
  outputSchema: z.object({ outboxId: z.string().nullable(), status: z.enum(['sent', 'queued']), rows: z.number().int(), attachment: z.string(), bytes: z.number().int() }),
  grantRoles: ['admin', 'owner'],
  requiresApproval: false,
  idempotent: false,
  timeoutMs: 45_000,
  describe: (input) => `Email the report '${input.subject}' (${input.rows.length} rows, CSV attached) to ${input.to.join(', ')}`,
  async execute(input, ctx) {
    const csv = csvRecord(input.columns) + input.rows.map((row) => csvRecord(row.map(toCsv))).join('');
    const bytes = Buffer.byteLength(csv);
    if (bytes > MAX_ATTACHMENT_BYTES) throw new ToolError(`The CSV would be ${bytes} bytes; at most ${MAX_ATTACHMENT_BYTES}`, 'invalid_arguments', [{ path: 'input.rows', message: 'too much data' }]);
    const base = (input.filename ?? input.subject).replace(/[^\w\- .]/g, '').trim().replace(/\s+/g, '-').slice(0, 90) || 'report';
    const filename = base.toLowerCase().endsWith('.csv') ? base : `${base}.csv`;
    const title = input.title ?? input.subject;
    const lines = input.rows.slice(0, 20).map((row) => row.map(show).join(' | '));
    const text = [title, '', input.summary ?? '', '', input.columns.join(' | '), ...lines, input.rows.length > 20 ? `… ${input.rows.length - 20} more rows in the attached CSV` : '', '', `Attached: ${filename}`]
      .filter((l, i, all) => l !== '' || all[i - 1] !== '')
      .join('\n');
    const sent = await deliverEmail(ctx, {
      to: input.to,
      subject: input.subject,
      text,
      html: reportHtml({ title, summary: input.summary, columns: input.columns, rows: input.rows }),
      attachments: [{ filename, contentType: 'text/csv', content: csv }],
    });
    if (sent.status === 'failed') throw new ToolError(sent.error ?? 'The mail server did not take the report');
    return { outboxId: sent.outboxId, status: sent.status, rows: input.rows.length, attachment: filename, bytes };
  },
});
