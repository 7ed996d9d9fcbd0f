import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, orgId, ts, updatedAt } from '../../../db/columns.js';
import { fitnessCommunications, fitnessContacts } from '../crm/schema.js';
import { CAMPAIGN_KINDS, CAMPAIGN_STATUSES, RECIPIENT_STATUSES, SMS_STATUSES, SOCIAL_PLATFORMS, SOCIAL_POST_STATUSES } from './enums.js';

/*
 * What the fitness pack's tools keep beside the CRM (docs/fitness.md "Tools", decision 61): the
 * organization's SMS provider, the SMS outbox, retention and bulk campaigns with their recipients,
 * and social posts waiting in an outbox (no social network is called). Every table has org_id:
 * row-level security applies by itself (troupe_enforce_tenancy).
 */

const textArray = (name: string) => text(name).array().notNull().default(sql`'{}'::text[]`);

/**
 * An organization's SMS provider (one row per organization; none: messages wait in the SMS
 * outbox). Twilio's wire format; `base_url` lets a Twilio-compatible service stand in, and every
 * request to it passes the tools' egress guard. The auth token is encrypted (SecretBox) with the
 * organization bound as associated data; it is never shown again.
 */
export const fitnessSmsSettings = pgTable('fitness_sms_settings', {
  orgId: orgId().primaryKey(),
  provider: text('provider').notNull().default('twilio'),
  baseUrl: text('base_url').notNull().default('https://api.twilio.com'),
  accountSid: text('account_sid').notNull(),
  authToken: text('auth_token').notNull(),
  fromNumber: text('from_number').notNull(),
  updatedAt: updatedAt(),
});

/** Every SMS the tools handled: sent through the provider, kept (no provider set) or failed. */
export const fitnessSmsOutbox = pgTable(
  'fitness_sms_outbox',
  {
    id: id(),
    orgId: orgId(),
    contactId: uuid('contact_id').references(() => fitnessContacts.id, { onDelete: 'cascade' }),
    communicationId: uuid('communication_id').references(() => fitnessCommunications.id, { onDelete: 'set null' }),
    to: text('to').notNull(),
    from: text('from'),
    body: text('body').notNull(),
    status: text('status', { enum: SMS_STATUSES }).notNull(),
    providerMessageId: text('provider_message_id'),
    error: text('error'),
    runId: uuid('run_id'),
    createdAt: createdAt(),
    sentAt: ts('sent_at'),
  },
  (t) => [
    index('fitness_sms_outbox_org_created_idx').on(t.orgId, t.createdAt),
    index('fitness_sms_outbox_contact_idx').on(t.contactId).where(sql`${t.contactId} is not null`),
    index('fitness_sms_outbox_communication_idx').on(t.communicationId).where(sql`${t.communicationId} is not null`),
  ],
);

/**
 * A message to many: a retention campaign or a bulk message to a segment. Keyed by the tool call
 * (run_id, tool_call_id), so a call made again after an interruption resumes the same campaign
 * instead of starting another.
 */
export const fitnessCampaigns = pgTable(
  'fitness_campaigns',
  {
    id: id(),
    orgId: orgId(),
    kind: text('kind', { enum: CAMPAIGN_KINDS }).notNull(),
    name: text('name').notNull(),
    /** email, sms or auto (each recipient's channel chosen by consent and what they have). */
    channel: text('channel').notNull(),
    /** service or marketing (marketing needs marketing consent). */
    purpose: text('purpose').notNull(),
    /** The retention template's id, when one was used. */
    template: text('template'),
    subject: text('subject'),
    body: text('body').notNull(),
    segment: jsonb('segment').$type<Record<string, unknown>>().notNull().default({}),
    variables: jsonb('variables').$type<Record<string, string>>().notNull().default({}),
    status: text('status', { enum: CAMPAIGN_STATUSES }).notNull().default('sending'),
    recipients: integer('recipients').notNull().default(0),
    /** Contacts of the segment left out, by reason (opted out, no consent, no address). */
    excluded: jsonb('excluded').$type<Record<string, number>>().notNull().default({}),
    agentId: uuid('agent_id'),
    runId: uuid('run_id'),
    toolCallId: text('tool_call_id'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    finishedAt: ts('finished_at'),
  },
  (t) => [index('fitness_campaigns_org_created_idx').on(t.orgId, t.createdAt), uniqueIndex('fitness_campaigns_run_call_key').on(t.runId, t.toolCallId)],
);

/** One person of a campaign and what happened to their message. */
export const fitnessCampaignRecipients = pgTable(
  'fitness_campaign_recipients',
  {
    id: id(),
    orgId: orgId(),
    campaignId: uuid('campaign_id')
      .notNull()
      .references(() => fitnessCampaigns.id, { onDelete: 'cascade' }),
    contactId: uuid('contact_id')
      .notNull()
      .references(() => fitnessContacts.id, { onDelete: 'cascade' }),
    /** The channel chosen for them: email or sms. */
    channel: text('channel').notNull(),
    status: text('status', { enum: RECIPIENT_STATUSES }).notNull().default('pending'),
    communicationId: uuid('communication_id').references(() => fitnessCommunications.id, { onDelete: 'set null' }),
    error: text('error'),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('fitness_campaign_recipients_campaign_contact_key').on(t.campaignId, t.contactId),
    index('fitness_campaign_recipients_contact_idx').on(t.contactId),
  ],
);

/** A social post an agent scheduled: kept here for a person (or a later integration) to publish. */
export const fitnessSocialPosts = pgTable(
  'fitness_social_posts',
  {
    id: id(),
    orgId: orgId(),
    platform: text('platform', { enum: SOCIAL_PLATFORMS }).notNull(),
    content: text('content').notNull(),
    hashtags: textArray('hashtags'),
    mediaUrls: textArray('media_urls'),
    scheduledFor: ts('scheduled_for').notNull(),
    status: text('status', { enum: SOCIAL_POST_STATUSES }).notNull().default('scheduled'),
    agentId: uuid('agent_id'),
    runId: uuid('run_id'),
    toolCallId: text('tool_call_id'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index('fitness_social_posts_org_scheduled_idx').on(t.orgId, t.scheduledFor), uniqueIndex('fitness_social_posts_run_call_key').on(t.runId, t.toolCallId)],
);

export type SmsOutboxRow = typeof fitnessSmsOutbox.$inferSelect;
export type CampaignRow = typeof fitnessCampaigns.$inferSelect;
export type CampaignRecipientRow = typeof fitnessCampaignRecipients.$inferSelect;
export type SocialPostRow = typeof fitnessSocialPosts.$inferSelect;
