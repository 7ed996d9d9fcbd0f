import { and, eq } from 'drizzle-orm';
import type { Actor } from '../shared/roles.js';
import type { Database } from '../db/client.js';
import { timestampSort } from '../shared/keyset.js';
import type { Page, PageQuery } from '../shared/pagination.js';
import { keysetPage } from '../shared/keyset.js';
import { outboxEmails } from './schema.js';
import type { EmailStatus } from './enums.js';

export { EMAIL_STATUSES, type EmailStatus } from './enums.js';

/** An outbox row with its status typed (the column is text; only this module writes it). */
export type OutboxRow = Omit<typeof outboxEmails.$inferSelect, 'status'> & { status: EmailStatus };
const view = (row: typeof outboxEmails.$inferSelect): OutboxRow => ({ ...row, status: row.status as EmailStatus });

export interface EmailRecord {
  to: string[];
  subject: string;
  text: string;
  html?: string | null;
  /** kept: no SMTP configured, the mail waits here; sent; failed (with `error`). */
  status: EmailStatus;
  error?: string | null;
  messageId?: string | null;
  runId?: string | null;
  sentAt?: Date | null;
}

/** Every mail `send_email` handled, sent or not: the audit trail of what agents wrote to whom. */
export class Outbox {
  constructor(private readonly database: Database) {}

  async record(orgId: string, mail: EmailRecord): Promise<OutboxRow> {
    const [row] = await this.database.withOrg(orgId, (tx) =>
      tx
        .insert(outboxEmails)
        .values({
          orgId,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html ?? null,
          status: mail.status,
          error: mail.error ?? null,
          messageId: mail.messageId ?? null,
          runId: mail.runId ?? null,
          sentAt: mail.sentAt ?? null,
        })
        .returning(),
    );
    return view(row!);
  }

  /** Newest first by default. */
  async list(actor: Actor, q: PageQuery & { status?: EmailStatus }): Promise<Page<OutboxRow>> {
    const where = and(eq(outboxEmails.orgId, actor.orgId), q.status ? eq(outboxEmails.status, q.status) : undefined);
    const spec = { table: outboxEmails, id: outboxEmails.id, sort: timestampSort(outboxEmails.createdAt), sortName: 'outbox', where };
    return this.database.withOrg(actor.orgId, (tx) => keysetPage(tx, spec, q, view));
  }
}
