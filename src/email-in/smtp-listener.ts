import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerAddress, type SMTPServerDataStream, type SMTPServerSession } from 'smtp-server';
import type { Logger } from '../shared/logger.js';
import { dedupeKey, parseRaw, toPayload } from './message.js';
import type { InboxRow, InboxService } from './service.js';

/** An SMTP answer: `responseCode` is what smtp-server sends back. */
function smtpError(code: number, message: string): Error & { responseCode: number } {
  return Object.assign(new Error(message), { responseCode: code });
}

/**
 * The inbound SMTP listener (issue 16; docs/email.md): an MX for the organizations' SMTP inbox
 * addresses (`in-…@<TROUPE_SMTP_INBOUND_DOMAIN>`). It relays nothing and asks for no AUTH.
 * - RCPT TO an address that is not an enabled inbox: 550 at once (before any data is sent).
 * - A message over TROUPE_SMTP_INBOUND_MAX_BYTES: 552 (the limit is announced with SIZE).
 * - Otherwise the message is parsed and stored as one event per inbox it was sent to, and only
 *   then 250 is answered; when the database cannot store it, 451, so the sender tries again (the
 *   dedupe key `smtp:<inbox>:<Message-ID>` keeps the retry from being stored twice).
 * STARTTLS is not offered (decision 71: a listener behind an MTA or a proxy that terminates TLS).
 */
export class SmtpListener {
  private server: SMTPServer | null = null;

  constructor(
    private readonly inboxes: InboxService,
    private readonly logger: Logger,
  ) {}

  get domain() {
    return this.inboxes.settings.domain;
  }

  /** Listens on `port` (TROUPE_SMTP_INBOUND_PORT; 0: any free port) and `host`; resolves with the bound port. */
  async start(port: number, host = this.inboxes.settings.smtpHost): Promise<number> {
    if (this.server) throw new Error('The SMTP listener is already started');
    const maxBytes = this.inboxes.settings.maxBytes;
    const server = new SMTPServer({
      name: this.domain,
      banner: 'Troupe inbound mail',
      size: maxBytes,
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      maxClients: 200,
      // On shutdown, connections still open after this are closed.
      closeTimeout: 5000,
      onRcptTo: (address, _session, callback) => {
        this.inboxOf(address.address).then(
          (row) => callback(row ? undefined : smtpError(550, `5.1.1 <${address.address}>: no such mailbox here`)),
          (err: unknown) => {
            this.logger.warn({ err }, 'inbound SMTP: could not look up a recipient; answered 451');
            callback(smtpError(451, '4.3.0 Temporary failure, try again later'));
          },
        );
      },
      onData: (stream, session, callback) => {
        this.receive(stream, session, maxBytes).then(
          () => callback(null),
          (err: Error) => callback(err),
        );
      },
    });
    server.on('error', (err) => this.logger.warn({ err }, 'inbound SMTP listener error'));
    await new Promise<void>((resolve, reject) => {
      server.server.once('error', reject);
      server.listen(port, host, () => {
        server.server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    const bound = (server.server.address() as AddressInfo).port;
    this.logger.info({ port: bound, host, domain: this.domain }, 'inbound SMTP listener started');
    return bound;
  }

  /** Stops listening; open connections get a few seconds to finish. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = null;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** The enabled inbox an address names: `in-…` (or `in-…+anything`) at our domain. */
  private async inboxOf(address: string): Promise<InboxRow | null> {
    const at = address.lastIndexOf('@');
    if (at < 1 || address.slice(at + 1).toLowerCase().replace(/\.$/, '') !== this.domain) return null;
    const local = address.slice(0, at).split('+')[0]!;
    const row = await this.inboxes.bySmtpLocalPart(local);
    return row?.enabled ? row : null;
  }

  private async receive(stream: SMTPServerDataStream, session: SMTPServerSession, maxBytes: number): Promise<void> {
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size <= maxBytes) chunks.push(chunk);
    }
    if (stream.sizeExceeded || size > maxBytes) throw smtpError(552, `5.3.4 Message too big: this server takes at most ${maxBytes} bytes`);
    const raw = Buffer.concat(chunks);
    let parts;
    try {
      parts = await parseRaw(raw);
    } catch {
      throw smtpError(554, '5.6.0 The message could not be parsed');
    }
    const rows = new Map<string, InboxRow>();
    for (const rcpt of session.envelope.rcptTo as SMTPServerAddress[]) {
      const row = await this.inboxOf(rcpt.address).catch(() => null);
      if (row) rows.set(row.id, row);
    }
    if (!rows.size) throw smtpError(550, '5.1.1 None of the recipients is a mailbox here any more');
    try {
      await Promise.all(
        [...rows.values()].map((row) => {
          const payload = toPayload(row.id, 'smtp', parts);
          return this.inboxes.receive(row, payload, dedupeKey('smtp', row.id, payload.messageId, raw));
        }),
      );
    } catch (err) {
      this.logger.warn({ err }, 'inbound SMTP: could not store a message; answered 451 (the sender retries)');
      throw smtpError(451, '4.3.0 Could not store the message now, try again later');
    }
  }
}
