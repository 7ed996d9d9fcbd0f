import { asc, eq, inArray } from 'drizzle-orm';
import { z } from 'zod';
import type { Tx } from '../../../db/client.js';
import { UUID_RE } from '../../../shared/ids.js';
import { defineTool } from '../../../tools/define.js';
import { ToolError } from '../../../tools/errors.js';
import { CONTACT_STATUSES, LEAD_STATUSES } from '../crm/enums.js';
import { fitnessBookings, fitnessLeadStages } from '../crm/schema.js';
import { contactListQuery, contactSearchFields } from './clients.js';
import { contactIn, contactLine, crmOf, fullName, idSchema, loadContact, nextOffset, toolActor, viaCrm } from './common.js';
import { bookingLines, contactProfile } from './profile.js';

// The lead pipeline: search prospects, read one, move them along.

const READ = { grantRoles: ['member', 'admin', 'owner'] as const, requiresApproval: false, idempotent: true, timeoutMs: 15_000 };

async function stagesOf(tx: Tx, orgId: string) {
  return tx
    .select({ id: fitnessLeadStages.id, name: fitnessLeadStages.name, position: fitnessLeadStages.position, isWon: fitnessLeadStages.isWon, isLost: fitnessLeadStages.isLost })
    .from(fitnessLeadStages)
    .where(eq(fitnessLeadStages.orgId, orgId))
    .orderBy(asc(fitnessLeadStages.position), asc(fitnessLeadStages.name));
}

/** A stage by id or by name (any case); not_found names the stages there are. */
async function findStage(tx: Tx, orgId: string, wanted: string) {
  const stages = await stagesOf(tx, orgId);
  const found = UUID_RE.test(wanted) ? stages.find((s) => s.id === wanted) : stages.find((s) => s.name.toLowerCase() === wanted.trim().toLowerCase());
  if (!found) {
    const names = stages.map((s) => `"${s.name}"`).join(', ');
    throw new ToolError(`No lead stage "${wanted}" in this organization; the stages are ${names || '(none defined yet)'}`, 'not_found');
  }
  return found;
}

export const searchLeads = defineTool({
  name: 'search_leads',
  category: 'crm',
  description:
    "Searches the gym's leads (prospects: status lead or trial) by name, email, phone, tag, pipeline stage, source and owner. " +
    'Returns compact rows with the stage name, the total matching, and nextOffset for the next page.',
  inputSchema: z.object({
    ...contactSearchFields,
    status: z.array(z.enum(LEAD_STATUSES)).min(1).max(2).optional().describe('lead, trial or both (default both)'),
    stage: z.string().trim().min(1).max(100).optional().describe("A pipeline stage's name or id"),
    source: z.string().trim().min(1).max(100).optional().describe('Where they came from: website, referral, walk_in, …'),
    ownerStaffId: z.uuid().optional().describe('Only leads this staff member looks after'),
  }),
  ...READ,
  async execute(input, ctx) {
    const stages = await ctx.database.withOrg(ctx.orgId, async (tx) => ({ all: await stagesOf(tx, ctx.orgId), wanted: input.stage ? await findStage(tx, ctx.orgId, input.stage) : null }));
    const q = contactListQuery(input, {
      status: input.status ?? [...LEAD_STATUSES],
      source: input.source,
      ownerStaffId: input.ownerStaffId,
      leadStageId: stages.wanted?.id,
    });
    const page = await viaCrm(() => crmOf(ctx).contacts.list(toolActor(ctx), q));
    const names = new Map(stages.all.map((s) => [s.id, s.name]));
    return {
      total: page.total,
      items: page.items.map((c) => ({ ...contactLine(c), source: c.source, stage: c.leadStageId ? (names.get(c.leadStageId) ?? null) : null, createdAt: c.createdAt })),
      nextOffset: nextOffset(input.offset, page.items.length, page.total),
    };
  },
});

