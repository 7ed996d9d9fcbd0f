import { createRequire } from 'node:module';
import type { AddressInfo, Server } from 'node:net';

/** The parts of hoodiecrow-imap (an IMAP4rev1 test server by imapflow's author; no types) the tests use. */
interface Hoodiecrow {
  server: Server;
  listen(port: number, host: string, cb?: () => void): void;
  close(cb?: () => void): void;
  appendMessage(mailbox: string, flags: string[], internaldate: Date | string, raw: string): void;
  getMailbox(path: string): { uidvalidity: number; uidnext: number; messages: unknown[] };
}

export interface ImapTestServer {
  port: number;
  user: string;
  password: string;
  /** Delivers a message to INBOX (received now, or at `receivedAt`). */
  deliver(raw: string, receivedAt?: Date): void;
  /** The mailbox was recreated: a new UIDVALIDITY (the UIDs it had mean nothing now). */
  changeUidValidity(value: number): void;
  close(): Promise<void>;
}

/**
 * A real IMAP server on 127.0.0.1 and a free port, in this process (hoodiecrow-imap): one user,
 * an INBOX holding `initial`. Nothing is written to disk.
 */
export async function startImapServer(initial: { raw: string; receivedAt?: Date }[] = []): Promise<ImapTestServer> {
  const hoodiecrow = createRequire(import.meta.url)('hoodiecrow-imap') as (options: unknown) => Hoodiecrow;
  const user = 'inbox-user';
  const password = 'imap-secret-password';
  const imap = hoodiecrow({
    plugins: ['ID', 'UNSELECT', 'ENABLE'],
    users: { [user]: { password } },
    storage: { INBOX: { messages: initial.map((m) => ({ raw: m.raw, ...(m.receivedAt ? { internaldate: m.receivedAt } : {}) })) } },
  });
  await new Promise<void>((resolve) => imap.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (imap.server.address() as AddressInfo).port,
    user,
    password,
    deliver: (raw, receivedAt = new Date()) => imap.appendMessage('INBOX', [], receivedAt, raw),
    changeUidValidity: (value) => {
      imap.getMailbox('INBOX').uidvalidity = value;
    },
    close: () => new Promise((resolve) => imap.close(() => resolve())),
  };
}
