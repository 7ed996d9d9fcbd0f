import { and, asc, eq, gte, inArray, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import type { Tx } from '../../../db/client.js';
import type { SecretBox } from '../../../shared/crypto.js';
import { defineTool, type ToolContext } from '../../../tools/define.js';
import { ToolError } from '../../../tools/errors.js';
import { CONTACT_STATUSES } from '../crm/enums.js';
import { fitnessContacts, fitnessLeadStages, type ContactRow } from '../crm/schema.js';
import { fullName } from './common.js';
import { contactVariables, gymName, messageContact, reach, refusal } from './delivery.js';
import { type CampaignKind, type MessageChannel, type MessagePurpose } from './enums.js';
import { channelSchema } from './messaging.js';
import { fitnessCampaignRecipients, fitnessCampaigns, type CampaignRow } from './schema.js';
import { render, RETENTION_TEMPLATE_IDS, retentionTemplate, retentionTemplatesHelp, variablesSchema } from './templates.js';

/*
 * Messages to many: a segment of contacts (status, tags, last visit, source, stage, or a list of
 * ids) narrowed to those whose consent allows the message, then one message each, every one in
 * the communications log. Sending asks a person first (requiresApproval); the approval card says
 * how many people it reaches, because the call carries `expectedRecipients` from
 * preview_bulk_message, and a segment that has grown past that number since is refused. A
 * campaign is keyed by its tool call: made again after an interruption, it resumes with the
 * recipients not yet handled instead of starting over.
 */

/** Most people one call messages (a gym's at-risk list, a class's members: not a newsletter service). */
export const MAX_RECIPIENTS = 500;
/** Most contacts a segment may match before consent is applied. */
const MAX_SEGMENT = 10_000;
const DAY = 86_400_000;

const days = z.number().int().min(1).max(3650);
export const segmentSchema = z
  .strictObject({
    status: z.array(z.enum(CONTACT_STATUSES)).min(1).max(6).optional().describe('Contacts with one of these statuses (default: active, unless contactIds are given)'),
    tags: z.array(z.string().trim().toLowerCase().min(1).max(50)).min(1).max(10).optional().describe('Contacts carrying every one of these tags'),
    notVisitedForDays: days.optional().describe('No visit in this many days (never visited included)'),
    visitedWithinDays: days.optional().describe('Visited in this many days'),
    source: z.string().trim().min(1).max(100).optional(),
    leadStage: z.string().trim().min(1).max(100).optional().describe("A pipeline stage's name"),
    contactIds: z.array(z.uuid()).min(1).max(MAX_RECIPIENTS).optional().describe('Exactly these contacts (the other filters still apply)'),
  })
  .describe('Who: every filter given must hold');
export type Segment = z.output<typeof segmentSchema>;

/** The segment in a few words, for approval cards and results: "status active; tags vip; no visit for 14+ days". */
export function describeSegment(s: Segment): string {
  const parts = [
    `status ${(s.status ?? (s.contactIds ? CONTACT_STATUSES : ['active'])).join('/')}`,
    s.tags ? `tagged ${s.tags.join(' + ')}` : null,
    s.notVisitedForDays ? `no visit for ${s.notVisitedForDays}+ days` : null,
    s.visitedWithinDays ? `visited within ${s.visitedWithinDays} days` : null,
    s.source ? `source ${s.source}` : null,
    s.leadStage ? `stage "${s.leadStage}"` : null,
    s.contactIds ? `${s.contactIds.length} chosen contacts` : null,
  ];
  return parts.filter(Boolean).join('; ');
}

async function segmentWhere(tx: Tx, orgId: string, s: Segment, now: Date): Promise<SQL[]> {
  const c = fitnessContacts;
  const where: SQL[] = [eq(c.orgId, orgId)];
  const statuses = s.status ?? (s.contactIds ? undefined : ['active' as const]);
  if (statuses) where.push(inArray(c.status, statuses));
  if (s.tags) where.push(sql`${c.tags} @> array[${sql.join(s.tags.map((t) => sql`${t}`), sql`, `)}]::text[]`);
  if (s.notVisitedForDays) where.push(or(isNull(c.lastVisitAt), lt(c.lastVisitAt, new Date(now.getTime() - s.notVisitedForDays * DAY)))!);
  if (s.visitedWithinDays) where.push(gte(c.lastVisitAt, new Date(now.getTime() - s.visitedWithinDays * DAY)));
  if (s.source) where.push(eq(c.source, s.source));
  if (s.contactIds) where.push(inArray(c.id, s.contactIds));
  if (s.leadStage) {
    const [stage] = await tx
      .select({ id: fitnessLeadStages.id })
      .from(fitnessLeadStages)
      .where(and(eq(fitnessLeadStages.orgId, orgId), sql`lower(${fitnessLeadStages.name}) = lower(${s.leadStage})`));
    if (!stage) throw new ToolError(`No lead stage "${s.leadStage}" in this organization`, 'not_found');
    where.push(eq(c.leadStageId, stage.id));
  }
  return where;
}

export interface Audience {
  matched: number;
  eligible: { contact: ContactRow; channel: 'email' | 'sms' }[];
  /** Left out, by reason ("opted_out", "no_marketing_consent", "no_email_consent+no_phone"). */
  excluded: Record<string, number>;
}

/** The segment's contacts, split into those the message may reach (with their channel) and those it may not (counted by why). */
export async function audienceOf(tx: Tx, orgId: string, s: Segment, channel: MessageChannel, purpose: MessagePurpose, now = new Date()): Promise<Audience> {
  const rows = await tx
    .select()
    .from(fitnessContacts)
    .where(and(...(await segmentWhere(tx, orgId, s, now))))
    .orderBy(asc(fitnessContacts.createdAt), asc(fitnessContacts.id))
    .limit(MAX_SEGMENT + 1);
  if (rows.length > MAX_SEGMENT) throw new ToolError(`The segment matches more than ${MAX_SEGMENT} contacts; narrow it`, 'refused');
  const audience: Audience = { matched: rows.length, eligible: [], excluded: {} };
  for (const contact of rows) {
    const way = reach(contact, channel, purpose);
    if (way.ok) audience.eligible.push({ contact, channel: way.channel });
    else {
      const key = way.reasons.join('+');
      audience.excluded[key] = (audience.excluded[key] ?? 0) + 1;
    }
  }
  return audience;
}

interface Content {
  template: string | null;
  subject: string | null;
  body: string;
  variables: Record<string, string>;
}

/** The text for one channel: a retention template's SMS text unless the call gave its own body. */
function textFor(content: Content, channel: 'email' | 'sms', customBody: boolean): { subject: string | null; body: string } {
  if (content.template && !customBody) {
    const t = retentionTemplate(content.template);
    return { subject: content.subject ?? t.subject, body: channel === 'sms' ? t.sms : t.email };
  }
  return { subject: content.subject, body: content.body };
}

/** Fills the texts for one person, so a missing variable is found before anyone is messaged. */
function checkTexts(content: Content, customBody: boolean, sample: ContactRow, gym: string, channels: Set<'email' | 'sms'>) {
  const values = contactVariables(sample, gym, content.variables);
  for (const channel of channels) {
    const text = textFor(content, channel, customBody);
    const body = render(text.body, values, { field: 'body' });
    if (text.subject && channel === 'email') render(text.subject, values, { field: 'subject' });
    if (channel === 'sms' && body.length > 1600) throw new ToolError(`The SMS text is ${body.length} characters once filled in; at most 1600`, 'invalid_arguments', [{ path: 'input.body', message: 'too long for an SMS' }]);
  }
}

const previewInput = z.object({
  segment: segmentSchema.default({ status: ['active'] }),
  channel: channelSchema,
  purpose: z.enum(['service', 'marketing']).default('marketing').describe('marketing (default) needs marketing consent; service: about their membership or bookings'),
  template: z.enum(RETENTION_TEMPLATE_IDS).optional().describe('A retention template, to preview create_retention_campaign'),
  subject: z.string().trim().min(1).max(300).optional(),
  body: z.string().trim().min(1).max(10_000).optional().describe('The message, to see it filled in for the first person'),
  variables: variablesSchema.optional(),
});

export const previewBulkMessage = defineTool({
  name: 'preview_bulk_message',
  category: 'messaging',
  description:
    'Before send_bulk_message or create_retention_campaign: how many contacts of a segment the message would reach (consent and opt-outs ' +
    'applied), how many are left out and why, a few names, and the message filled in for the first of them. Sends nothing. Pass the ' +
    '`expectedRecipients` it returns to the sending tool.',
  inputSchema: previewInput,
  grantRoles: ['member', 'admin', 'owner'],
  requiresApproval: false,
  idempotent: true,
  timeoutMs: 30_000,
  async execute(input, ctx) {
    return ctx.database.withOrg(ctx.orgId, async (tx) => {
      const audience = await audienceOf(tx, ctx.orgId, input.segment, input.channel, input.purpose);
      const gym = await gymName(tx, ctx.orgId);
      const first = audience.eligible[0];
      const content: Content = { template: input.template ?? null, subject: input.subject ?? null, body: input.body ?? '', variables: input.variables ?? {} };
      let example: { to: string; channel: string; subject: string | null; body: string } | null = null;
      if (first && (input.body || input.template)) {
        const values = contactVariables(first.contact, gym, content.variables);
        const text = textFor(content, first.channel, input.body !== undefined);
        example = {
          to: fullName(first.contact),
          channel: first.channel,
          subject: first.channel === 'email' && text.subject ? render(text.subject, values, { field: 'subject' }) : null,
          body: render(text.body, values, { field: 'body' }),
        };
      }
      const byChannel = { email: 0, sms: 0 };
      for (const e of audience.eligible) byChannel[e.channel]++;
      return {
        segment: describeSegment(input.segment),
        matched: audience.matched,
        expectedRecipients: audience.eligible.length,
        byChannel,
        excluded: audience.excluded,
        overLimit: audience.eligible.length > MAX_RECIPIENTS ? `more than ${MAX_RECIPIENTS}: narrow the segment before sending` : null,
        sample: audience.eligible.slice(0, 10).map((e) => ({ id: e.contact.id, name: fullName(e.contact), channel: e.channel })),
        example,
      };
    });
  },
});

interface CampaignSpec extends Content {
  kind: CampaignKind;
  name: string;
  channel: MessageChannel;
  purpose: MessagePurpose;
  segment: Segment;
  expectedRecipients: number;
  customBody: boolean;
}

const recipientCounts = async (tx: Tx, campaignId: string) => {
  const rows = await tx
    .select({ status: fitnessCampaignRecipients.status, n: sql<number>`count(*)`.mapWith(Number) })
    .from(fitnessCampaignRecipients)
    .where(eq(fitnessCampaignRecipients.campaignId, campaignId))
    .groupBy(fitnessCampaignRecipients.status);
  const counts = { sent: 0, queued: 0, failed: 0, pending: 0 };
  for (const r of rows) counts[r.status] = r.n;
  return counts;
};

/** The campaign this tool call started (keyed by run and call id), if any. */
async function campaignOfCall(tx: Tx, ctx: ToolContext): Promise<CampaignRow | undefined> {
  const [row] = await tx
    .select()
    .from(fitnessCampaigns)
    .where(and(eq(fitnessCampaigns.orgId, ctx.orgId), eq(fitnessCampaigns.runId, ctx.runId), eq(fitnessCampaigns.toolCallId, ctx.toolCallId)));
  return row;
}

/** Creates the campaign and its recipients (pending), or finds the one this call already created. */
async function startCampaign(ctx: ToolContext, spec: CampaignSpec): Promise<CampaignRow> {
  return ctx.database.withOrg(ctx.orgId, async (tx) => {
    const existing = await campaignOfCall(tx, ctx);
    if (existing) return existing;
    const audience = await audienceOf(tx, ctx.orgId, spec.segment, spec.channel, spec.purpose);
    const n = audience.eligible.length;
    const excluded = Object.entries(audience.excluded)
      .map(([k, v]) => `${v} ${k}`)
      .join(', ');
    if (n === 0) throw new ToolError(`No one in the segment (${describeSegment(spec.segment)}) can get this message${excluded ? `: ${excluded}` : ': it matches no contact'}`, 'refused');
    if (n > MAX_RECIPIENTS) throw new ToolError(`The segment reaches ${n} people; at most ${MAX_RECIPIENTS} per call: narrow it`, 'refused');
    if (n > spec.expectedRecipients) {
      throw new ToolError(
        `The segment now reaches ${n} people, more than the ${spec.expectedRecipients} this call was approved for; run preview_bulk_message again and make a new call`,
        'conflict',
      );
    }
    checkTexts(spec, spec.customBody, audience.eligible[0]!.contact, await gymName(tx, ctx.orgId), new Set(audience.eligible.map((e) => e.channel)));
    const [campaign] = await tx
      .insert(fitnessCampaigns)
      .values({
        orgId: ctx.orgId,
        kind: spec.kind,
        name: spec.name,
        channel: spec.channel,
        purpose: spec.purpose,
        template: spec.template,
        subject: spec.subject,
        body: spec.customBody || !spec.template ? spec.body : '',
        segment: spec.segment as Record<string, unknown>,
        variables: spec.variables,
        recipients: n,
        excluded: audience.excluded,
        agentId: ctx.agentId,
        runId: ctx.runId,
        toolCallId: ctx.toolCallId,
      })
      .returning();
    for (let i = 0; i < n; i += 500) {
      await tx.insert(fitnessCampaignRecipients).values(
        audience.eligible.slice(i, i + 500).map((e) => ({ orgId: ctx.orgId, campaignId: campaign!.id, contactId: e.contact.id, channel: e.channel })),
      );
    }
    return campaign!;
  });
}

/**
 * Sends to every recipient still pending, each checked again (a contact may have opted out since)
 * and logged, then marks the campaign done. Returns the outcome counts.
 */
async function sendCampaign(ctx: ToolContext, secrets: SecretBox | undefined, campaign: CampaignRow) {
  const pending = await ctx.database.withOrg(ctx.orgId, async (tx) => ({
    rows: await tx
      .select({ id: fitnessCampaignRecipients.id, channel: fitnessCampaignRecipients.channel, contact: fitnessContacts })
      .from(fitnessCampaignRecipients)
      .innerJoin(fitnessContacts, eq(fitnessContacts.id, fitnessCampaignRecipients.contactId))
      .where(and(eq(fitnessCampaignRecipients.campaignId, campaign.id), eq(fitnessCampaignRecipients.status, 'pending')))
      .orderBy(asc(fitnessCampaignRecipients.id)),
    gym: await gymName(tx, ctx.orgId),
  }));
  const content: Content = { template: campaign.template, subject: campaign.subject, body: campaign.body, variables: campaign.variables };
  const customBody = campaign.body !== '';
  const failures: { name: string; error: string }[] = [];
  for (const r of pending.rows) {
    ctx.signal.throwIfAborted();
    const channel = r.channel as 'email' | 'sms';
    let outcome: { status: 'sent' | 'queued' | 'failed'; communicationId: string | null; error: string | null };
    const way = reach(r.contact, channel, campaign.purpose as MessagePurpose);
    if (!way.ok) outcome = { status: 'failed', communicationId: null, error: refusal(r.contact, way.reasons, channel) };
    else {
      try {
        const text = textFor(content, channel, customBody);
        const sent = await messageContact(ctx, secrets, { contact: r.contact, gym: pending.gym, channel, purpose: campaign.purpose as MessagePurpose, subject: text.subject, body: text.body, variables: content.variables });
        outcome = { status: sent.status, communicationId: sent.communicationId, error: sent.error };
      } catch (err) {
        if (!(err instanceof ToolError)) throw err;
        outcome = { status: 'failed', communicationId: null, error: err.message };
      }
    }
    if (outcome.error && failures.length < 5) failures.push({ name: fullName(r.contact), error: outcome.error });
    await ctx.database.withOrg(ctx.orgId, (tx) =>
      tx
        .update(fitnessCampaignRecipients)
        .set({ status: outcome.status, communicationId: outcome.communicationId, error: outcome.error, updatedAt: new Date() })
        .where(eq(fitnessCampaignRecipients.id, r.id)),
    );
  }
  return ctx.database.withOrg(ctx.orgId, async (tx) => {
    const counts = await recipientCounts(tx, campaign.id);
    if (counts.pending === 0 && campaign.status !== 'done') {
      await tx.update(fitnessCampaigns).set({ status: 'done', finishedAt: new Date(), updatedAt: new Date() }).where(eq(fitnessCampaigns.id, campaign.id));
    }
    return {
      campaignId: campaign.id,
      name: campaign.name,
      segment: describeSegment(campaign.segment as Segment),
      recipients: campaign.recipients,
      sent: counts.sent,
      queued: counts.queued,
      failed: counts.failed,
      excluded: campaign.excluded,
      failures,
    };
  });
}

const resultSchema = z.object({
  campaignId: z.string(),
  name: z.string(),
  segment: z.string(),
  recipients: z.number().int(),
  sent: z.number().int(),
  queued: z.number().int().describe('Kept in the mail or SMS outbox: no mail server or SMS provider is set'),
  failed: z.number().int(),
  excluded: z.record(z.string(), z.number().int()).describe('Contacts of the segment left out, by reason'),
  failures: z.array(z.object({ name: z.string(), error: z.string() })).describe('The first few failures'),
});

const expectedSchema = z
  .number()
  .int()
  .min(1)
  .max(MAX_RECIPIENTS)
  .describe('How many people it reaches, as preview_bulk_message said: a person approves this number, and a segment that grew past it is refused');
const clip = (text: string, max = 70) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

export const sendBulkMessage = (secrets?: SecretBox) =>
  defineTool({
    name: 'send_bulk_message',
    category: 'messaging',
    description:
      `Sends one message to every contact of a segment whose consent allows it (at most ${MAX_RECIPIENTS}), each logged in their ` +
      'communications. A person approves each call first. Call preview_bulk_message with the same segment, channel and purpose first ' +
      'and pass its expectedRecipients; a segment that has grown since is refused. Marketing (the default) needs marketing consent.',
    inputSchema: z.object({
      name: z.string().trim().min(1).max(200).optional().describe('What this message is, for the record (default: its subject or start)'),
      segment: segmentSchema,
      channel: channelSchema,
      purpose: z.enum(['service', 'marketing']).default('marketing'),
      subject: z
        .string()
        .trim()
        .min(1)
        .max(300)
        .refine((s) => !/[\r\n]/.test(s), 'cannot contain line breaks')
        .optional()
        .describe('Email subject (variables allowed)'),
      body: z.string().trim().min(1).max(10_000).describe('The message; {{first_name}}, {{gym_name}} … are filled in per person'),
      variables: variablesSchema.optional(),
      expectedRecipients: expectedSchema,
    }),
    outputSchema: resultSchema,
    grantRoles: ['admin', 'owner'],
    requiresApproval: true,
    idempotent: false,
    // One campaign per tool call: made again after an interruption, it sends only to those not yet handled.
    keyedByCall: true,
    timeoutMs: 300_000,
    describe: (input) =>
      `Send a ${input.purpose} ${input.channel === 'auto' ? 'message' : input.channel === 'sms' ? 'SMS' : 'email'} to up to ${input.expectedRecipients} ` +
      `${input.expectedRecipients === 1 ? 'person' : 'people'} (${describeSegment(input.segment)}): '${clip(input.subject ?? input.body)}'`,
    async execute(input, ctx) {
      const campaign = await startCampaign(ctx, {
        kind: 'bulk',
        name: input.name ?? clip(input.subject ?? input.body, 100),
        channel: input.channel,
        purpose: input.purpose,
        segment: input.segment,
        template: null,
        subject: input.subject ?? null,
        body: input.body,
        variables: input.variables ?? {},
        expectedRecipients: input.expectedRecipients,
        customBody: true,
      });
      return sendCampaign(ctx, secrets, campaign);
    },
  });

export const createRetentionCampaign = (secrets?: SecretBox) =>
  defineTool({
    name: 'create_retention_campaign',
    category: 'automation',
    description:
      `Starts a retention campaign: a recorded campaign and one retention message to each member of a segment (default: active members ` +
      `with no visit in 14 days) who agreed to marketing, each logged in their communications. Templates: ${retentionTemplatesHelp}. ` +
      'A person approves it first: call preview_bulk_message with the same segment, channel, purpose marketing and template, and pass its expectedRecipients.',
    inputSchema: z.object({
      name: z.string().trim().min(1).max(200).describe('e.g. "May win-back: 14 days away"'),
      template: z.enum(RETENTION_TEMPLATE_IDS),
      segment: segmentSchema.default({ status: ['active'], notVisitedForDays: 14 }),
      channel: channelSchema,
      subject: z
        .string()
        .trim()
        .min(1)
        .max(300)
        .refine((s) => !/[\r\n]/.test(s), 'cannot contain line breaks')
        .optional()
        .describe("Replaces the template's subject"),
      body: z.string().trim().min(1).max(10_000).optional().describe("Replaces the template's text (both channels)"),
      variables: variablesSchema.optional().describe('e.g. {"offer": "a free personal training session"} for the offer templates'),
      expectedRecipients: expectedSchema,
    }),
    outputSchema: resultSchema.extend({ template: z.string() }),
    grantRoles: ['admin', 'owner'],
    requiresApproval: true,
    idempotent: false,
    keyedByCall: true,
    timeoutMs: 300_000,
    describe: (input) => `Start the retention campaign "${input.name}" (${input.template}, ${input.channel}) to up to ${input.expectedRecipients} members (${describeSegment(input.segment)})`,
    async execute(input, ctx) {
      const campaign = await startCampaign(ctx, {
        kind: 'retention',
        name: input.name,
        channel: input.channel,
        purpose: 'marketing',
        segment: input.segment,
        template: input.template,
        subject: input.subject ?? null,
        body: input.body ?? '',
        variables: input.variables ?? {},
        expectedRecipients: input.expectedRecipients,
        customBody: input.body !== undefined,
      });
      return { ...(await sendCampaign(ctx, secrets, campaign)), template: input.template };
    },
  });

