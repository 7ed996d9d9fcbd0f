import nodemailer from 'nodemailer';

/** The SMTP settings mail needs (from Config). */
export interface SmtpSettings {
  SMTP_URL: string;
  SMTP_FROM: string;
}

export interface OutgoingMail {
  to: string | string[];
  subject: string;
  text: string;
  html?: string;
  /** Files sent with the mail (text content, e.g. a CSV report). */
  attachments?: { filename: string; contentType: string; content: string }[];
  /** A fixed Message-ID (`<id@host>`): a mail sent again after a crash is the same message to its reader's client. */
  messageId?: string;
}

// Connection limits below the send_email tool's 30 s, so a dead server ends as a clear SMTP error.
const SMTP_LIMITS = { connectionTimeout: 10_000, greetingTimeout: 10_000, socketTimeout: 20_000 };

/**
 * Sends one mail through SMTP_URL (nodemailer), from SMTP_FROM. The one SMTP client of the
 * server: the send_email tool and the account mails (invitations, sign-up) both use it.
 */
export async function sendMail(smtp: SmtpSettings, mail: OutgoingMail): Promise<{ messageId: string | null }> {
  const transport = nodemailer.createTransport({ url: smtp.SMTP_URL, ...SMTP_LIMITS });
  try {
    const info = await transport.sendMail({ from: smtp.SMTP_FROM, to: mail.to, subject: mail.subject, text: mail.text, ...(mail.html ? { html: mail.html } : {}), ...(mail.attachments?.length ? { attachments: mail.attachments } : {}), ...(mail.messageId ? { messageId: mail.messageId } : {}) });
    return { messageId: typeof info.messageId === 'string' ? info.messageId : null };
  } finally {
    transport.close();
  }
}

/** Error text from the mail library, minus the SMTP password should it ever appear in it. */
export function safeSmtpMessage(err: unknown, smtpUrl: string): string {
  let message = err instanceof Error ? err.message : String(err);
  const password = decodeURIComponent(new URL(smtpUrl).password);
  if (password) message = message.split(password).join('***');
  return message.slice(0, 500);
}
