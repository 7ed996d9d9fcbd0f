import { and, count, eq, sql } from 'drizzle-orm';
import { z } from 'zod';
import { UUID_RE } from '../../../shared/ids.js';
import { defineTool } from '../../../tools/define.js';
import { ToolError } from '../../../tools/errors.js';
import { FollowUps } from '../../../tools/follow-ups.js';
import { Notifications } from '../../../tools/notifications.js';
import { MAX_ATTACHMENT_BYTES, Outbox } from '../../../tools/outbox.js';
import { fitnessContacts, fitnessPayments, fitnessStaff, fitnessSubscriptions } from '../crm/schema.js';
import { contactIn, crmOf, fullName, idSchema, loadContact, timeSchema, toolActor, viaCrm } from './common.js';
import { deliverEmail } from './delivery.js';
import { SOCIAL_PLATFORMS, type SocialPlatform } from './enums.js';
import { fitnessSocialPosts } from './schema.js';

// Automation: tasks for agents, tags, exports, lead tasks for staff, social posts kept for people.

const MAX_MINUTES = 5 * 366 * 24 * 60;

/** dueAt (a future ISO time) or inMinutes, exactly one: the time it falls due. */
function whenOf(input: { runAt?: string; inMinutes?: number }, path: string): Date {
  if ((input.runAt === undefined) === (input.inMinutes === undefined)) throw new ToolError(`give exactly one of ${path} or inMinutes`, 'invalid_arguments', [{ path: `input.${path}`, message: `give exactly one of ${path} or inMinutes` }]);
  const at = input.runAt !== undefined ? new Date(input.runAt) : new Date(Date.now() + input.inMinutes! * 60_000);
  if (at.getTime() <= Date.now()) throw new ToolError(`${path} must be in the future`, 'invalid_arguments', [{ path: `input.${path}`, message: 'must be in the future' }]);
  if (at.getTime() > Date.now() + MAX_MINUTES * 60_000) throw new ToolError(`${path} must be within five years`, 'invalid_arguments', [{ path: `input.${path}`, message: 'must be within five years' }]);
  return at;
}

export const scheduleTask = defineTool({
  name: 'schedule_task',
  category: 'automation',
  description:
    "Schedules a one-off task for an agent (this one by default, or another agent of the organization by id) at a time: the agent runs " +
    'then with the instructions, and the contact named, if any, in its context. Give runAt (ISO 8601 with offset) or inMinutes.',
  inputSchema: z.object({
    instructions: z.string().trim().min(1).max(5_000).describe('What the agent should do then'),
    runAt: timeSchema.optional(),
    inMinutes: z.number().int().min(1).max(MAX_MINUTES).optional(),
    agentId: z.uuid().optional().describe('Another agent of this organization (default: the calling agent)'),
    contactId: z.uuid().optional().describe("A contact the task is about: their id, name, email and phone go in the task's context"),
  }).refine((i) => (i.runAt === undefined) !== (i.inMinutes === undefined), { message: 'give exactly one of runAt or inMinutes', path: ['runAt'] }),
  outputSchema: z.object({ taskId: z.string(), agentId: z.string(), runAt: z.string() }),
  // Another agent may hold tools this one lacks: only those who manage agents may let an agent hand work on.
  grantRoles: ['admin', 'owner'],
  requiresApproval: false,
  idempotent: false,
  timeoutMs: 15_000,
  describe: (input) => `Schedule a task for ${input.agentId ? `agent ${input.agentId.slice(0, 8)}…` : 'this agent'} ${input.runAt ? `at ${input.runAt}` : `in ${input.inMinutes} minutes`}: '${input.instructions.slice(0, 80)}'`,
  async execute(input, ctx) {
    const runAt = whenOf(input, 'runAt');
    if (!ctx.followUpTask) throw new ToolError('Tasks cannot be scheduled in this process');
    const c = input.contactId ? await loadContact(ctx, input.contactId) : null;
    const contact = c ? { id: c.id, name: fullName(c), ...(c.email ? { email: c.email } : {}), ...(c.phone ? { phone: c.phone } : {}) } : undefined;
    const agentId = input.agentId ?? ctx.agentId;
    if (!agentId) throw new ToolError('Give agentId: the agent that is to run the task (a workflow node has none of its own)', 'invalid_arguments', [{ path: 'input.agentId', message: 'required outside an agent run' }]);
    const taskId = await ctx.followUpTask.create(ctx.orgId, { agentId, runId: ctx.runId, dueAt: runAt, note: input.instructions, contact });
    if (!taskId) throw new ToolError('No agent with this id in this organization', 'not_found');
    return { taskId, agentId, runAt: runAt.toISOString() };
  },
});

