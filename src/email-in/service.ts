import { randomBytes, randomUUID } from 'node:crypto';
import { and, desc, eq } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import type { EventRow, EventService } from '../events/service.js';
import { sha256, type SecretBox } from '../shared/crypto.js';
import { AppError, badRequest, conflict, isUniqueViolation, notFound, type FieldError } from '../shared/errors.js';
import { UUID_RE } from '../shared/ids.js';
import type { Actor } from '../shared/roles.js';
import { addressAllowed, hostAllowed } from '../tools/net/allowlist.js';
import { classifyAddress, parseIp } from '../tools/net/ip.js';
import type { CreateInboxInput, EmailPayload, UpdateInboxInput } from './dto.js';
import { connectImap, imapErrorText } from './imap-client.js';
import { emailInboxes } from './schema.js';
import type { EmailSettings } from './settings.js';

export type InboxRow = typeof emailInboxes.$inferSelect;

/** An inbox as the intakes read it (kept HOT_MS; dropped here on a change). */
interface Hot {
  row: InboxRow | null;
  at: number;
}
const HOT_MS = 2000;
const BASE32 = 'abcdefghijklmnopqrstuvwxyz234567';

/** `in-` and 12 base32 characters (60 random bits): an address nobody guesses. */
export function newLocalPart(): string {
  const bytes = randomBytes(12);
  return `in-${Array.from(bytes, (b) => BASE32[b & 31]).join('')}`;
}

/** The password's and signing key's associated data: a value copied to another inbox or organization does not decrypt. */
export const passwordAad = (orgId: string, inboxId: string) => `email-inbox:${orgId}:${inboxId}:password`;
export const signingKeyAad = (orgId: string, inboxId: string) => `email-inbox:${orgId}:${inboxId}:signing-key`;

const IMAP_FIELDS = ['host', 'port', 'secure', 'username', 'password', 'mailbox', 'pollSeconds'] as const;

/**
 * Inbound email inboxes (issue 16; docs/email.md): what an organization creates (an SMTP
 * address, an IMAP mailbox to poll, an inbound-parse webhook), and what every intake calls to
 * find an inbox and store a mail as an event before the sender is answered.
 */
export class InboxService {
  private readonly byLocal = new Map<string, Hot>();
  private readonly idCache = new Map<string, Hot>();
  /** Called when an IMAP inbox should be polled soon (created, changed, "poll now"). */
  onDue: (() => void) | null = null;

  constructor(
    private readonly database: Database,
    private readonly secrets: SecretBox,
    private readonly events: EventService,
    readonly settings: EmailSettings,
  ) {}

  async list(actor: Actor): Promise<InboxRow[]> {
    return this.database.readOrg(actor.orgId, (tx) => tx.select().from(emailInboxes).where(eq(emailInboxes.orgId, actor.orgId)).orderBy(desc(emailInboxes.createdAt)).limit(1000));
  }

  async get(actor: Actor, id: string): Promise<InboxRow> {
    if (!UUID_RE.test(id)) throw notFound('Email inbox');
    const [row] = await this.database.readOrg(actor.orgId, (tx) => tx.select().from(emailInboxes).where(and(eq(emailInboxes.orgId, actor.orgId), eq(emailInboxes.id, id))));
    if (!row) throw notFound('Email inbox');
    return row;
  }

  /** A new inbox; a parse inbox's token is made here and shown once (only its hash is kept). */
  async create(actor: Actor, input: CreateInboxInput): Promise<{ row: InboxRow; token: string | null }> {
    const id = randomUUID();
    const base = { id, orgId: actor.orgId, name: input.name, kind: input.kind, eventType: input.eventType, enabled: input.enabled, createdBy: actor.userId };
    let token: string | null = null;
    let values: typeof emailInboxes.$inferInsert;
    if (input.kind === 'smtp') values = { ...base, localPart: newLocalPart() };
    else if (input.kind === 'imap') {
      this.checkHost(input.host);
      values = {
        ...base,
        host: input.host,
        port: input.port,
        secure: input.secure,
        username: input.username,
        passwordEnc: this.secrets.encrypt(input.password, passwordAad(actor.orgId, id)),
        mailbox: input.mailbox,
        pollSeconds: input.pollSeconds,
      };
    } else {
      if (input.signingKey && input.provider !== 'mailgun') throw badRequest('Only Mailgun posts are signed with a signing key', [{ path: 'body.signingKey', message: 'only for provider mailgun' }]);
      token = `eml_${randomBytes(24).toString('base64url')}`;
      values = { ...base, provider: input.provider, tokenHash: sha256(token), signingKeyEnc: input.signingKey ? this.secrets.encrypt(input.signingKey, signingKeyAad(actor.orgId, id)) : null };
    }
    // A local part taken already (60 random bits: practically never) gets another.
    for (let attempt = 0; ; attempt++) {
      try {
        const [row] = await this.database.withOrg(actor.orgId, (tx) => tx.insert(emailInboxes).values(values).returning());
        if (row!.kind === 'imap') this.onDue?.();
        return { row: row!, token };
      } catch (err) {
        if (!isUniqueViolation(err) || input.kind !== 'smtp' || attempt > 3) throw err;
        values = { ...values, localPart: newLocalPart() };
      }
    }
  }