export const viewLeadProfile = defineTool({
  name: 'view_lead_profile',
  category: 'crm',
  description:
    "One lead's profile: contact details and consents, source, pipeline stage (and the stages there are), owner, trial classes and facility " +
    'tours booked, notes and messages so far.',
  inputSchema: z.object({ leadId: idSchema('lead (contact)') }),
  ...READ,
  async execute(input, ctx) {
    return ctx.database.withOrg(ctx.orgId, async (tx) => {
      const lead = await contactIn(tx, ctx.orgId, input.leadId, 'Lead');
      const [profile, stages, visits] = await Promise.all([
        contactProfile(tx, ctx.orgId, lead),
        stagesOf(tx, ctx.orgId),
        bookingLines(tx, ctx.orgId, [eq(fitnessBookings.contactId, lead.id), inArray(fitnessBookings.kind, ['trial', 'facility_tour'])], 'desc', 10),
      ]);
      return { ...profile, trialsAndTours: visits, pipeline: stages.map((s) => ({ name: s.name, isWon: s.isWon, isLost: s.isLost })) };
    });
  },
});

export const updateLeadStatus = defineTool({
  name: 'update_lead_status',
  category: 'crm',
  description:
    "Moves a lead along the pipeline: give `stage` (a stage's name or id), `status` (lead, trial, or active when they joined; any " +
    'contact status), or both, and optionally a note. Returns the lead as it now is. Repeating the same change changes nothing.',
  inputSchema: z
    .object({
      leadId: idSchema('lead (contact)'),
      stage: z.string().trim().min(1).max(100).optional().describe("The pipeline stage's name or id"),
      status: z.enum(CONTACT_STATUSES).optional(),
      note: z.string().trim().min(1).max(2000).optional().describe('Kept as a note on the lead'),
    })
    .refine((i) => i.stage !== undefined || i.status !== undefined, { message: 'give stage, status or both', path: ['stage'] }),
  outputSchema: z.object({
    id: z.string(),
    name: z.string(),
    status: z.enum(CONTACT_STATUSES),
    stage: z.string().nullable(),
    changed: z.boolean(),
    noteId: z.string().nullable(),
  }),
  grantRoles: ['member', 'admin', 'owner'],
  requiresApproval: false,
  idempotent: true,
  timeoutMs: 15_000,
  describe: (input) => `Move the lead${input.stage ? ` to stage "${input.stage}"` : ''}${input.status ? ` (status ${input.status})` : ''}`,
  async execute(input, ctx) {
    const actor = toolActor(ctx);
    const crm = crmOf(ctx);
    const lead = await loadContact(ctx, input.leadId, 'Lead');
    const stage = input.stage ? await ctx.database.withOrg(ctx.orgId, (tx) => findStage(tx, ctx.orgId, input.stage!)) : null;
    const patch: Record<string, unknown> = {};
    if (stage && stage.id !== lead.leadStageId) patch.leadStageId = stage.id;
    if (input.status && input.status !== lead.status) patch.status = input.status;
    const changed = Object.keys(patch).length > 0;
    if (changed) await viaCrm(() => crm.contacts.update(actor, lead.id, patch));
    const what = [patch.leadStageId ? `stage "${stage!.name}"` : null, patch.status ? `status ${String(patch.status)}` : null].filter(Boolean).join(' and ');
    const body = changed || input.note ? [changed ? `Moved to ${what} by an agent.` : null, input.note].filter(Boolean).join(' ') : null;
    const note = body ? await viaCrm(() => crm.notes.create(actor, { contactId: lead.id, body, authorStaffId: null })) : null;
    const stageName = stage?.name ?? (lead.leadStageId ? ((await ctx.database.withOrg(ctx.orgId, (tx) => stagesOf(tx, ctx.orgId))).find((s) => s.id === lead.leadStageId)?.name ?? null) : null);
    return { id: lead.id, name: fullName(lead), status: (patch.status as typeof lead.status | undefined) ?? lead.status, stage: stageName, changed, noteId: note?.id ?? null };
  },
});
