import { getTableColumns, getTableName, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Tx } from '../../../db/client.js';
import {
  fitnessBookings,
  fitnessCheckIns,
  fitnessClasses,
  fitnessContacts,
  fitnessGoals,
  fitnessLeadStages,
  fitnessMeasurements,
  fitnessNotes,
  fitnessPayments,
  fitnessPlans,
  fitnessSessions,
  fitnessStaff,
  fitnessSubscriptions,
} from '../crm/schema.js';
import { fitnessContactRevenue, fitnessPaymentDays } from '../analytics/schema.js';
import { DEMO_TABLES, type DemoRows, type DemoTable } from './rows.js';

/**
 * Writes a demo gym's rows. Each statement inserts up to INSERT_BATCH rows sent as one JSON
 * parameter and spread by `json_populate_recordset` into the table's row type: one parameter
 * whatever the batch's size (a multi-row VALUES list needs one per cell, and PostgreSQL allows
 * 65,535), and no per-cell work in Drizzle or the driver. Every column is given (the rows are
 * `Full<…>`), so no default applies; foreign keys come first (DEMO_TABLES' order).
 */

export const INSERT_BATCH = 5_000;

const TABLES: Record<DemoTable, PgTable> = {
  staff: fitnessStaff,
  leadStages: fitnessLeadStages,
  plans: fitnessPlans,
  classes: fitnessClasses,
  contacts: fitnessContacts,
  subscriptions: fitnessSubscriptions,
  payments: fitnessPayments,
  sessions: fitnessSessions,
  bookings: fitnessBookings,
  checkIns: fitnessCheckIns,
  goals: fitnessGoals,
  measurements: fitnessMeasurements,
  notes: fitnessNotes,
};

/** The SQL names of the demo's tables (for VACUUM and counts). */
export const DEMO_TABLE_NAMES: string[] = DEMO_TABLES.map((t) => getTableName(TABLES[t]));
/** Tables the database fills from the demo's rows (triggers on the payments). */
export const ROLLUP_TABLE_NAMES: string[] = [getTableName(fitnessPaymentDays), getTableName(fitnessContactRevenue)];

/** A row as JSON keyed by column names (`orgId` → `org_id`); Dates become ISO strings. */
function encoder(table: PgTable): (row: Record<string, unknown>) => string {
  const columns = Object.entries(getTableColumns(table)).map(([key, column]) => [key, column.name] as const);
  return (row) => {
    const out: Record<string, unknown> = {};
    for (const [key, name] of columns) out[name] = row[key];
    return JSON.stringify(out);
  };
}

/** Inserts every row, table by table, in batches; returns the rows written. */
export async function insertDemoRows(tx: Tx, rows: DemoRows): Promise<number> {
  let written = 0;
  for (const t of DEMO_TABLES) {
    const table = TABLES[t];
    const encode = encoder(table);
    const name = sql.identifier(getTableName(table));
    const list = rows[t] as unknown as Record<string, unknown>[];
    for (let i = 0; i < list.length; i += INSERT_BATCH) {
      const json = `[${list.slice(i, i + INSERT_BATCH).map(encode).join(',')}]`;
      await tx.execute(sql`insert into ${name} select * from json_populate_recordset(null::${name}, ${json}::json)`);
      written += Math.min(INSERT_BATCH, list.length - i);
    }
  }
  return written;
}