  async update(actor: Actor, id: string, patch: UpdateInboxInput): Promise<InboxRow> {
    const current = await this.get(actor, id);
    const wrong: FieldError[] = [];
    const given = (k: keyof UpdateInboxInput) => patch[k] !== undefined;
    if (current.kind !== 'imap') for (const k of IMAP_FIELDS) if (given(k)) wrong.push({ path: `body.${k}`, message: `only for IMAP inboxes (this one is ${current.kind})` });
    if (given('signingKey') && current.provider !== 'mailgun') wrong.push({ path: 'body.signingKey', message: 'only for Mailgun parse inboxes' });
    if (wrong.length) throw badRequest(`${wrong[0]!.path}: ${wrong[0]!.message}`, wrong);
    if (patch.host) this.checkHost(patch.host);
    const { password, signingKey, ...plain } = patch;
    const set: Partial<typeof emailInboxes.$inferInsert> = Object.fromEntries(Object.entries(plain).filter(([, v]) => v !== undefined));
    if (password !== undefined) set.passwordEnc = this.secrets.encrypt(password, passwordAad(current.orgId, id));
    if (signingKey !== undefined) set.signingKeyEnc = signingKey === null ? null : this.secrets.encrypt(signingKey, signingKeyAad(current.orgId, id));
    // Another server, account or mailbox: the cursor belongs to the old one.
    const moved = (['host', 'port', 'username', 'mailbox'] as const).some((k) => patch[k] !== undefined && patch[k] !== current[k]);
    if (moved) Object.assign(set, { uidValidity: null, lastUid: 0 });
    // Something that may fix a failing poll: try again soon.
    if (current.kind === 'imap' && (moved || password !== undefined || patch.enabled || patch.secure !== undefined)) Object.assign(set, { lastPolledAt: null, lastError: null });
    const [row] = await this.database.withOrg(actor.orgId, (tx) =>
      tx
        .update(emailInboxes)
        .set({ ...set, updatedAt: new Date() })
        .where(and(eq(emailInboxes.orgId, actor.orgId), eq(emailInboxes.id, id)))
        .returning(),
    );
    this.forget(row!);
    if (row!.kind === 'imap' && row!.enabled) this.onDue?.();
    return row!;
  }

  async remove(actor: Actor, id: string): Promise<void> {
    const row = await this.get(actor, id);
    await this.database.withOrg(actor.orgId, (tx) => tx.delete(emailInboxes).where(and(eq(emailInboxes.orgId, actor.orgId), eq(emailInboxes.id, id))));
    this.forget(row);
  }

  /** A parse inbox's new token (shown once); the old one stops working now. */
  async rotateToken(actor: Actor, id: string): Promise<{ row: InboxRow; token: string }> {
    const current = await this.get(actor, id);
    if (current.kind !== 'parse') throw conflict(`A ${current.kind} inbox has no token`, 'not_a_parse_inbox');
    const token = `eml_${randomBytes(24).toString('base64url')}`;
    const [row] = await this.database.withOrg(actor.orgId, (tx) =>
      tx
        .update(emailInboxes)
        .set({ tokenHash: sha256(token), updatedAt: new Date() })
        .where(and(eq(emailInboxes.orgId, actor.orgId), eq(emailInboxes.id, id)))
        .returning(),
    );
    this.forget(row!);
    return { row: row!, token };
  }

  /** An IMAP inbox: polled at the next chance, whatever its interval. */
  async pollNow(actor: Actor, id: string): Promise<InboxRow> {
    const current = await this.get(actor, id);
    if (current.kind !== 'imap') throw conflict(`A ${current.kind} inbox is not polled`, 'not_an_imap_inbox');
    const [row] = await this.database.withOrg(actor.orgId, (tx) => tx.update(emailInboxes).set({ lastPolledAt: null }).where(and(eq(emailInboxes.orgId, actor.orgId), eq(emailInboxes.id, id))).returning());
    this.onDue?.();
    return row!;
  }

  /** Signs in to an IMAP inbox's server and opens its mailbox (read-only); says what went wrong. */
  async testConnection(actor: Actor, id: string): Promise<{ ok: boolean; error: string | null; messages: number | null; uidValidity: number | null }> {
    const row = await this.get(actor, id);
    if (row.kind !== 'imap') throw conflict(`A ${row.kind} inbox has no server to test`, 'not_an_imap_inbox');
    let client: Awaited<ReturnType<typeof connectImap>> | null = null;
    try {
      client = await connectImap(this.imapTarget(row), this.settings.privateHosts);
      const lock = await client.getMailboxLock(row.mailbox, { readOnly: true });
      try {
        const mailbox = client.mailbox;
        return { ok: true, error: null, messages: mailbox ? mailbox.exists : null, uidValidity: mailbox ? Number(mailbox.uidValidity) : null };
      } finally {
        lock.release();
      }
    } catch (err) {
      return { ok: false, error: imapErrorText(err), messages: null, uidValidity: null };
    } finally {
      await client?.logout().catch(() => client?.close());
    }
  }

