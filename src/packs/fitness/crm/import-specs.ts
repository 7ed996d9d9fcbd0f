import { and, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { z } from 'zod';
import type { Tx } from '../../../db/client.js';
import { asAmount, asBool, asDay, asEnum, asInt, asList, asMicros, asText, asTime } from './csv-cells.js';
import type { ImportColumn, ImportSpec, RowProblem } from './csv-import.js';
import { createContactBody } from './dto/people.js';
import { createPaymentBody, createSubscriptionBody } from './dto/memberships.js';
import type { Values } from './resource.js';
import { paymentDef, paymentProblems, subscriptionDef, subscriptionProblems } from './resources/memberships.js';
import { contactValues } from './resources/people.js';
import { fitnessContacts, fitnessLeadStages, fitnessPayments, fitnessPlans, fitnessStaff, fitnessSubscriptions, type PlanRow } from './schema.js';

// What each importable entity's CSV may hold, and how a row becomes a row of its table.

const LOOKUP_CHUNK = 1000;

/** Rows whose `key` is one of `values`, read in chunks (a query's parameters are limited). */
async function lookup<R>(values: string[], read: (chunk: string[]) => Promise<R[]>): Promise<R[]> {
  const unique = [...new Set(values)];
  const out: R[] = [];
  for (let i = 0; i < unique.length; i += LOOKUP_CHUNK) out.push(...(await read(unique.slice(i, i + LOOKUP_CHUNK))));
  return out;
}

const strings = (rows: Values[], field: string, lower = false) =>
  rows.map((r) => r[field]).filter((v): v is string => typeof v === 'string').map((v) => (lower ? v.toLowerCase() : v));

/** The external ids among `ids` that `table` already holds in the organization. */
async function takenExternalIds(tx: Tx, orgId: string, table: typeof fitnessContacts | typeof fitnessSubscriptions | typeof fitnessPayments, ids: string[]) {
  const rows = await lookup(ids, (chunk) =>
    tx
      .select({ id: table.externalId })
      .from(table)
      .where(and(eq(table.orgId, orgId), inArray(table.externalId, chunk))),
  );
  return new Set(rows.map((r) => r.id as string));
}

/** The API schema's problems as row problems; `rename` points fields the CSV does not have at the columns it does. */
function schemaProblems(error: z.ZodError, rename: Record<string, string> = {}): RowProblem[] {
  return error.issues.map((issue) => {
    const field = issue.path.length ? String(issue.path[0]) : null;
    return { field: field && (rename[field] ?? field), message: issue.message };
  });
}

/** Body paths of the resources' rules (`body.refundedMicros`) as fields. */
const asRowProblems = (problems: { path: string; message: string }[]): RowProblem[] =>
  problems.map((p) => ({ field: p.path.replace(/^body\.?/, '') || null, message: p.message }));

/** A value that must be unique: taken in the organization, or on an earlier row of the file. */
function uniqueness(field: string, label: string, taken: Set<string>, seen: Map<string, number>) {
  return (value: unknown, row: number): RowProblem | null => {
    if (typeof value !== 'string') return null;
    const key = field === 'email' ? value.toLowerCase() : value;
    if (taken.has(key)) return { field, message: `a ${label} with this ${field} already exists` };
    const earlier = seen.get(key);
    if (earlier !== undefined) return { field, message: `row ${earlier} has the same ${field}` };
    seen.set(key, row);
    return null;
  };
}

const col = (field: string, cell: ImportColumn['cell'], extra: Partial<ImportColumn> = {}): ImportColumn => ({ field, cell, ...extra });

// ---- contacts ----

interface ContactLookups {
  emailTaken: ReturnType<typeof uniqueness>;
  externalIdTaken: ReturnType<typeof uniqueness>;
  stages: Map<string, string>;
  staff: Map<string, string>;
}

const CONTACT_FIELDS = Object.keys(createContactBody.shape);

export const contactImport: ImportSpec<ContactLookups> = {
  entity: 'contacts',
  table: fitnessContacts,
  columns: [
    col('externalId', asText, { aliases: ['externalid', 'memberid', 'clientid', 'customerid'] }),
    col('firstName', asText, { required: true, aliases: ['first', 'firstname', 'givenname', 'forename'] }),
    col('lastName', asText, { aliases: ['last', 'surname', 'familyname'] }),
    col('email', asText, { aliases: ['emailaddress', 'mail'] }),
    col('phone', asText, { aliases: ['phonenumber', 'mobile', 'cell', 'telephone', 'tel'] }),
    col('dateOfBirth', asDay, { aliases: ['dob', 'birthday', 'birthdate'] }),
    col('status', asEnum, { aliases: ['memberstatus'] }),
    col('tags', asList),
    col('source', asText, { aliases: ['leadsource'] }),
    col('emailConsent', asBool),
    col('smsConsent', asBool),
    col('marketingConsent', asBool),
    col('optedOut', asBool, { aliases: ['unsubscribed'] }),
    col('joinedAt', asTime, { aliases: ['joined', 'membersince', 'joindate'] }),
    col('lastVisitAt', asTime, { aliases: ['lastvisit'] }),
    col('leadStage', asText, { aliases: ['stage', 'pipelinestage'] }),
    col('ownerStaffEmail', asText, { aliases: ['owner', 'owneremail'] }),
  ],
  required: [['firstName']],
  fieldColumns: { leadStageId: ['leadStage'], ownerStaffId: ['ownerStaffEmail'] },
  async prefetch(tx, orgId, rows) {
    const c = fitnessContacts;
    const [emails, externalIds, stages, staff] = await Promise.all([
      lookup(strings(rows, 'email', true), (chunk) =>
        tx
          .select({ email: sql<string>`lower(${c.email})` })
          .from(c)
          .where(and(eq(c.orgId, orgId), inArray(sql`lower(${c.email})`, chunk))),
      ),
      takenExternalIds(tx, orgId, c, strings(rows, 'externalId')),
      tx.select({ id: fitnessLeadStages.id, name: fitnessLeadStages.name }).from(fitnessLeadStages).where(eq(fitnessLeadStages.orgId, orgId)),
      tx.select({ id: fitnessStaff.id, email: fitnessStaff.email }).from(fitnessStaff).where(eq(fitnessStaff.orgId, orgId)),
    ]);
    return {
      emailTaken: uniqueness('email', 'contact', new Set(emails.map((r) => r.email)), new Map()),
      externalIdTaken: uniqueness('externalId', 'contact', externalIds, new Map()),
      stages: new Map(stages.map((s) => [s.name.toLowerCase(), s.id])),
      staff: new Map(staff.filter((s) => s.email).map((s) => [s.email!.toLowerCase(), s.id])),
    };
  },
  build(row, rowNumber, p, actor) {
    const problems: RowProblem[] = [];
    const input: Values = Object.fromEntries(Object.entries(row).filter(([k]) => CONTACT_FIELDS.includes(k)));
    if (typeof row.leadStage === 'string') {
      input.leadStageId = p.stages.get(row.leadStage.toLowerCase());
      if (!input.leadStageId) problems.push({ field: 'leadStage', message: `no lead stage is named "${row.leadStage}"` });
    }
    if (typeof row.ownerStaffEmail === 'string') {
      input.ownerStaffId = p.staff.get(row.ownerStaffEmail.toLowerCase());
      if (!input.ownerStaffId) problems.push({ field: 'ownerStaffEmail', message: `no staff member has the email ${row.ownerStaffEmail}` });
    }
    const parsed = createContactBody.safeParse(input);
    if (!parsed.success) problems.push(...schemaProblems(parsed.error, { leadStageId: 'leadStage', ownerStaffId: 'ownerStaffEmail' }));
    else {
      for (const problem of [p.emailTaken(parsed.data.email, rowNumber), p.externalIdTaken(parsed.data.externalId, rowNumber)]) if (problem) problems.push(problem);
    }
    if (problems.length || !parsed.success) return { problems };
    return { values: { ...contactValues(parsed.data, actor.userId), orgId: actor.orgId } };
  },
};

// ---- who a subscription or payment belongs to ----

interface ContactIndex {
  byEmail: Map<string, string>;
  byExternalId: Map<string, string>;
}

async function contactIndex(tx: Tx, orgId: string, rows: Values[]): Promise<ContactIndex> {
  const c = fitnessContacts;
  const read = (key: SQL, values: string[]) =>
    lookup(values, (chunk) =>
      tx
        .select({ id: c.id, key: sql<string>`${key}` })
        .from(c)
        .where(and(eq(c.orgId, orgId), inArray(key, chunk))),
    );
  const [byEmail, byExternalId] = await Promise.all([
    read(sql`lower(${c.email})`, strings(rows, 'contactEmail', true)),
    read(sql`${c.externalId}`, strings(rows, 'contactExternalId')),
  ]);
  return { byEmail: new Map(byEmail.map((r) => [r.key, r.id])), byExternalId: new Map(byExternalId.map((r) => [r.key, r.id])) };
}

/** The row's contact: by external id when given, else by email. */
function findContact(row: Values, index: ContactIndex): { contactId: string } | { problem: RowProblem } {
  if (typeof row.contactExternalId === 'string') {
    const id = index.byExternalId.get(row.contactExternalId);
    return id ? { contactId: id } : { problem: { field: 'contactExternalId', message: `no contact has the external id "${row.contactExternalId}"` } };
  }
  if (typeof row.contactEmail === 'string') {
    const id = index.byEmail.get(row.contactEmail.toLowerCase());
    return id ? { contactId: id } : { problem: { field: 'contactEmail', message: `no contact has the email ${row.contactEmail}` } };
  }
  return { problem: { field: 'contactEmail', message: 'give the contact: contactEmail or contactExternalId' } };
}

const contactColumns = [
  col('contactExternalId', asText, { aliases: ['memberid', 'clientid', 'customerid', 'contactid'] }),
  col('contactEmail', asText, { aliases: ['email', 'memberemail', 'clientemail', 'customeremail'] }),
];

/** Exactly one of two columns that say the same (an amount in dollars or in micro-dollars). */
function oneOf(row: Values, a: string, b: string): { value: unknown } | { problem: RowProblem } {
  if (row[a] !== undefined && row[b] !== undefined) return { problem: { field: a, message: `give ${a} or ${b}, not both` } };
  return { value: row[a] ?? row[b] };
}

// ---- subscriptions ----

interface SubscriptionLookups {
  contacts: ContactIndex;
  plans: Map<string, PlanRow>;
  externalIdTaken: ReturnType<typeof uniqueness>;
}

export const subscriptionImport: ImportSpec<SubscriptionLookups> = {
  entity: 'subscriptions',
  table: fitnessSubscriptions,
  columns: [
    col('externalId', asText, { aliases: ['subscriptionid', 'membershipid'] }),
    ...contactColumns,
    col('plan', asText, { required: true, aliases: ['planname', 'membership', 'membershipplan'] }),
    col('status', asEnum),
    col('startedAt', asTime, { required: true, aliases: ['started', 'start', 'startdate', 'startedon'] }),
    col('cancelledAt', asTime, { aliases: ['cancelled', 'canceled', 'canceledat', 'enddate', 'endedat'] }),
    col('cancelReason', asText, { aliases: ['cancellationreason'] }),
    col('price', asAmount),
    col('priceMicros', asMicros),
    col('currency', asText),
    col('billingInterval', asEnum, { aliases: ['interval'] }),
    col('intervalCount', asInt),
  ],
  required: [['contactEmail', 'contactExternalId'], ['plan'], ['startedAt']],
  fieldColumns: { contactId: ['contactExternalId', 'contactEmail'], planId: ['plan'], priceMicros: ['price'] },
  async prefetch(tx, orgId, rows) {
    const [contacts, plans, externalIds] = await Promise.all([
      contactIndex(tx, orgId, rows),
      tx.select().from(fitnessPlans).where(eq(fitnessPlans.orgId, orgId)),
      takenExternalIds(tx, orgId, fitnessSubscriptions, strings(rows, 'externalId')),
    ]);
    return {
      contacts,
      plans: new Map(plans.map((p) => [p.name.toLowerCase(), p])),
      externalIdTaken: uniqueness('externalId', 'subscription', externalIds, new Map()),
    };
  },
  build(row, rowNumber, p, actor) {
    const problems: RowProblem[] = [];
    const contact = findContact(row, p.contacts);
    if ('problem' in contact) problems.push(contact.problem);
    const plan = p.plans.get(String(row.plan).toLowerCase());
    if (!plan) problems.push({ field: 'plan', message: `no plan is named "${String(row.plan)}"` });
    const price = oneOf(row, 'price', 'priceMicros');
    if ('problem' in price) problems.push(price.problem);
    if (problems.length || !plan || 'problem' in contact || 'problem' in price) return { problems };
    const parsed = createSubscriptionBody.safeParse({
      externalId: row.externalId,
      contactId: contact.contactId,
      planId: plan.id,
      status: row.status,
      startedAt: row.startedAt,
      cancelledAt: row.cancelledAt,
      cancelReason: row.cancelReason,
      priceMicros: price.value ?? plan.priceMicros,
      currency: row.currency ?? plan.currency,
      billingInterval: row.billingInterval ?? plan.billingInterval,
      intervalCount: row.intervalCount ?? plan.intervalCount,
    });
    if (!parsed.success) return { problems: schemaProblems(parsed.error) };
    const values = subscriptionDef.fromCreate(parsed.data, actor);
    problems.push(...asRowProblems(subscriptionProblems(values)));
    const taken = p.externalIdTaken(parsed.data.externalId, rowNumber);
    if (taken) problems.push(taken);
    return problems.length ? { problems } : { values: { ...values, orgId: actor.orgId } };
  },
};

// ---- payments ----

interface PaymentLookups {
  contacts: ContactIndex;
  subscriptions: Map<string, { id: string; contactId: string }>;
  externalIdTaken: ReturnType<typeof uniqueness>;
}

export const paymentImport: ImportSpec<PaymentLookups> = {
  entity: 'payments',
  table: fitnessPayments,
  columns: [
    col('externalId', asText, { aliases: ['paymentid', 'transactionid', 'chargeid'] }),
    ...contactColumns,
    col('subscriptionExternalId', asText, { aliases: ['subscriptionid', 'membershipid'] }),
    col('amount', asAmount),
    col('amountMicros', asMicros),
    col('currency', asText),
    col('status', asEnum),
    col('refunded', asAmount, { aliases: ['refundedamount', 'refundamount'] }),
    col('refundedMicros', asMicros),
    col('failureReason', asText, { aliases: ['declinereason', 'failuremessage'] }),
    col('paidAt', asTime, { required: true, aliases: ['paid', 'date', 'paymentdate', 'chargedat'] }),
    col('method', asEnum, { aliases: ['paymentmethod'] }),
    col('description', asText, { aliases: ['memo'] }),
  ],
  required: [['contactEmail', 'contactExternalId'], ['amount', 'amountMicros'], ['paidAt']],
  fieldColumns: { contactId: ['contactExternalId', 'contactEmail'], subscriptionId: ['subscriptionExternalId'], amountMicros: ['amount'], refundedMicros: ['refunded'] },
  async prefetch(tx, orgId, rows) {
    const s = fitnessSubscriptions;
    const [contacts, subscriptions, externalIds] = await Promise.all([
      contactIndex(tx, orgId, rows),
      lookup(strings(rows, 'subscriptionExternalId'), (chunk) =>
        tx
          .select({ id: s.id, contactId: s.contactId, externalId: s.externalId })
          .from(s)
          .where(and(eq(s.orgId, orgId), inArray(s.externalId, chunk))),
      ),
      takenExternalIds(tx, orgId, fitnessPayments, strings(rows, 'externalId')),
    ]);
    return {
      contacts,
      subscriptions: new Map(subscriptions.map((r) => [r.externalId!, { id: r.id, contactId: r.contactId }])),
      externalIdTaken: uniqueness('externalId', 'payment', externalIds, new Map()),
    };
  },
  build(row, rowNumber, p, actor) {
    const problems: RowProblem[] = [];
    const contact = findContact(row, p.contacts);
    if ('problem' in contact) problems.push(contact.problem);
    let subscriptionId: string | null = null;
    if (typeof row.subscriptionExternalId === 'string') {
      const sub = p.subscriptions.get(row.subscriptionExternalId);
      if (!sub) problems.push({ field: 'subscriptionExternalId', message: `no subscription has the external id "${row.subscriptionExternalId}"` });
      else if ('contactId' in contact && sub.contactId !== contact.contactId) problems.push({ field: 'subscriptionExternalId', message: "is another contact's subscription" });
      else subscriptionId = sub.id;
    }
    const amount = oneOf(row, 'amount', 'amountMicros');
    const refunded = oneOf(row, 'refunded', 'refundedMicros');
    for (const r of [amount, refunded]) if ('problem' in r) problems.push(r.problem);
    if (problems.length || 'problem' in contact || 'problem' in amount || 'problem' in refunded) return { problems };
    if (amount.value === undefined) return { problems: [{ field: 'amount', message: 'is required (amount or amountMicros)' }] };
    const parsed = createPaymentBody.safeParse({
      externalId: row.externalId,
      contactId: contact.contactId,
      subscriptionId,
      amountMicros: amount.value,
      currency: row.currency,
      status: row.status,
      refundedMicros: refunded.value,
      failureReason: row.failureReason,
      paidAt: row.paidAt,
      method: row.method,
      description: row.description,
    });
    if (!parsed.success) return { problems: schemaProblems(parsed.error) };
    const values = paymentDef.fromCreate(parsed.data, actor);
    problems.push(...asRowProblems(paymentProblems(values)));
    const taken = p.externalIdTaken(parsed.data.externalId, rowNumber);
    if (taken) problems.push(taken);
    return problems.length ? { problems } : { values: { ...values, orgId: actor.orgId } };
  },
};

export const IMPORT_SPECS = { contacts: contactImport, subscriptions: subscriptionImport, payments: paymentImport } as const;
export type ImportEntity = keyof typeof IMPORT_SPECS;
/** The fields a mapping may name, per entity. */
export const importFields = (entity: ImportEntity) => IMPORT_SPECS[entity].columns.map((c) => c.field) as [string, ...string[]];