const tag = z.string().trim().toLowerCase().min(1).max(50);
const tagArray = (values: string[]) => (values.length ? sql`array[${sql.join(values.map((v) => sql`${v}`), sql`, `)}]::text[]` : sql`'{}'::text[]`);

export const updateClientTags = defineTool({
  name: 'update_client_tags',
  category: 'automation',
  description: "Adds and/or removes tags on a contact (tags are lower-case; adding one it has, or removing one it lacks, changes nothing). Returns the contact's tags.",
  inputSchema: z
    .object({
      clientId: idSchema('contact'),
      add: z.array(tag).max(20).default([]),
      remove: z.array(tag).max(20).default([]),
    })
    .refine((i) => i.add.length + i.remove.length > 0, { message: 'give tags to add or remove', path: ['add'] }),
  outputSchema: z.object({ id: z.string(), name: z.string(), tags: z.array(z.string()), added: z.array(z.string()), removed: z.array(z.string()) }),
  grantRoles: ['member', 'admin', 'owner'],
  requiresApproval: false,
  idempotent: true,
  timeoutMs: 10_000,
  describe: (input) => `Tag the contact${input.add.length ? ` +${input.add.join(' +')}` : ''}${input.remove.length ? ` -${input.remove.join(' -')}` : ''}`,
  async execute(input, ctx) {
    return ctx.database.withOrg(ctx.orgId, async (tx) => {
      const before = await contactIn(tx, ctx.orgId, input.clientId);
      const c = fitnessContacts;
      // One statement: a concurrent change of other tags is kept (no read-modify-write); at most 50 tags, as the API allows.
      const [row] = await tx
        .update(c)
        .set({
          tags: sql`coalesce((select array_agg(t order by t) from (select distinct unnest(array_cat(${c.tags}, ${tagArray(input.add)})) t) u where t <> all(${tagArray(input.remove)})), '{}'::text[])`,
          updatedAt: sql`now()`,
        })
        .where(and(eq(c.orgId, ctx.orgId), eq(c.id, before.id)))
        .returning({ tags: c.tags });
      if (row!.tags.length > 50) throw new ToolError('A contact carries at most 50 tags', 'invalid_arguments', [{ path: 'input.add', message: 'more than 50 tags' }]);
      return {
        id: before.id,
        name: fullName(before),
        tags: row!.tags,
        added: row!.tags.filter((t) => !before.tags.includes(t)),
        removed: before.tags.filter((t) => !row!.tags.includes(t)),
      };
    });
  },
});

const EXPORT_TABLES = { contacts: fitnessContacts, subscriptions: fitnessSubscriptions, payments: fitnessPayments } as const;

export const exportData = defineTool({
  name: 'export_data',
  category: 'automation',
  description:
    "Exports the gym's contacts, subscriptions or payments as a CSV file (the CRM's export: every row, oldest first) attached to a mail: sent " +
    'to emailTo, or kept in the outbox for an administrator to download when no address is given (or no mail server is set). A person approves it first.',
  inputSchema: z.object({
    entity: z.enum(['contacts', 'subscriptions', 'payments']),
    emailTo: z.array(z.email().max(254)).min(1).max(10).optional().describe('Staff addresses to mail it to (default: kept in the outbox)'),
  }),
  outputSchema: z.object({
    entity: z.string(),
    rows: z.number().int(),
    bytes: z.number().int(),
    filename: z.string(),
    outboxId: z.string().nullable(),
    status: z.enum(['sent', 'queued', 'kept']),
    download: z.string().nullable().describe('Where an administrator downloads the file (API path)'),
  }),
  grantRoles: ['admin', 'owner'],
  // Personal data leaves the CRM: a person says yes to each export.
  requiresApproval: true,
  idempotent: false,
  timeoutMs: 120_000,
  describe: (input) => `Export all ${input.entity} as CSV ${input.emailTo ? `and mail it to ${input.emailTo.join(', ')}` : 'into the outbox'}`,
  async execute(input, ctx) {
    const table = EXPORT_TABLES[input.entity];
    const [{ rows } = { rows: 0 }] = await ctx.database.withOrg(ctx.orgId, (tx) => tx.select({ rows: count() }).from(table).where(eq(table.orgId, ctx.orgId)));
    let csv = '';
    for await (const chunk of crmOf(ctx).exportCsv(ctx.orgId, input.entity)) {
      ctx.signal.throwIfAborted();
      csv += chunk;
      if (Buffer.byteLength(csv) > MAX_ATTACHMENT_BYTES) {
        throw new ToolError(
          `The ${input.entity} export is larger than ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MiB, too large for a mail; an administrator can download it at GET /api/v1/fitness/export/${input.entity}.csv`,
          'refused',
        );
      }
    }
    const day = new Date().toISOString().slice(0, 10);
    const filename = `${input.entity}-${day}.csv`;
    const mail = {
      to: input.emailTo ?? [],
      subject: `Export: ${input.entity} (${day})`,
      text: `The ${input.entity} export of ${day}: ${rows} rows, attached as ${filename}.`,
      attachments: [{ filename, contentType: 'text/csv', content: csv }],
    };
    const bytes = Buffer.byteLength(csv);
    if (!input.emailTo) {
      const row = await new Outbox(ctx.database).record(ctx.orgId, { ...mail, status: 'kept', runId: ctx.runId });
      return { entity: input.entity, rows, bytes, filename, outboxId: row.id, status: 'kept' as const, download: `/api/v1/outbox/${row.id}/attachments/0` };
    }
    const sent = await deliverEmail(ctx, mail);
    if (sent.status === 'failed') throw new ToolError(sent.error ?? 'The mail server did not take the export');
    return { entity: input.entity, rows, bytes, filename, outboxId: sent.outboxId, status: sent.status, download: sent.outboxId ? `/api/v1/outbox/${sent.outboxId}/attachments/0` : null };
  },
});

