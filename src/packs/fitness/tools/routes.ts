import { and, count, desc, eq, sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Database } from '../../../db/client.js';
import { actorOf } from '../../../http/access.js';
import { problemResponses } from '../../../http/problem.js';
import type { SecretBox } from '../../../shared/crypto.js';
import { pageOf, pageQuery } from '../../../shared/pagination.js';
import { CAMPAIGN_KINDS, CAMPAIGN_STATUSES, SMS_STATUSES, SOCIAL_PLATFORMS, SOCIAL_POST_STATUSES } from './enums.js';
import { fitnessCampaigns, fitnessSmsOutbox, fitnessSocialPosts } from './schema.js';
import { SmsSettings, smsSettingsBody, smsSettingsSchema } from './sms.js';

/*
 * The tools' records and settings under /fitness: the SMS provider (admins; the token is
 * write-only), the SMS outbox (admins: other people's messages, as the mail outbox), campaigns and
 * social posts (everyone who reads the CRM).
 */

const tags = ['fitness'];
const iso = z
  .date()
  .transform((d) => d.toISOString())
  .pipe(z.string());
const isoOrNull = z
  .date()
  .nullable()
  .transform((d) => d?.toISOString() ?? null)
  .pipe(z.string().nullable());

const smsOutboxSchema = z
  .object({
    id: z.uuid(),
    contactId: z.uuid().nullable(),
    communicationId: z.uuid().nullable(),
    to: z.string(),
    from: z.string().nullable(),
    body: z.string(),
    status: z.enum(SMS_STATUSES).describe('kept: no SMS provider set, the message waits here; sent; failed'),
    providerMessageId: z.string().nullable(),
    error: z.string().nullable(),
    runId: z.uuid().nullable(),
    createdAt: iso,
    sentAt: isoOrNull,
  })
  .meta({ id: 'FitnessSmsOutboxMessage' });

const socialPostSchema = z
  .object({
    id: z.uuid(),
    platform: z.enum(SOCIAL_PLATFORMS),
    content: z.string(),
    hashtags: z.array(z.string()),
    mediaUrls: z.array(z.string()),
    scheduledFor: iso,
    status: z.enum(SOCIAL_POST_STATUSES),
    agentId: z.uuid().nullable(),
    runId: z.uuid().nullable(),
    createdAt: iso,
  })
  .meta({ id: 'FitnessSocialPost' });

const campaignSchema = z
  .object({
    id: z.uuid(),
    kind: z.enum(CAMPAIGN_KINDS),
    name: z.string(),
    channel: z.string(),
    purpose: z.string(),
    template: z.string().nullable(),
    subject: z.string().nullable(),
    body: z.string().describe("The message as written (empty: the template's text)"),
    segment: z.record(z.string(), z.unknown()),
    status: z.enum(CAMPAIGN_STATUSES),
    recipients: z.number().int(),
    excluded: z.record(z.string(), z.number()),
    outcomes: z.object({ pending: z.number().int(), sent: z.number().int(), queued: z.number().int(), failed: z.number().int() }),
    agentId: z.uuid().nullable(),
    runId: z.uuid().nullable(),
    createdAt: iso,
    finishedAt: isoOrNull,
  })
  .meta({ id: 'FitnessCampaign' });

const listQuery = pageQuery.omit({ cursor: true });

