import { randomBytes } from 'node:crypto';
import { and, desc, eq } from 'drizzle-orm';
import type { Database } from '../db/client.js';
import type { SecretBox } from '../shared/crypto.js';
import { AppError, badRequest, notFound } from '../shared/errors.js';
import { UUID_RE } from '../shared/ids.js';
import { inspect } from '../http/input-guard.js';
import type { Actor } from '../shared/roles.js';
import { checkSyntax, evaluateExpression, type ExpressionScope } from '../workflows/expressions.js';
import { BodyError, parseWebhookBody } from './body.js';
import type { CreateEndpointInput, UpdateEndpointInput } from './dto.js';
import { eventType as eventTypeSchema } from './dto.js';
import { webhookEndpoints, webhookRejections } from './schema.js';
import type { EventRow, EventService } from './service.js';
import { verifyWebhook, type VerificationScheme } from './verify.js';

export type EndpointRow = typeof webhookEndpoints.$inferSelect;

/** One inbound request, as the public route hands it over. */
export interface InboundRequest {
  headers: Record<string, string | string[] | undefined>;
  rawBody: Buffer;
  query: Record<string, unknown>;
}

/** An endpoint as the intake reads it: the row and its secret in plain text (kept 2 s, dropped on a change here). */
interface Hot {
  row: EndpointRow;
  secret: string | null;
  at: number;
}
const HOT_MS = 2000;

const secretAad = (id: string) => `webhook:${id}`;

/**
 * Inbound webhook endpoints (issue 16; docs/events.md): what an organization creates, and the
 * intake of `POST /hooks/{id}`: verified (token, HMAC, GitHub, Stripe), parsed (JSON, form posts,
 * multipart text fields), mapped (JSONata) and stored as an event before the sender is answered.
 * Refused deliveries are kept (webhook_rejections) with the reason, for the endpoint's page.
 */
export class WebhookService {
  private readonly hot = new Map<string, Hot>();
  private readonly missing = new Map<string, number>();

  constructor(
    private readonly database: Database,
    private readonly secrets: SecretBox,
    private readonly events: EventService,
  ) {}

  async list(actor: Actor): Promise<EndpointRow[]> {
    return this.database.readOrg(actor.orgId, (tx) => tx.select().from(webhookEndpoints).where(eq(webhookEndpoints.orgId, actor.orgId)).orderBy(desc(webhookEndpoints.createdAt)).limit(1000));
  }

  async get(actor: Actor, id: string): Promise<EndpointRow> {
    if (!UUID_RE.test(id)) throw notFound('Webhook endpoint');
    const [row] = await this.database.readOrg(actor.orgId, (tx) => tx.select().from(webhookEndpoints).where(and(eq(webhookEndpoints.orgId, actor.orgId), eq(webhookEndpoints.id, id))));
    if (!row) throw notFound('Webhook endpoint');
    return row;
  }

  /** A new endpoint; its secret (given, or made here) is shown once, in the answer. */
  async create(actor: Actor, input: CreateEndpointInput): Promise<{ row: EndpointRow; secret: string | null }> {
    checkMapping(input.mapping);
    const secret = input.verification === 'none' ? null : (input.secret ?? `whsec_${randomBytes(24).toString('base64url')}`);
    return this.database.withOrg(actor.orgId, async (tx) => {
      const [row] = await tx
        .insert(webhookEndpoints)
        .values({
          orgId: actor.orgId,
          name: input.name,
          eventType: input.eventType,
          mapping: input.mapping ?? null,
          verification: input.verification,
          signatureHeader: input.signatureHeader ?? null,
          toleranceSeconds: input.toleranceSeconds,
          maxBodyBytes: input.maxBodyBytes,
          enabled: input.enabled,
          createdBy: actor.userId,
        })
        .returning();
      if (!secret) return { row: row!, secret };
      const [withSecret] = await tx
        .update(webhookEndpoints)
        .set({ secret: this.secrets.encrypt(secret, secretAad(row!.id)) })
        .where(eq(webhookEndpoints.id, row!.id))
        .returning();
      return { row: withSecret!, secret };
    });
  }