export const createLeadTask = defineTool({
  name: 'create_lead_task',
  category: 'automation',
  description:
    'Hands a lead to the staff: a task (call back, book a tour, send prices) kept as a note on the lead, an in-app notification to the ' +
    "assigned staff member (default: the lead's owner; else everyone), and, with a due time, a follow-up on the follow-ups list.",
  inputSchema: z.object({
    leadId: idSchema('lead (contact)'),
    title: z.string().trim().min(1).max(200).describe('What to do: "Call back about the family plan"'),
    details: z.string().trim().max(5_000).optional(),
    dueAt: timeSchema.optional().describe('When it should be done'),
    assignToStaffId: z.uuid().optional().describe("A staff member (default: the lead's owner)"),
    priority: z.enum(['normal', 'urgent']).default('normal'),
  }),
  outputSchema: z.object({ noteId: z.string(), notificationId: z.string(), followUpId: z.string().nullable(), assignedTo: z.string().nullable() }),
  grantRoles: ['member', 'admin', 'owner'],
  requiresApproval: false,
  idempotent: false,
  timeoutMs: 15_000,
  describe: (input) => `Give the staff a lead task: '${input.title}'${input.dueAt ? ` due ${input.dueAt}` : ''}`,
  async execute(input, ctx) {
    const dueAt = input.dueAt ? new Date(input.dueAt) : null;
    if (dueAt && dueAt.getTime() <= Date.now()) throw new ToolError('dueAt must be in the future', 'invalid_arguments', [{ path: 'input.dueAt', message: 'must be in the future' }]);
    const { lead, staff } = await ctx.database.withOrg(ctx.orgId, async (tx) => {
      const lead = await contactIn(tx, ctx.orgId, input.leadId, 'Lead');
      const staffId = input.assignToStaffId ?? lead.ownerStaffId;
      let staff: { id: string; name: string; userId: string | null } | null = null;
      if (staffId) {
        [staff = null] = UUID_RE.test(staffId)
          ? await tx
              .select({ id: fitnessStaff.id, name: fitnessStaff.name, userId: fitnessStaff.userId })
              .from(fitnessStaff)
              .where(and(eq(fitnessStaff.orgId, ctx.orgId), eq(fitnessStaff.id, staffId)))
          : [];
        if (!staff && input.assignToStaffId) throw new ToolError('Staff member not found in this organization', 'not_found');
      }
      return { lead, staff };
    });
    const name = fullName(lead);
    const due = dueAt ? ` (due ${dueAt.toISOString()})` : '';
    const body = [`Task${staff ? ` for ${staff.name}` : ''}: ${input.title}${due}`, input.details].filter(Boolean).join('\n');
    const note = await viaCrm(() => crmOf(ctx).notes.create(toolActor(ctx), { contactId: lead.id, body, authorStaffId: null }));
    const notification = await new Notifications(ctx.database).create(ctx.orgId, {
      title: `Lead task: ${input.title}`.slice(0, 200),
      body: `${name}${lead.phone ? `, ${lead.phone}` : ''}${lead.email ? `, ${lead.email}` : ''}${due}${input.details ? `\n${input.details}` : ''}`.slice(0, 5_000),
      level: input.priority === 'urgent' ? 'urgent' : 'info',
      userId: staff?.userId ?? null,
      data: { source: 'create_lead_task', contactId: lead.id, noteId: note.id, staffId: staff?.id ?? null, agentId: ctx.agentId, toolCallId: ctx.toolCallId },
      runId: ctx.runId,
    });
    const followUp = dueAt
      ? await new FollowUps(ctx.database).create(ctx.orgId, {
          dueAt,
          note: `${input.title} (lead ${name})${staff ? `, for ${staff.name}` : ''}`,
          contact: { id: lead.id, name, ...(lead.email ? { email: lead.email } : {}), ...(lead.phone ? { phone: lead.phone } : {}) },
          agentId: ctx.agentId,
          runId: ctx.runId,
        })
      : null;
    return { noteId: note.id, notificationId: notification.id, followUpId: followUp?.id ?? null, assignedTo: staff?.name ?? null };
  },
});

