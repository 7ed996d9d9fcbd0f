import { and, count, eq, getTableColumns, sql } from 'drizzle-orm';
import type { Actor } from '../shared/roles.js';
import type { Database } from '../db/client.js';
import { notFound } from '../shared/errors.js';
import { UUID_RE } from '../shared/ids.js';
import { keysetAfter, keysetOrder, timestampSort, toPage } from '../shared/keyset.js';
import { assertOneOfOffsetCursor, type Page, type PageQuery } from '../shared/pagination.js';
import { outboxEmails } from './schema.js';
import type { EmailStatus } from './enums.js';

export { EMAIL_STATUSES, type EmailStatus } from './enums.js';

/** Most attachment bytes one mail carries (callers refuse bigger files with a message of their own). */
export const MAX_ATTACHMENT_BYTES = 5 * 1024 * 1024;

/** A file sent with a mail: its text content is kept with the row, lists show only what it is. */
export interface EmailAttachment {
  filename: string;
  contentType: string;
  content: string;
}
export interface AttachmentInfo {
  index: number;
  filename: string;
  contentType: string;
  bytes: number;
}

/** An outbox row with its status typed (the column is text; only this module writes it) and its attachments described. */
export type OutboxRow = Omit<typeof outboxEmails.$inferSelect, 'status' | 'attachments'> & { status: EmailStatus; attachments: AttachmentInfo[] };
const view = (row: typeof outboxEmails.$inferSelect): OutboxRow => ({
  ...row,
  status: row.status as EmailStatus,
  attachments: row.attachments.map((a, index) => ({ index, filename: a.filename, contentType: a.contentType, bytes: Buffer.byteLength(a.content) })),
});

export interface EmailRecord {
  to: string[];
  subject: string;
  text: string;
  html?: string | null;
  attachments?: EmailAttachment[];
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
    const bytes = (mail.attachments ?? []).reduce((n, a) => n + Buffer.byteLength(a.content), 0);
    if (bytes > MAX_ATTACHMENT_BYTES) throw new RangeError(`attachments of ${bytes} bytes exceed ${MAX_ATTACHMENT_BYTES}`);
    const [row] = await this.database.withOrg(orgId, (tx) =>
      tx
        .insert(outboxEmails)
        .values({
          orgId,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          html: mail.html ?? null,
          attachments: mail.attachments ?? [],
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

  /** One attachment of one mail of the organization; 404 when either is not there. */
  async attachment(actor: Actor, id: string, index: number): Promise<EmailAttachment> {
    if (!UUID_RE.test(id)) throw notFound('Mail');
    const [row] = await this.database.withOrg(actor.orgId, (tx) =>
      tx
        .select({ attachments: outboxEmails.attachments })
        .from(outboxEmails)
        .where(and(eq(outboxEmails.orgId, actor.orgId), eq(outboxEmails.id, id))),
    );
    if (!row) throw notFound('Mail');
    const file = row.attachments[index];
    if (!file) throw notFound('Attachment');
    return file;
  }

  /**
   * Newest first by default. Attachments are described (name, type, size), not read out: a page of
   * exports would otherwise carry every file.
   */
  async list(actor: Actor, q: PageQuery & { status?: EmailStatus }): Promise<Page<OutboxRow>> {
    assertOneOfOffsetCursor(q);
    const o = outboxEmails;
    const where = and(eq(o.orgId, actor.orgId), q.status ? eq(o.status, q.status) : undefined);
    const sort = timestampSort(o.createdAt);
    const { attachments: _content, ...columns } = getTableColumns(o);
    const described = sql<AttachmentInfo[]>`coalesce((select jsonb_agg(jsonb_build_object('index', a.i - 1, 'filename', a.f->>'filename', 'contentType', a.f->>'contentType', 'bytes', octet_length(a.f->>'content')) order by a.i) from jsonb_array_elements(${o.attachments}) with ordinality a(f, i)), '[]'::jsonb)`;
    return this.database.withOrg(actor.orgId, async (tx) => {
      const [[{ total } = { total: 0 }], rows] = await Promise.all([
        tx.select({ total: count() }).from(o).where(where),
        tx
          .select({ ...columns, described, sortKey: sort.key })
          .from(o)
          .where(and(where, q.cursor ? keysetAfter(sort, o.id, q.sortOrder, q.cursor, 'outbox') : undefined))
          .orderBy(...keysetOrder(sort, o.id, q.sortOrder))
          .limit(q.limit + 1)
          .offset(q.offset ?? 0),
      ]);
      return toPage(rows, q, total, ({ described: files, sortKey: _key, ...row }) => ({ ...row, status: row.status as EmailStatus, attachments: files }));
    });
  }
}
