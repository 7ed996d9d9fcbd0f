import { and, asc, eq, sql, type SQL } from 'drizzle-orm';
import type { PgColumn } from 'drizzle-orm/pg-core';
import { csvRecord, type CsvValue } from '../../../billing/csv.js';
import type { Database, Tx } from '../../../db/client.js';
import type { ImportEntity } from './import-specs.js';
import { fitnessContacts, fitnessLeadStages, fitnessPayments, fitnessPlans, fitnessStaff, fitnessSubscriptions } from './schema.js';

/**
 * CSV export of contacts, subscriptions and payments, oldest first (by createdAt, startedAt and
 * paidAt: the times their tables index by organization): a header record, then one
 * record per row, RFC 4180, with the formula guard of billing/csv.ts (text starting with = + - @
 * gets a leading apostrophe, which the import takes off again). The columns are the import's
 * fields, so an export imports into another organization as it is (contacts first); `id` and
 * `createdAt` are for reference and skipped by the import. Pages of PAGE_SIZE rows, each read in
 * its own short transaction, so a large export streams without holding one open.
 */

const PAGE_SIZE = 2000;

interface Cursor {
  at: string;
  id: string;
}

type Cells = Record<string, unknown>;

interface ExportSpec {
  header: string[];
  /** The next page after `cursor`, each row with its cells (by header name) and its cursor. */
  page(tx: Tx, orgId: string, cursor: Cursor | null, limit: number): Promise<{ cells: Cells; at: string; id: string }[]>;
}

/** A time with microseconds as text (a JS Date would drop them and repeat rows at a page edge). */
const micros = (column: PgColumn) => sql<string>`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
const after = (time: PgColumn, id: PgColumn, cursor: Cursor | null): SQL | undefined =>
  cursor ? sql`(${time}, ${id}) > (${cursor.at}::timestamptz, ${cursor.id}::uuid)` : undefined;

export function toCell(value: unknown): CsvValue {
  if (value === null || value === undefined) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (Array.isArray(value)) return value.join('; ');
  if (typeof value === 'number') return value;
  return String(value);
}

const pick = (row: Record<string, unknown>, fields: string[]): Cells => Object.fromEntries(fields.map((f) => [f, row[f]]));

const CONTACT_FIELDS = [
  'externalId',
  'firstName',
  'lastName',
  'email',
  'phone',
  'dateOfBirth',
  'status',
  'tags',
  'source',
  'emailConsent',
  'smsConsent',
  'marketingConsent',
  'optedOut',
  'joinedAt',
  'lastVisitAt',
];

const contacts: ExportSpec = {
  header: ['id', ...CONTACT_FIELDS, 'leadStage', 'ownerStaffEmail', 'createdAt'],
  async page(tx, orgId, cursor, limit) {
    const c = fitnessContacts;
    const rows = await tx
      .select({ c, stage: fitnessLeadStages.name, owner: fitnessStaff.email, at: micros(c.createdAt) })
      .from(c)
      .leftJoin(fitnessLeadStages, eq(fitnessLeadStages.id, c.leadStageId))
      .leftJoin(fitnessStaff, eq(fitnessStaff.id, c.ownerStaffId))
      .where(and(eq(c.orgId, orgId), after(c.createdAt, c.id, cursor)))
      .orderBy(asc(c.createdAt), asc(c.id))
      .limit(limit);
    return rows.map((r) => ({
      cells: { id: r.c.id, ...pick(r.c, CONTACT_FIELDS), leadStage: r.stage, ownerStaffEmail: r.owner, createdAt: r.c.createdAt },
      at: r.at,
      id: r.c.id,
    }));
  },
};

const SUBSCRIPTION_FIELDS = ['status', 'startedAt', 'cancelledAt', 'cancelReason', 'priceMicros', 'currency', 'billingInterval', 'intervalCount'];

const subscriptions: ExportSpec = {
  header: ['id', 'externalId', 'contactEmail', 'contactExternalId', 'plan', ...SUBSCRIPTION_FIELDS, 'createdAt'],
  async page(tx, orgId, cursor, limit) {
    const s = fitnessSubscriptions;
    const rows = await tx
      .select({ s, email: fitnessContacts.email, contactExternalId: fitnessContacts.externalId, plan: fitnessPlans.name, at: micros(s.startedAt) })
      .from(s)
      .innerJoin(fitnessContacts, eq(fitnessContacts.id, s.contactId))
      .innerJoin(fitnessPlans, eq(fitnessPlans.id, s.planId))
      .where(and(eq(s.orgId, orgId), after(s.startedAt, s.id, cursor)))
      .orderBy(asc(s.startedAt), asc(s.id))
      .limit(limit);
    return rows.map((r) => ({
      cells: {
        id: r.s.id,
        externalId: r.s.externalId,
        contactEmail: r.email,
        contactExternalId: r.contactExternalId,
        plan: r.plan,
        ...pick(r.s, SUBSCRIPTION_FIELDS),
        createdAt: r.s.createdAt,
      },
      at: r.at,
      id: r.s.id,
    }));
  },
};

const PAYMENT_FIELDS = ['amountMicros', 'currency', 'status', 'refundedMicros', 'failureReason', 'paidAt', 'method', 'description'];

const payments: ExportSpec = {
  header: ['id', 'externalId', 'contactEmail', 'contactExternalId', 'subscriptionExternalId', ...PAYMENT_FIELDS, 'createdAt'],
  async page(tx, orgId, cursor, limit) {
    const p = fitnessPayments;
    const rows = await tx
      .select({
        p,
        email: fitnessContacts.email,
        contactExternalId: fitnessContacts.externalId,
        subscriptionExternalId: fitnessSubscriptions.externalId,
        at: micros(p.paidAt),
      })
      .from(p)
      .innerJoin(fitnessContacts, eq(fitnessContacts.id, p.contactId))
      .leftJoin(fitnessSubscriptions, eq(fitnessSubscriptions.id, p.subscriptionId))
      .where(and(eq(p.orgId, orgId), after(p.paidAt, p.id, cursor)))
      .orderBy(asc(p.paidAt), asc(p.id))
      .limit(limit);
    return rows.map((r) => ({
      cells: {
        id: r.p.id,
        externalId: r.p.externalId,
        contactEmail: r.email,
        contactExternalId: r.contactExternalId,
        subscriptionExternalId: r.subscriptionExternalId,
        ...pick(r.p, PAYMENT_FIELDS),
        createdAt: r.p.createdAt,
      },
      at: r.at,
      id: r.p.id,
    }));
  },
};

const EXPORTS: Record<ImportEntity, ExportSpec> = { contacts, subscriptions, payments };

/** The entity's rows of the organization as CSV chunks (one per page). `pageSize` default 2000. */
export async function* exportCsv(database: Database, orgId: string, entity: ImportEntity, pageSize = PAGE_SIZE): AsyncGenerator<string> {
  const spec = EXPORTS[entity];
  yield csvRecord(spec.header);
  let cursor: Cursor | null = null;
  for (;;) {
    const page = await database.withOrg(orgId, (tx) => spec.page(tx, orgId, cursor, pageSize));
    if (page.length === 0) return;
    yield page.map((r) => csvRecord(spec.header.map((h) => toCell(r.cells[h])))).join('');
    if (page.length < pageSize) return;
    const last = page.at(-1)!;
    cursor = { at: last.at, id: last.id };
  }
}