  async update(actor: Actor, id: string, patch: UpdateEndpointInput): Promise<EndpointRow> {
    const current = await this.get(actor, id);
    if (patch.mapping !== undefined) checkMapping(patch.mapping);
    if (patch.verification && patch.verification !== 'none' && !current.secret) {
      throw badRequest('This endpoint has no secret yet: rotate it first (POST …/rotate-secret), then choose the scheme', [{ path: 'body.verification', message: 'needs a secret' }], 'secret_missing');
    }
    const set = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    const [row] = await this.database.withOrg(actor.orgId, (tx) =>
      tx
        .update(webhookEndpoints)
        .set({ ...set, updatedAt: new Date() })
        .where(and(eq(webhookEndpoints.orgId, actor.orgId), eq(webhookEndpoints.id, id)))
        .returning(),
    );
    this.hot.delete(id);
    return row!;
  }

  /** A new secret (shown once); the old one stops working at once. */
  async rotateSecret(actor: Actor, id: string): Promise<{ row: EndpointRow; secret: string }> {
    await this.get(actor, id);
    const secret = `whsec_${randomBytes(24).toString('base64url')}`;
    const [row] = await this.database.withOrg(actor.orgId, (tx) =>
      tx
        .update(webhookEndpoints)
        .set({ secret: this.secrets.encrypt(secret, secretAad(id)), updatedAt: new Date() })
        .where(and(eq(webhookEndpoints.orgId, actor.orgId), eq(webhookEndpoints.id, id)))
        .returning(),
    );
    this.hot.delete(id);
    return { row: row!, secret };
  }

  async remove(actor: Actor, id: string): Promise<void> {
    await this.get(actor, id);
    await this.database.withOrg(actor.orgId, (tx) => tx.delete(webhookEndpoints).where(and(eq(webhookEndpoints.orgId, actor.orgId), eq(webhookEndpoints.id, id))));
    this.hot.delete(id);
  }

  /** The secret in plain text (the dashboard's test sender signs with it on the server). */
  async secretOf(actor: Actor, id: string): Promise<string | null> {
    const row = await this.get(actor, id);
    return row.secret ? this.secrets.decrypt(row.secret, secretAad(id)) : null;
  }

  /** The latest deliveries: accepted ones (their events) and refused ones, newest first. */
  async deliveries(actor: Actor, id: string, limit = 50) {
    await this.get(actor, id);
    const [accepted, refused] = await Promise.all([
      this.events.ofEndpoint(actor.orgId, id, limit),
      this.database.readOrg(actor.orgId, (tx) =>
        tx.select().from(webhookRejections).where(and(eq(webhookRejections.orgId, actor.orgId), eq(webhookRejections.endpointId, id))).orderBy(desc(webhookRejections.createdAt)).limit(limit),
      ),
    ]);
    return [
      ...accepted.map((e) => ({ at: e.createdAt.toISOString(), accepted: true, status: 202, eventId: e.id, eventType: e.type, code: null, reason: null })),
      ...refused.map((r) => ({ at: r.createdAt.toISOString(), accepted: false, status: r.status, eventId: null, eventType: null, code: r.code, reason: r.reason })),
    ]
      .sort((a, b) => b.at.localeCompare(a.at))
      .slice(0, limit);
  }

  /**
   * A delivery to `POST /hooks/{id}`: 404 for no such (or a disabled) endpoint; else verified,
   * parsed and mapped, and stored as an event (once per dedupe key). A refusal (413, 401, 415,
   * 400) is recorded with its reason and thrown as the answer.
   */
  async receive(endpointId: string, req: InboundRequest): Promise<{ event: EventRow; created: boolean }> {
    const hot = await this.endpoint(endpointId);
    if (!hot || !hot.row.enabled) throw notFound('Webhook endpoint');
    const { row } = hot;
    try {
      if (req.rawBody.length > row.maxBodyBytes) throw new AppError(413, 'body_too_large', `The body is ${req.rawBody.length} bytes; this endpoint takes at most ${row.maxBodyBytes}`);
      const verdict = verifyWebhook(
        { scheme: row.verification as VerificationScheme, secret: hot.secret, header: row.signatureHeader, toleranceSeconds: row.toleranceSeconds },
        { headers: req.headers, rawBody: req.rawBody, now: Date.now() },
      );
      if (!verdict.ok) throw new AppError(401, 'signature_invalid', verdict.reason);
      let body: unknown;
      try {
        body = parseWebhookBody(header(req.headers, 'content-type'), req.rawBody).value;
        // What PostgreSQL cannot store (NUL, lone surrogates) is refused by name, as for API bodies.
        const bad = inspect(body, 'body');
        if (bad) throw new AppError(400, 'invalid_body', `${bad.path}: ${bad.detail}`);
      } catch (err) {
        if (err instanceof BodyError) throw new AppError(err.code === 'unsupported_media_type' ? 415 : 400, err.code, err.message);
        throw err;
      }
      const mapped = await this.map(row, body, req);
      return await this.events.emit(row.orgId, { ...mapped, source: 'webhook', endpointId: row.id });
    } catch (err) {
      if (err instanceof AppError) await this.reject(row, err, req.rawBody.length);
      throw err;
    }
  }

