import type { Database } from '../../../db/client.js';
import type { Actor } from '../../../shared/roles.js';
import { exportCsv } from './csv-export.js';
import { importCsv, type ImportOptions, type ImportReport, type ImportSpec } from './csv-import.js';
import { IMPORT_SPECS, type ImportEntity } from './import-specs.js';
import { Resource } from './resource.js';
import { bookingDef, checkInDef, classDef, refreshVisits, sessionDef } from './resources/classes.js';
import { paymentDef, planDef, subscriptionDef } from './resources/memberships.js';
import { communicationDef, contactDef, leadStageDef, noteDef, staffDef } from './resources/people.js';
import { goalDef, measurementDef, workoutPlanDef } from './resources/progress.js';

/**
 * The fitness CRM's data: one Resource (list, get, create, update, delete) per entity, CSV
 * import and export, and the contacts' visit figures. What the pack's routes call, and what its
 * tools and analytics will call. Every call is scoped to the actor's organization.
 */
export function createFitnessCrm(database: Database) {
  return {
    staff: new Resource(database, staffDef),
    leadStages: new Resource(database, leadStageDef),
    contacts: new Resource(database, contactDef),
    notes: new Resource(database, noteDef),
    communications: new Resource(database, communicationDef),
    plans: new Resource(database, planDef),
    subscriptions: new Resource(database, subscriptionDef),
    payments: new Resource(database, paymentDef),
    classes: new Resource(database, classDef),
    sessions: new Resource(database, sessionDef),
    bookings: new Resource(database, bookingDef),
    checkIns: new Resource(database, checkInDef),
    goals: new Resource(database, goalDef),
    measurements: new Resource(database, measurementDef),
    workoutPlans: new Resource(database, workoutPlanDef),

    /** Imports a CSV of contacts, subscriptions or payments; see csv-import.ts. */
    importCsv(actor: Actor, entity: ImportEntity, body: { csv: string; mapping?: Record<string, string | null> }, options: ImportOptions): Promise<ImportReport> {
      return importCsv(database, actor, IMPORT_SPECS[entity] as ImportSpec<unknown>, body, options);
    },

    /** The organization's contacts, subscriptions or payments as CSV chunks; see csv-export.ts. */
    exportCsv(orgId: string, entity: ImportEntity): AsyncGenerator<string> {
      return exportCsv(database, orgId, entity);
    },

    /**
     * Recomputes every contact's last visit and visits in the last 30 days from their check-ins.
     * A check-in keeps its own contact's figures; this brings everyone's 30-day count up to date
     * (e.g. daily, or before an analytics run). Returns the number of contacts.
     */
    refreshVisits(orgId: string): Promise<number> {
      return database.withOrg(orgId, (tx) => refreshVisits(tx, orgId, null));
    },
  };
}

export type FitnessCrm = ReturnType<typeof createFitnessCrm>;