export function registerFitnessToolRoutes(app: FastifyInstance, deps: { database: Database; secrets?: SecretBox }): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const sms = new SmsSettings(deps.database, deps.secrets);
  const db = deps.database;

  r.get(
    '/fitness/sms-settings',
    { config: { access: 'admin' }, schema: { tags, summary: "The organization's SMS provider (the auth token is never shown)", response: { 200: smsSettingsSchema, ...problemResponses } } },
    async (req) => sms.get(actorOf(req).orgId),
  );

  r.put(
    '/fitness/sms-settings',
    {
      config: { access: 'admin', audit: { action: 'fitness.sms_settings.updated', targetType: 'fitness_sms_settings' } },
      schema: {
        tags,
        summary: 'Set the SMS provider (Twilio or a service speaking its API): account SID, auth token (stored encrypted), sender; the token may be left out to keep it',
        body: smsSettingsBody,
        response: { 200: smsSettingsSchema, ...problemResponses },
      },
    },
    async (req) => sms.set(actorOf(req), req.body),
  );

  r.delete(
    '/fitness/sms-settings',
    {
      config: { access: 'admin', audit: { action: 'fitness.sms_settings.removed', targetType: 'fitness_sms_settings' } },
      schema: { tags, summary: 'Remove the SMS provider: SMS wait in the SMS outbox again', response: { 200: smsSettingsSchema, ...problemResponses } },
    },
    async (req) => sms.remove(actorOf(req)),
  );

  r.get(
    '/fitness/sms-outbox',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'SMS agents sent or, without a provider, kept here (newest first; filter by status)',
        querystring: listQuery.extend({ status: z.enum(SMS_STATUSES).optional() }),
        response: { 200: pageOf(smsOutboxSchema), ...problemResponses },
      },
    },
    async (req) => {
      const { orgId } = actorOf(req);
      const q = req.query;
      const where = and(eq(fitnessSmsOutbox.orgId, orgId), q.status ? eq(fitnessSmsOutbox.status, q.status) : undefined);
      return db.withOrg(orgId, async (tx) => {
        const [[{ total } = { total: 0 }], items] = await Promise.all([
          tx.select({ total: count() }).from(fitnessSmsOutbox).where(where),
          tx
            .select()
            .from(fitnessSmsOutbox)
            .where(where)
            .orderBy(q.sortOrder === 'asc' ? fitnessSmsOutbox.createdAt : desc(fitnessSmsOutbox.createdAt), desc(fitnessSmsOutbox.id))
            .limit(q.limit)
            .offset(q.offset ?? 0),
        ]);
        return { items, total, limit: q.limit, offset: q.offset ?? 0, nextCursor: null };
      });
    },
  );

  r.get(
    '/fitness/social-posts',
    {
      config: { access: 'viewer' },
      schema: {
        tags,
        summary: 'Social posts agents scheduled, soonest first (kept here: no social network is called)',
        querystring: listQuery.extend({ status: z.enum(SOCIAL_POST_STATUSES).optional(), sortOrder: z.enum(['asc', 'desc']).default('asc') }),
        response: { 200: pageOf(socialPostSchema), ...problemResponses },
      },
    },
    async (req) => {
      const { orgId } = actorOf(req);
      const q = req.query;
      const where = and(eq(fitnessSocialPosts.orgId, orgId), q.status ? eq(fitnessSocialPosts.status, q.status) : undefined);
      return db.withOrg(orgId, async (tx) => {
        const [[{ total } = { total: 0 }], items] = await Promise.all([
          tx.select({ total: count() }).from(fitnessSocialPosts).where(where),
          tx
            .select()
            .from(fitnessSocialPosts)
            .where(where)
            .orderBy(q.sortOrder === 'asc' ? fitnessSocialPosts.scheduledFor : desc(fitnessSocialPosts.scheduledFor), fitnessSocialPosts.id)
            .limit(q.limit)
            .offset(q.offset ?? 0),
        ]);
        return { items, total, limit: q.limit, offset: q.offset ?? 0, nextCursor: null };
      });
    },
  );

  r.get(
    '/fitness/campaigns',
    {
      config: { access: 'viewer' },
      schema: {
        tags,
        summary: 'Retention campaigns and bulk messages agents sent, newest first, with the outcome of their messages',
        querystring: listQuery.extend({ kind: z.enum(CAMPAIGN_KINDS).optional() }),
        response: { 200: pageOf(campaignSchema), ...problemResponses },
      },
    },
    async (req) => {
      const { orgId } = actorOf(req);
      const q = req.query;
      const c = fitnessCampaigns;
      const where = and(eq(c.orgId, orgId), q.kind ? eq(c.kind, q.kind) : undefined);
      // fitness_campaigns.id in full: Drizzle leaves a single-table select's columns unqualified ("id" would be the recipient's).
      const outcome = (status: string) => sql<number>`(select count(*) from fitness_campaign_recipients r where r.campaign_id = fitness_campaigns.id and r.status = ${status})`.mapWith(Number);
      return db.withOrg(orgId, async (tx) => {
        const [[{ total } = { total: 0 }], rows] = await Promise.all([
          tx.select({ total: count() }).from(c).where(where),
          tx
            .select({ c, pending: outcome('pending'), sent: outcome('sent'), queued: outcome('queued'), failed: outcome('failed') })
            .from(c)
            .where(where)
            .orderBy(q.sortOrder === 'asc' ? c.createdAt : desc(c.createdAt), desc(c.id))
            .limit(q.limit)
            .offset(q.offset ?? 0),
        ]);
        const items = rows.map(({ c: row, pending, sent, queued, failed }) => ({ ...row, outcomes: { pending, sent, queued, failed } }));
        return { items, total, limit: q.limit, offset: q.offset ?? 0, nextCursor: null };
      });
    },
  );
}

