import { z } from 'zod';
import {
  COMMUNICATION_CHANNELS,
  COMMUNICATION_DIRECTIONS,
  COMMUNICATION_STATUSES,
  CONTACT_KINDS,
  CONTACT_STATUSES,
  STAFF_ROLES,
} from '../enums.js';
import {
  anyOf,
  email,
  externalId,
  idFilter,
  listQuery,
  name,
  nullableDay,
  nullableRef,
  nullableText,
  nullableTime,
  optionalAll,
  out,
  phone,
  ref,
  rowBase,
  rowTimes,
  searchText,
  tags,
  text,
  time,
} from './common.js';

// Staff, the lead pipeline's stages, contacts (members and leads), notes and the communications log.

// ---- staff ----
const staffFields = {
  name: name(),
  email,
  phone,
  role: z.enum(STAFF_ROLES),
  active: z.boolean(),
  userId: nullableRef('Troupe user').describe('The Troupe user this person signs in as, if any'),
};
export const createStaffBody = z
  .strictObject({ ...staffFields, email: email.default(null), phone: phone.default(null), active: z.boolean().default(true), userId: staffFields.userId.default(null) })
  .meta({ id: 'FitnessCreateStaff' });
export const updateStaffBody = z.strictObject(optionalAll(staffFields)).meta({ id: 'FitnessUpdateStaff' });
export const staffSchema = z
  .object({ ...rowTimes, name: out.text, email: out.nullableText, phone: out.nullableText, role: z.enum(STAFF_ROLES), active: out.bool, userId: out.nullableId })
  .meta({ id: 'FitnessStaff' });
export const listStaffQuery = listQuery(['createdAt', 'name'], 'createdAt').extend({
  role: z.enum(STAFF_ROLES).optional(),
  active: z.stringbool().optional(),
  q: searchText.describe('Name or email contains this (case-insensitive)'),
});

// ---- lead stages ----
const stageFields = {
  name: name(100),
  position: z.number().int().min(0).max(10_000).describe('Order on the board, smallest first'),
  isWon: z.boolean().describe('A lead here has joined'),
  isLost: z.boolean().describe('A lead here is not coming'),
};
export const createLeadStageBody = z
  .strictObject({ ...stageFields, position: stageFields.position.default(0), isWon: stageFields.isWon.default(false), isLost: stageFields.isLost.default(false) })
  .meta({ id: 'FitnessCreateLeadStage' });
export const updateLeadStageBody = z.strictObject(optionalAll(stageFields)).meta({ id: 'FitnessUpdateLeadStage' });
export const leadStageSchema = z
  .object({ ...rowTimes, name: out.text, position: out.int, isWon: out.bool, isLost: out.bool })
  .meta({ id: 'FitnessLeadStage' });
export const listLeadStagesQuery = listQuery(['position', 'name', 'createdAt'], 'createdAt', 'asc');

// ---- contacts ----
const contactFields = {
  externalId,
  firstName: name(100),
  lastName: text(100),
  email,
  phone,
  dateOfBirth: nullableDay,
  status: z.enum(CONTACT_STATUSES).describe('lead and trial are leads; active, frozen, cancelled and former are members'),
  tags,
  source: nullableText(100).describe('Where the contact came from: website, referral, walk_in, …'),
  emailConsent: z.boolean().describe('Agreed to email; the time it was last set is kept'),
  smsConsent: z.boolean(),
  marketingConsent: z.boolean(),
  optedOut: z.boolean().describe('Asked for no messages at all (outranks every consent)'),
  joinedAt: nullableTime.describe('Became a member; set when the status first becomes active, unless given'),
  lastVisitAt: nullableTime.describe('Kept by check-ins; may be given on import'),
  leadStageId: nullableRef('Lead stage'),
  ownerStaffId: nullableRef('Staff member').describe('The staff member who looks after this contact'),
};
/** Body of `POST /fitness/contacts`. Defaults: status lead, tags [], consents and optedOut false, the rest null. */
export const createContactBody = z
  .strictObject({
    ...contactFields,
    externalId: externalId.default(null),
    lastName: contactFields.lastName.default(''),
    email: email.default(null),
    phone: phone.default(null),
    dateOfBirth: nullableDay.default(null),
    status: contactFields.status.default('lead'),
    tags: tags.default([]),
    source: contactFields.source.default(null),
    emailConsent: z.boolean().default(false),
    smsConsent: z.boolean().default(false),
    marketingConsent: z.boolean().default(false),
    optedOut: z.boolean().default(false),
    joinedAt: contactFields.joinedAt.default(null),
    lastVisitAt: contactFields.lastVisitAt.default(null),
    leadStageId: contactFields.leadStageId.default(null),
    ownerStaffId: contactFields.ownerStaffId.default(null),
  })
  .meta({ id: 'FitnessCreateContact' });
