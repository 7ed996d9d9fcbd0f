import { and, eq, sql } from 'drizzle-orm';
import type { ImapFlow } from 'imapflow';
import type { Database } from '../db/client.js';
import { rowFromJson } from '../db/json-row.js';
import { PassLoop } from '../shared/pass-loop.js';
import type { Logger } from '../shared/logger.js';
import { connectImap, imapErrorText } from './imap-client.js';
import { parseRaw, toPayload } from './message.js';
import { emailInboxes } from './schema.js';
import type { InboxRow, InboxService } from './service.js';

export interface PollerOptions {
  /** This process's name on the leases it takes. */
  owner: string;
  /** Inboxes taken per pass (default 4): each is one IMAP connection at a time. */
  batch?: number;
  /** Messages turned into events per inbox and pass (default 50); the rest come at the next pass, at once. */
  messagesPerPass?: number;
  /** How long a pass holds an inbox (default 120 s), renewed at every message. */
  leaseMs?: number;
  /** Sleep between passes that found nothing due (default 5 s; a new or changed inbox wakes it). */
  idleMs?: number;
}

/** After a UIDVALIDITY change, mail received this long before the last good poll is read again (clock skew, a poll in flight). */
const RESTART_MARGIN_MS = 10 * 60_000;

/** What one inbox's poll did. */
export interface PollResult {
  inboxId: string;
  emitted: number;
  error: string | null;
}

/** The dedupe key of an IMAP message: the same message read again (a crash, a replay) is stored once. */
export const imapDedupeKey = (inboxId: string, uidValidity: number, uid: number) => `imap:${inboxId}:${uidValidity}:${uid}`;

/**
 * Polls the organizations' IMAP inboxes (issue 16; docs/email.md). Every worker runs one; a pass
 * takes the inboxes whose interval has passed under a lease (FOR UPDATE SKIP LOCKED, as the event
 * processor takes events), so two processes never poll one inbox at once and a dead one's inbox
 * is polled again once its lease lapses.
 *
 * For each inbox: sign in (through the egress guard), open the mailbox read-only, and turn every
 * message with a UID above `last_uid` into an event (dedupe key `imap:<inbox>:<uidvalidity>:<uid>`),
 * then move `last_uid` to it. The event is stored first, so a crash in between repeats an emit
 * that dedupes, never loses a message; the cursor moves only under this process's lease.
 * - A new inbox starts at the mailbox's end: mail already there is not replayed (decision 71).
 * - A changed UIDVALIDITY (the mailbox was recreated) makes the old UIDs meaningless: the cursor
 *   starts again before the messages received since shortly before the last good poll.
 * - A message over TROUPE_SMTP_INBOUND_MAX_BYTES is read up to the limit and marked `truncated`.
 * - A failure (refused host, wrong password, no such mailbox, timeout) is kept in `last_error`
 *   (never with the password) and the inbox is tried again at its next interval.
 */
export class ImapPoller {
  private readonly loop: PassLoop;
  private readonly batch: number;
  private readonly perPass: number;
  private readonly leaseMs: number;
  private readonly idleMs: number;

  constructor(
    private readonly database: Database,
    private readonly inboxes: InboxService,
    private readonly logger: Logger,
    private readonly options: PollerOptions,
  ) {
    this.batch = options.batch ?? 4;
    this.perPass = options.messagesPerPass ?? 50;
    this.leaseMs = options.leaseMs ?? 120_000;
    this.idleMs = options.idleMs ?? 5000;
    this.loop = new PassLoop({ what: 'IMAP polling pass', logger, idleMs: this.idleMs, pass: async () => (await this.pass()).length > 0 });
  }

  start() {
    this.loop.start();
  }

  async stop() {
    await this.loop.stop();
  }

  /** An inbox became due (created, changed, "poll now"): look now. */
  kick() {
    this.loop.kick();
  }

  /** One pass: takes the due inboxes (up to `batch`) and polls each; returns what each did. */
  async pass(): Promise<PollResult[]> {
    const { rows } = await this.database.system((tx) =>
      tx.execute(sql`
        update email_inboxes set lease_until = now() + make_interval(secs => ${this.leaseMs / 1000}), lease_owner = ${this.options.owner}
        where id in (
          select id from email_inboxes
          where kind = 'imap' and enabled
            and (lease_until is null or lease_until < now())
            and (last_polled_at is null or last_polled_at <= now() - make_interval(secs => poll_seconds))
          order by last_polled_at nulls first limit ${this.batch}
          for update skip locked)
        returning to_jsonb(email_inboxes.*) as i`),
    );
    const taken = (rows as { i: Record<string, unknown> }[]).map((r) => rowFromJson(emailInboxes, r.i));
    return Promise.all(taken.map((row) => this.poll(row)));
  }

  /** Polls one inbox this process holds the lease of, and lets the lease go. */
  private async poll(row: InboxRow): Promise<PollResult> {
    let client: ImapFlow | null = null;
    let emitted = 0;
    let more = false;
    try {
      client = await connectImap(this.inboxes.imapTarget(row), this.inboxes.settings.privateHosts);
      const lock = await client.getMailboxLock(row.mailbox, { readOnly: true });
      try {
        ({ emitted, more } = await this.read(client, row));
      } finally {
        lock.release();
      }
      await this.finish(row, null, more);
      return { inboxId: row.id, emitted, error: null };
    } catch (err) {
      const error = err instanceof LostLease ? null : imapErrorText(err);
      if (error) {
        // The message only: an imapflow error may hold the command, never the password, but the
        // logs need no more than what the inbox's page shows.
        this.logger.info({ inboxId: row.id, orgId: row.orgId, error }, 'IMAP poll failed');
        await this.finish(row, error, false).catch((e: unknown) => this.logger.warn({ err: e, inboxId: row.id }, 'could not record an IMAP poll failure'));
      }
      return { inboxId: row.id, emitted, error: error ?? 'lease lost' };
    } finally {
      await client?.logout().catch(() => client?.close());
    }
  }