/** Most characters a post may have on each platform (text and hashtags together). */
export const PLATFORM_LIMITS: Record<SocialPlatform, number> = { x: 280, instagram: 2200, tiktok: 2200, facebook: 5000, linkedin: 3000 };

/** '#Yoga', 'yoga ' → '#yoga'-style tags: a leading #, letters, digits and _ only. */
export const hashtag = (text: string) => `#${text.replace(/^#+/, '').replace(/[^\p{L}\p{N}_]/gu, '')}`;

export const scheduleSocialPost = defineTool({
  name: 'schedule_social_post',
  category: 'automation',
  description:
    'Schedules a social media post (Instagram, Facebook, X, TikTok, LinkedIn): it is kept in the social posts outbox for a person to publish ' +
    `at that time; no social network is called. Text and hashtags together fit the platform (${Object.entries(PLATFORM_LIMITS)
      .map(([p, n]) => `${p} ${n}`)
      .join(', ')} characters).`,
  inputSchema: z.object({
    platform: z.enum(SOCIAL_PLATFORMS),
    content: z.string().trim().min(1).max(5_000),
    hashtags: z.array(z.string().trim().min(1).max(60)).max(30).default([]).describe('With or without the #'),
    mediaUrls: z
      .array(z.url({ protocol: /^https?$/ }).max(2048))
      .max(10)
      .default([])
      .describe('Images or videos to attach (kept with the post; not fetched)'),
    scheduledFor: timeSchema,
  }),
  outputSchema: z.object({ postId: z.string(), platform: z.enum(SOCIAL_PLATFORMS), scheduledFor: z.string(), status: z.literal('scheduled'), characters: z.number().int() }),
  grantRoles: ['member', 'admin', 'owner'],
  requiresApproval: false,
  idempotent: false,
  // One post per tool call (a unique key): a call interrupted mid-way is simply made again.
  keyedByCall: true,
  timeoutMs: 10_000,
  describe: (input) => `Schedule a ${input.platform} post for ${input.scheduledFor}: '${input.content.replace(/\s+/g, ' ').slice(0, 80)}'`,
  async execute(input, ctx) {
    const at = new Date(input.scheduledFor);
    if (at.getTime() <= Date.now()) throw new ToolError('scheduledFor must be in the future', 'invalid_arguments', [{ path: 'input.scheduledFor', message: 'must be in the future' }]);
    if (at.getTime() > Date.now() + 366 * 86_400_000) throw new ToolError('scheduledFor must be within a year', 'invalid_arguments', [{ path: 'input.scheduledFor', message: 'must be within a year' }]);
    const tags = [...new Set(input.hashtags.map(hashtag).filter((t) => t.length > 1))];
    const characters = [...input.content].length + (tags.length ? 1 + tags.join(' ').length : 0);
    const limit = PLATFORM_LIMITS[input.platform];
    if (characters > limit) throw new ToolError(`The post has ${characters} characters with its hashtags; ${input.platform} takes at most ${limit}`, 'invalid_arguments', [{ path: 'input.content', message: 'too long for the platform' }]);
    const row = await ctx.database.withOrg(ctx.orgId, async (tx) => {
      const values = { orgId: ctx.orgId, platform: input.platform, content: input.content, hashtags: tags, mediaUrls: input.mediaUrls, scheduledFor: at, agentId: ctx.agentId, runId: ctx.runId, toolCallId: ctx.toolCallId };
      const [created] = await tx.insert(fitnessSocialPosts).values(values).onConflictDoNothing().returning();
      if (created) return created;
      const [existing] = await tx
        .select()
        .from(fitnessSocialPosts)
        .where(and(eq(fitnessSocialPosts.orgId, ctx.orgId), eq(fitnessSocialPosts.runId, ctx.runId), eq(fitnessSocialPosts.toolCallId, ctx.toolCallId)));
      return existing!;
    });
    return { postId: row.id, platform: row.platform, scheduledFor: row.scheduledFor.toISOString(), status: 'scheduled' as const, characters };
  },
});