export type CreateContactInput = z.output<typeof createContactBody>;
export const updateContactBody = z.strictObject(optionalAll(contactFields)).meta({ id: 'FitnessUpdateContact' });
export const contactSchema = z
  .object({
    ...rowTimes,
    externalId: out.nullableText,
    firstName: out.text,
    lastName: out.text,
    email: out.nullableText,
    phone: out.nullableText,
    dateOfBirth: out.day,
    status: z.enum(CONTACT_STATUSES),
    kind: z.enum(CONTACT_KINDS).describe('lead (status lead or trial) or member'),
    tags: z.array(z.string()),
    source: out.nullableText,
    emailConsent: out.bool,
    emailConsentAt: out.nullableTime,
    smsConsent: out.bool,
    smsConsentAt: out.nullableTime,
    marketingConsent: out.bool,
    marketingConsentAt: out.nullableTime,
    optedOut: out.bool,
    optedOutAt: out.nullableTime,
    joinedAt: out.nullableTime,
    lastVisitAt: out.nullableTime,
    visits30d: out.int.describe('Check-ins in the 30 days before visitsRefreshedAt'),
    visitsRefreshedAt: out.nullableTime,
    leadStageId: out.nullableId,
    ownerStaffId: out.nullableId,
    createdBy: out.nullableId,
  })
  .meta({ id: 'FitnessContact' });
export const listContactsQuery = listQuery(['createdAt', 'updatedAt', 'name'], 'createdAt').extend({
  status: anyOf(CONTACT_STATUSES, 'status').optional(),
  kind: z.enum(CONTACT_KINDS).optional().describe('lead: status lead or trial; member: any other'),
  tag: z.string().trim().toLowerCase().min(1).max(50).optional().describe('Contacts carrying this tag'),
  source: z.string().trim().min(1).max(100).optional(),
  leadStageId: idFilter,
  ownerStaffId: idFilter,
  consent: z.enum(['email', 'sms', 'marketing']).optional().describe('Contacts who agreed to this and have not opted out'),
  visitedSince: time.optional().describe('Last visit at or after this time'),
  notVisitedSince: time.optional().describe('No visit since this time (never visited included)'),
  q: searchText.describe('Every word starts a word of the name, email, phone digits or external id'),
});

// ---- notes ----
const noteFields = {
  contactId: ref('Contact'),
  authorStaffId: nullableRef('Staff member'),
  body: name(20_000),
};
export const createNoteBody = z.strictObject({ ...noteFields, authorStaffId: noteFields.authorStaffId.default(null) }).meta({ id: 'FitnessCreateNote' });
export const updateNoteBody = z.strictObject(optionalAll(noteFields)).meta({ id: 'FitnessUpdateNote' });
export const noteSchema = z
  .object({ ...rowTimes, contactId: out.id, authorStaffId: out.nullableId, createdBy: out.nullableId.describe('The Troupe user who wrote it'), body: out.text })
  .meta({ id: 'FitnessNote' });
export const listNotesQuery = listQuery(['createdAt'], 'createdAt').extend({ contactId: idFilter, authorStaffId: idFilter });

// ---- communications ----
const communicationFields = {
  contactId: ref('Contact'),
  channel: z.enum(COMMUNICATION_CHANNELS),
  direction: z.enum(COMMUNICATION_DIRECTIONS),
  subject: nullableText(500),
  body: text(100_000),
  status: z.enum(COMMUNICATION_STATUSES),
  runId: nullableRef('Run').describe("The agent's run that sent it"),
  staffId: nullableRef('Staff member'),
  at: time.describe('When it was sent or received (default now)'),
};
export const createCommunicationBody = z
  .strictObject({
    ...communicationFields,
    direction: communicationFields.direction.default('outbound'),
    subject: communicationFields.subject.default(null),
    body: communicationFields.body.default(''),
    status: communicationFields.status.default('logged'),
    runId: communicationFields.runId.default(null),
    staffId: communicationFields.staffId.default(null),
    at: time.optional(),
  })
  .meta({ id: 'FitnessCreateCommunication' });
export const updateCommunicationBody = z.strictObject(optionalAll(communicationFields)).meta({ id: 'FitnessUpdateCommunication' });
export const communicationSchema = z
  .object({
    ...rowBase,
    contactId: out.id,
    channel: z.enum(COMMUNICATION_CHANNELS),
    direction: z.enum(COMMUNICATION_DIRECTIONS),
    subject: out.nullableText,
    body: out.text,
    status: z.enum(COMMUNICATION_STATUSES),
    runId: out.nullableId,
    staffId: out.nullableId,
    at: out.time,
  })
  .meta({ id: 'FitnessCommunication' });
export const listCommunicationsQuery = listQuery(['at'], 'at').extend({
  contactId: idFilter,
  channel: anyOf(COMMUNICATION_CHANNELS, 'channel').optional(),
  direction: z.enum(COMMUNICATION_DIRECTIONS).optional(),
  status: anyOf(COMMUNICATION_STATUSES, 'status').optional(),
  runId: idFilter,
  staffId: idFilter,
});