  private async map(row: EndpointRow, body: unknown, req: InboundRequest): Promise<{ type: string; payload: unknown; dedupeKey: string | null; occurredAt: Date }> {
    const fallbackKey = header(req.headers, 'x-github-delivery') ?? header(req.headers, 'idempotency-key') ?? header(req.headers, 'x-request-id') ?? null;
    if (!row.mapping) return { type: row.eventType, payload: body ?? {}, dedupeKey: fallbackKey, occurredAt: new Date() };
    const headers = Object.fromEntries(Object.entries(req.headers).filter(([k]) => !SECRET_HEADERS.has(k) && k !== row.signatureHeader));
    let out: unknown;
    try {
      out = await evaluateExpression(row.mapping, { body, headers, query: req.query } as unknown as ExpressionScope, { nodeId: null, path: 'mapping' });
    } catch (err) {
      throw new AppError(400, 'mapping_failed', `The endpoint's mapping failed on this request: ${(err as Error).message}`);
    }
    const m = (out && typeof out === 'object' && !Array.isArray(out) ? out : {}) as { type?: unknown; payload?: unknown; dedupeKey?: unknown; occurredAt?: unknown };
    const type = m.type === undefined || m.type === null ? row.eventType : eventTypeSchema.safeParse(m.type).success ? String(m.type) : null;
    if (!type) throw new AppError(400, 'mapping_failed', `The mapping gave the event type ${JSON.stringify(m.type).slice(0, 100)}, which is not one (dot-separated words)`);
    const occurredAt = typeof m.occurredAt === 'string' || typeof m.occurredAt === 'number' ? new Date(m.occurredAt) : new Date();
    return {
      type,
      payload: m.payload === undefined ? (body ?? {}) : m.payload,
      dedupeKey: m.dedupeKey === undefined || m.dedupeKey === null ? fallbackKey : String(m.dedupeKey).slice(0, 200),
      occurredAt: Number.isNaN(occurredAt.getTime()) ? new Date() : occurredAt,
    };
  }

  private async reject(row: EndpointRow, err: AppError, bytes: number) {
    await this.database
      .withOrg(row.orgId, (tx) => tx.insert(webhookRejections).values({ orgId: row.orgId, endpointId: row.id, status: err.status, code: err.code, reason: err.message.slice(0, 500), bytes }))
      .catch(() => {});
  }

  private async endpoint(id: string): Promise<Hot | null> {
    if (!UUID_RE.test(id)) return null;
    const hit = this.hot.get(id);
    if (hit && Date.now() - hit.at < HOT_MS) return hit;
    const missing = this.missing.get(id);
    if (missing && Date.now() - missing < HOT_MS) return null;
    const [row] = await this.database.system((tx) => tx.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, id)));
    if (!row) {
      // Unknown ids are remembered too: a flood of made-up ids costs no query each.
      if (this.missing.size > 10_000) this.missing.clear();
      this.missing.set(id, Date.now());
      return null;
    }
    const entry = { row, secret: row.secret ? this.secrets.decrypt(row.secret, secretAad(id)) : null, at: Date.now() };
    if (this.hot.size > 10_000) this.hot.clear();
    this.hot.set(id, entry);
    return entry;
  }
}

/** Headers a mapping never sees (they carry the secret). */
const SECRET_HEADERS = new Set(['authorization', 'x-webhook-token', 'x-signature', 'x-hub-signature-256', 'stripe-signature', 'cookie']);

function header(headers: InboundRequest['headers'], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function checkMapping(mapping: string | null | undefined) {
  if (!mapping) return;
  const problems = checkSyntax(mapping);
  if (problems.length) throw badRequest(`The mapping is not valid JSONata: ${problems[0]!.message}`, problems.map((p) => ({ path: 'body.mapping', message: p.message })), 'invalid_mapping');
}
