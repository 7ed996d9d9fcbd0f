import type { Config } from '../config/load.js';
import type { Logger } from '../shared/logger.js';
import { safeSmtpMessage, sendMail, type OutgoingMail } from '../shared/mail.js';

/**
 * Mail about people's accounts (invitations, sign-up links, "someone tried to sign up with your
 * address"), through the same SMTP client as the send_email tool. Sent only with SMTP_URL set.
 * The log names what was sent and its ids, never the link: links carry bearer tokens.
 */
export class AccountMail {
  constructor(
    private readonly config: Config,
    private readonly logger: Logger,
  ) {}

  /** Whether SMTP_URL is set, so account mail can be sent. */
  get enabled(): boolean {
    return Boolean(this.config.SMTP_URL);
  }

  /** True when the mail server took the mail; false (and a warning) when not or not configured. */
  async send(kind: string, mail: OutgoingMail, ids: Record<string, string> = {}): Promise<boolean> {
    const smtpUrl = this.config.SMTP_URL;
    if (!smtpUrl) return false;
    try {
      await sendMail({ SMTP_URL: smtpUrl, SMTP_FROM: this.config.SMTP_FROM }, mail);
      this.logger.info({ kind, ...ids }, 'account mail sent');
      return true;
    } catch (err) {
      this.logger.warn({ kind, ...ids, error: safeSmtpMessage(err, smtpUrl) }, 'account mail could not be sent');
      return false;
    }
  }

  /** Sends without waiting (the answer must not depend on the mail server); failures are logged. */
  sendLater(kind: string, mail: OutgoingMail, ids: Record<string, string> = {}): void {
    void this.send(kind, mail, ids);
  }
}