  private async read(client: ImapFlow, row: InboxRow): Promise<{ emitted: number; more: boolean }> {
    const mailbox = client.mailbox;
    if (!mailbox) throw new Error(`Could not open the mailbox ${row.mailbox}`);
    const uidValidity = Number(mailbox.uidValidity);
    let lastUid = row.lastUid;
    if (row.uidValidity === null) {
      // A new inbox (or a new mailbox): start at the end; only mail from now on becomes events.
      lastUid = mailbox.uidNext ? mailbox.uidNext - 1 : await maxUid(client);
      await this.advance(row, { uidValidity, lastUid });
      return { emitted: 0, more: false };
    }
    if (uidValidity !== row.uidValidity) {
      lastUid = await this.restartCursor(client, row);
      await this.advance(row, { uidValidity, lastUid });
    }
    const found = await client.search({ uid: `${lastUid + 1}:*` }, { uid: true });
    // `n:*` names the last message even when its UID is below n (RFC 3501): keep only new ones.
    const uids = (found || []).filter((u) => u > lastUid).sort((a, b) => a - b);
    const now = uids.slice(0, this.perPass);
    if (!now.length) return { emitted: 0, more: false };
    const sizes = new Map<number, number>();
    for await (const m of client.fetch(now.join(','), { uid: true, size: true }, { uid: true })) sizes.set(m.uid, m.size ?? 0);
    const max = this.inboxes.settings.maxBytes;
    let emitted = 0;
    for (const uid of now) {
      const big = (sizes.get(uid) ?? 0) > max;
      const msg = await client.fetchOne(String(uid), { uid: true, source: big ? { maxLength: max } : true }, { uid: true });
      if (msg && msg.source) {
        const parts = await parseRaw(msg.source);
        const payload = toPayload(row.id, 'imap', { ...parts, truncated: big });
        const { created } = await this.inboxes.receive(row, payload, imapDedupeKey(row.id, uidValidity, uid));
        if (created) emitted++;
      }
      // After the event is stored: a crash before this repeats the emit, which dedupes.
      await this.advance(row, { lastUid: uid });
    }
    return { emitted, more: uids.length > now.length };
  }

  /**
   * After a UIDVALIDITY change: the cursor goes just before the first message received within
   * RESTART_MARGIN_MS before the last good poll, so nothing that came in since is lost and older
   * mail is not replayed (what came in during the margin may be, once: its old keys named the old
   * UIDs). With no such message, the mailbox's end.
   */
  private async restartCursor(client: ImapFlow, row: InboxRow): Promise<number> {
    const cutoff = (row.lastPolledAt ?? new Date()).getTime() - RESTART_MARGIN_MS;
    // SEARCH SINCE counts whole days (RFC 3501): the candidates, then their exact times.
    const found = await client.search({ since: new Date(cutoff - 86_400_000) }, { uid: true });
    let first: number | null = null;
    if (found && found.length) {
      for await (const m of client.fetch(found.join(','), { uid: true, internalDate: true }, { uid: true })) {
        const at = m.internalDate ? new Date(m.internalDate).getTime() : Number.POSITIVE_INFINITY;
        if (at >= cutoff && (first === null || m.uid < first)) first = m.uid;
      }
    }
    if (first !== null) return first - 1;
    return client.mailbox && client.mailbox.uidNext ? client.mailbox.uidNext - 1 : maxUid(client);
  }

  /** Moves the cursor and renews the lease, only while this process holds it. */
  private async advance(row: InboxRow, set: { uidValidity?: number; lastUid: number }) {
    const done = await this.database.withOrg(row.orgId, (tx) =>
      tx
        .update(emailInboxes)
        .set({ ...set, leaseUntil: sql`now() + make_interval(secs => ${this.leaseMs / 1000})` })
        .where(and(eq(emailInboxes.id, row.id), eq(emailInboxes.leaseOwner, this.options.owner)))
        .returning({ id: emailInboxes.id }),
    );
    if (!done.length) throw new LostLease();
  }

  /** Records the poll (its error, or none) and lets the lease go; `more`: due again at once. */
  private async finish(row: InboxRow, error: string | null, more: boolean) {
    await this.database.withOrg(row.orgId, (tx) =>
      tx
        .update(emailInboxes)
        .set({
          lastPolledAt: more ? sql`now() - make_interval(secs => poll_seconds)` : sql`now()`,
          lastError: error,
          leaseUntil: null,
          leaseOwner: null,
        })
        .where(and(eq(emailInboxes.id, row.id), eq(emailInboxes.leaseOwner, this.options.owner))),
    );
    if (more) this.kick();
  }
}

/** The lease was taken over (this process stalled past it): stop without writing. */
class LostLease extends Error {
  override name = 'LostLease';
}

async function maxUid(client: ImapFlow): Promise<number> {
  const all = await client.search({ all: true }, { uid: true });
  return (all || []).reduce((a, b) => Math.max(a, b), 0);
}