  /** Where and as whom an IMAP inbox connects (the password decrypted). */
  imapTarget(row: InboxRow) {
    return { host: row.host!, port: row.port!, secure: row.secure ?? true, username: row.username!, password: this.secrets.decrypt(row.passwordEnc!, passwordAad(row.orgId, row.id)) };
  }

  /** The latest mail an inbox turned into events, newest first (the events with its inboxId). */
  async deliveries(actor: Actor, id: string) {
    const row = await this.get(actor, id);
    const page = await this.events.list(actor, { type: row.eventType, source: 'email', limit: 100, sortOrder: 'desc', sortBy: 'createdAt' });
    return page.items
      .filter((e) => (e.payload as { inboxId?: string } | null)?.inboxId === id)
      .slice(0, 50)
      .map((e) => {
        const p = e.payload as Partial<EmailPayload>;
        return { eventId: e.id, receivedAt: e.createdAt.toISOString(), from: p.from?.address ?? null, subject: p.subject ?? null, attachments: p.attachments?.length ?? 0, truncated: !!p.truncated };
      });
  }

  /** Stores one mail as an event of the inbox (once per dedupe key); the sender is answered after this. */
  async receive(row: InboxRow, payload: EmailPayload, dedupeKey: string): Promise<{ event: EventRow; created: boolean }> {
    return this.events.emit(row.orgId, { type: row.eventType, source: 'email', payload, dedupeKey, occurredAt: payload.date ? new Date(payload.date) : undefined });
  }

  /** The SMTP inbox of a local part (any organization), or null. Read across tenants, cached 2 s. */
  async bySmtpLocalPart(localPart: string): Promise<InboxRow | null> {
    const key = localPart.toLowerCase();
    if (!/^in-[a-z2-7]{12}$/.test(key)) return null;
    return this.cached(this.byLocal, key, () => this.database.system((tx) => tx.select().from(emailInboxes).where(and(eq(emailInboxes.localPart, key), eq(emailInboxes.kind, 'smtp')))));
  }

  /** Any inbox by id (any organization), or null: the inbound-parse intake's lookup, cached 2 s. */
  async byId(id: string): Promise<InboxRow | null> {
    if (!UUID_RE.test(id)) return null;
    return this.cached(this.idCache, id, () => this.database.system((tx) => tx.select().from(emailInboxes).where(eq(emailInboxes.id, id))));
  }

  /** Mailgun's signing key of a parse inbox, decrypted. */
  signingKeyOf(row: InboxRow): string | null {
    return row.signingKeyEnc ? this.secrets.decrypt(row.signingKeyEnc, signingKeyAad(row.orgId, row.id)) : null;
  }

  private async cached(map: Map<string, Hot>, key: string, load: () => Promise<InboxRow[]>): Promise<InboxRow | null> {
    const hit = map.get(key);
    if (hit && Date.now() - hit.at < HOT_MS) return hit.row;
    const [row] = await load();
    // Unknown keys are remembered too: a flood of made-up addresses costs no query each.
    if (map.size > 10_000) map.clear();
    map.set(key, { row: row ?? null, at: Date.now() });
    return row ?? null;
  }

  private forget(row: InboxRow) {
    this.idCache.delete(row.id);
    if (row.localPart) this.byLocal.delete(row.localPart);
  }

  /**
   * A host written as a private address (or `localhost`) is refused at once unless
   * TROUPE_PRIVATE_MAIL_HOSTS covers it; a name is resolved and checked at every connection.
   */
  private checkHost(host: string) {
    const bare = host.replace(/^\[(.*)\]$/, '$1').replace(/\.$/, '');
    const allow = this.settings.privateHosts;
    const ip = parseIp(bare);
    let kind: string | null = null;
    if (ip) kind = classifyAddress(ip) && !addressAllowed(allow, ip) ? classifyAddress(ip) : null;
    else if ((bare === 'localhost' || bare.endsWith('.localhost')) && !hostAllowed(allow, bare) && !addressAllowed(allow, parseIp('127.0.0.1')!)) kind = 'loopback';
    if (kind) {
      const message = `${host} is a ${kind} address, which an organization's inbox may not reach; the server operator can allow it with TROUPE_PRIVATE_MAIL_HOSTS`;
      throw new AppError(400, 'host_not_allowed', message, [{ path: 'body.host', message }]);
    }
  }
}
