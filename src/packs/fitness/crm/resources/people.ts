import { gte, ilike, inArray, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { z } from 'zod';
import { likePattern } from '../../../../shared/pagination.js';
import type { communicationSchema, contactSchema, leadStageSchema, listCommunicationsQuery, listContactsQuery, listLeadStagesQuery, listNotesQuery, listStaffQuery, noteSchema, staffSchema } from '../dto/people.js';
import { LEAD_STATUSES, MEMBER_STATUSES, kindOfStatus } from '../enums.js';
import { isoDates, type ResourceDef } from '../resource.js';
import { contactSearchDocument, fitnessCommunications, fitnessContacts, fitnessLeadStages, fitnessNotes, fitnessStaff } from '../schema.js';
import { anyIf, changedAt, eqIf, intSort, taken, textSort, timestampSort } from './common.js';

export const staffRef = { table: fitnessStaff, label: 'staff member' };
export const contactRef = { table: fitnessContacts, label: 'contact' };

export const staffDef: ResourceDef<typeof fitnessStaff, z.output<typeof staffSchema>, z.output<typeof listStaffQuery>> = {
  label: 'Staff member',
  table: fitnessStaff,
  time: fitnessStaff.createdAt,
  sorts: { createdAt: timestampSort(fitnessStaff.createdAt), name: textSort(sql`lower(${fitnessStaff.name})`) },
  filters: (q) => [
    eqIf(fitnessStaff.role, q.role),
    eqIf(fitnessStaff.active, q.active),
    q.q ? or(ilike(fitnessStaff.name, likePattern(q.q)), ilike(fitnessStaff.email, likePattern(q.q))) : undefined,
  ],
  fromCreate: (input) => input,
  conflicts: { fitness_staff_org_email_key: taken('staff_email_taken', 'email', 'Another staff member of this organization has this email') },
  view: (row) => isoDates(row),
};

export const leadStageDef: ResourceDef<typeof fitnessLeadStages, z.output<typeof leadStageSchema>, z.output<typeof listLeadStagesQuery>> = {
  label: 'Lead stage',
  table: fitnessLeadStages,
  time: fitnessLeadStages.createdAt,
  sorts: {
    position: intSort(fitnessLeadStages.position),
    name: textSort(sql`lower(${fitnessLeadStages.name})`),
    createdAt: timestampSort(fitnessLeadStages.createdAt),
  },
  fromCreate: (input) => input,
  check: (next) => (next.isWon && next.isLost ? [{ path: 'body.isLost', message: 'a stage cannot be both won and lost' }] : []),
  conflicts: { fitness_lead_stages_org_name_key: taken('lead_stage_name_taken', 'name', 'Another lead stage of this organization has this name (names ignore case)') },
  view: (row) => isoDates(row),
};

/**
 * The contacts' text search: every word of `q` starts a word of the search document (names,
 * email and its parts, external id). A `q` of digits and phone punctuation matches the phone's
 * digits from their start instead ("+1 555" finds +1 (555) 010-0199).
 */
export function contactSearch(q: string): SQL {
  const doc = contactSearchDocument(fitnessContacts);
  const digits = q.replace(/\D/g, '');
  if (/^[\d\s()+.\-/]+$/.test(q) && digits.length >= 3) return sql`${doc} @@ to_tsquery('simple'::regconfig, ${`${digits}:*`})`;
  const words = sql`(select to_tsquery('simple'::regconfig, string_agg(quote_literal(w) || ':*', ' & ')) from unnest(tsvector_to_array(to_tsvector('simple'::regconfig, ${q}))) w)`;
  return sql`${doc} @@ ${words}`;
}

const CONSENT_COLUMNS = { email: fitnessContacts.emailConsent, sms: fitnessContacts.smsConsent, marketing: fitnessContacts.marketingConsent } as const;

export function contactFilters(q: Partial<z.output<typeof listContactsQuery>>): (SQL | undefined)[] {
  const c = fitnessContacts;
  return [
    anyIf(c.status, q.status),
    q.kind ? inArray(c.status, [...(q.kind === 'lead' ? LEAD_STATUSES : MEMBER_STATUSES)]) : undefined,
    q.tag ? sql`${c.tags} @> array[${q.tag}]::text[]` : undefined,
    eqIf(c.source, q.source),
    eqIf(c.leadStageId, q.leadStageId),
    eqIf(c.ownerStaffId, q.ownerStaffId),
    q.consent ? sql`${CONSENT_COLUMNS[q.consent]} and not ${c.optedOut}` : undefined,
    q.visitedSince ? gte(c.lastVisitAt, q.visitedSince) : undefined,
    q.notVisitedSince ? or(isNull(c.lastVisitAt), lt(c.lastVisitAt, q.notVisitedSince)) : undefined,
    q.q ? contactSearch(q.q) : undefined,
  ];
}

type ContactRow = typeof fitnessContacts.$inferSelect;

/** A new contact's row: consent and opt-out times are now where set; an active member joined now unless told. */
export function contactValues(input: Record<string, unknown>, createdBy: string | null, now = new Date()): Record<string, unknown> {
  return {
    ...input,
    createdBy,
    emailConsentAt: input.emailConsent ? now : null,
    smsConsentAt: input.smsConsent ? now : null,
    marketingConsentAt: input.marketingConsent ? now : null,
    optedOutAt: input.optedOut ? now : null,
    joinedAt: input.joinedAt ?? (input.status === 'active' ? now : null),
  };
}

export const contactDef: ResourceDef<typeof fitnessContacts, z.output<typeof contactSchema>, z.output<typeof listContactsQuery>> = {
  label: 'Contact',
  table: fitnessContacts,
  time: fitnessContacts.createdAt,
  sorts: {
    createdAt: timestampSort(fitnessContacts.createdAt),
    updatedAt: timestampSort(fitnessContacts.updatedAt),
    name: textSort(sql`lower(${fitnessContacts.firstName} || ' ' || ${fitnessContacts.lastName})`),
  },
  filters: contactFilters,
  refs: { leadStageId: { table: fitnessLeadStages, label: 'lead stage' }, ownerStaffId: staffRef },
  fromCreate: (input, actor) => contactValues(input, actor.userId),
  fromUpdate: (patch, current: ContactRow) => {
    const set: Record<string, unknown> = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
    const times = {
      emailConsentAt: changedAt(patch.emailConsent as boolean | undefined, current.emailConsent),
      smsConsentAt: changedAt(patch.smsConsent as boolean | undefined, current.smsConsent),
      marketingConsentAt: changedAt(patch.marketingConsent as boolean | undefined, current.marketingConsent),
      optedOutAt: changedAt(patch.optedOut as boolean | undefined, current.optedOut),
    };
    for (const [k, v] of Object.entries(times)) if (v) set[k] = v;
    if (patch.status === 'active' && !current.joinedAt && patch.joinedAt === undefined) set.joinedAt = new Date();
    return set;
  },
  conflicts: {
    fitness_contacts_org_email_key: taken('contact_email_taken', 'email', 'Another contact of this organization has this email'),
    fitness_contacts_org_external_id_key: taken('contact_external_id_taken', 'externalId', 'Another contact of this organization has this external id'),
  },
  view: (row) => ({ ...isoDates(row), kind: kindOfStatus(row.status) }),
};

export const noteDef: ResourceDef<typeof fitnessNotes, z.output<typeof noteSchema>, z.output<typeof listNotesQuery>> = {
  label: 'Note',
  table: fitnessNotes,
  time: fitnessNotes.createdAt,
  sorts: { createdAt: timestampSort(fitnessNotes.createdAt) },
  filters: (q) => [eqIf(fitnessNotes.contactId, q.contactId), eqIf(fitnessNotes.authorStaffId, q.authorStaffId)],
  refs: { contactId: contactRef, authorStaffId: staffRef },
  fromCreate: (input, actor) => ({ ...input, createdBy: actor.userId }),
  view: (row) => isoDates(row),
};

export const communicationDef: ResourceDef<typeof fitnessCommunications, z.output<typeof communicationSchema>, z.output<typeof listCommunicationsQuery>> = {
  label: 'Communication',
  table: fitnessCommunications,
  time: fitnessCommunications.at,
  sorts: { at: timestampSort(fitnessCommunications.at) },
  filters: (q) => {
    const c = fitnessCommunications;
    return [eqIf(c.contactId, q.contactId), anyIf(c.channel, q.channel), eqIf(c.direction, q.direction), anyIf(c.status, q.status), eqIf(c.runId, q.runId), eqIf(c.staffId, q.staffId)];
  },
  refs: { contactId: contactRef, staffId: staffRef },
  fromCreate: (input) => input,
  view: (row) => isoDates(row),
};
