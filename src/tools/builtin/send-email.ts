import { z } from 'zod';
import { safeSmtpMessage, sendMail } from '../../shared/mail.js';
import { defineTool, type ToolContext } from '../define.js';
import { ToolError } from '../errors.js';
import { Outbox, type EmailRecord } from '../outbox.js';

/** Most recipients in one call: a tool for writing to people, not for bulk mail. */
export const MAX_RECIPIENTS = 50;

const recipient = z.email().max(254);
const inputSchema = z.object({
  to: z.union([recipient, z.array(recipient).min(1).max(MAX_RECIPIENTS)]).describe(`One address or up to ${MAX_RECIPIENTS}`),
  subject: z
    .string()
    .min(1)
    .max(500)
    .refine((s) => !/[\r\n]/.test(s), { message: 'cannot contain line breaks' }),
  text: z.string().min(1).max(100_000).describe('Plain-text body'),
  html: z.string().max(200_000).optional().describe('Optional HTML body; text is still sent for clients without HTML'),
});

/** Writes the outbox row; after a sent mail a failed write must not make the model send it again. */
async function record(ctx: ToolContext, mail: EmailRecord): Promise<string | null> {
  try {
    return (await new Outbox(ctx.database).record(ctx.orgId, mail)).id;
  } catch (err) {
    if (mail.status !== 'sent') throw err;
    ctx.logger.error({ err, runId: ctx.runId }, 'send_email: the mail was sent but its outbox row could not be written');
    return null;
  }
}

/**
 * Sends mail through SMTP_URL with nodemailer (from SMTP_FROM). Without SMTP_URL the mail is kept
 * in the outbox (status kept) for a person to read at GET /outbox: a fresh install works and
 * shows what its agents would have written. Every mail is recorded, sent, kept or failed.
 */
export const sendEmail = defineTool({
  name: 'send_email',
  category: 'messaging',
  description:
    'Sends an email (plain text, optional HTML) to one or more addresses. Returns status "sent", or "kept" when the server ' +
    'has no mail server configured (the message then waits in the outbox for a person).',
  inputSchema,
  outputSchema: z.object({
    id: z.string().nullable().describe('Outbox record id'),
    status: z.enum(['sent', 'kept']),
    kept: z.boolean(),
    messageId: z.string().nullable(),
  }),
  grantRoles: ['admin', 'owner'],
  requiresApproval: false,
  idempotent: false,
  timeoutMs: 30_000,
  describe: (input) => `Send an email to ${[input.to].flat().join(', ')}: '${input.subject}'`,
  async execute(input, ctx) {
    const mail = { ...input, to: [input.to].flat() };
    const base = { to: mail.to, subject: mail.subject, text: mail.text, html: mail.html ?? null, runId: ctx.runId };
    const smtpUrl = ctx.config.SMTP_URL;
    if (!smtpUrl) {
      const id = await record(ctx, { ...base, status: 'kept' });
      return { id, status: 'kept' as const, kept: true, messageId: null };
    }
    let messageId: string | null;
    try {
      ({ messageId } = await sendMail({ SMTP_URL: smtpUrl, SMTP_FROM: ctx.config.SMTP_FROM }, mail));
    } catch (err) {
      const error = safeSmtpMessage(err, smtpUrl);
      await record(ctx, { ...base, status: 'failed', error });
      throw new ToolError(`The mail server did not take the message: ${error}`);
    }
    const id = await record(ctx, { ...base, status: 'sent', messageId, sentAt: new Date() });
    return { id, status: 'sent' as const, kept: false, messageId };
  },
});
