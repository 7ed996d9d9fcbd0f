import type {
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

/** A table's insert shape with every column given (nullable ones as null): the demo writes every column itself. */
export type Full<T> = { [K in keyof T]-?: Exclude<T[K], undefined> };

export type DemoStaff = Full<typeof fitnessStaff.$inferInsert>;
export type DemoLeadStage = Full<typeof fitnessLeadStages.$inferInsert>;
export type DemoContact = Full<typeof fitnessContacts.$inferInsert>;
export type DemoPlan = Full<typeof fitnessPlans.$inferInsert>;
export type DemoSubscription = Full<typeof fitnessSubscriptions.$inferInsert>;
export type DemoPayment = Full<typeof fitnessPayments.$inferInsert>;
export type DemoClass = Full<typeof fitnessClasses.$inferInsert>;
export type DemoSession = Full<typeof fitnessSessions.$inferInsert>;
export type DemoBooking = Full<typeof fitnessBookings.$inferInsert>;
export type DemoCheckIn = Full<typeof fitnessCheckIns.$inferInsert>;
export type DemoGoal = Full<typeof fitnessGoals.$inferInsert>;
export type DemoMeasurement = Full<typeof fitnessMeasurements.$inferInsert>;
export type DemoNote = Full<typeof fitnessNotes.$inferInsert>;

/** Every row of a demo gym, by table, in the order they are inserted (foreign keys first). */
export interface DemoRows {
  staff: DemoStaff[];
  leadStages: DemoLeadStage[];
  plans: DemoPlan[];
  classes: DemoClass[];
  contacts: DemoContact[];
  subscriptions: DemoSubscription[];
  payments: DemoPayment[];
  sessions: DemoSession[];
  bookings: DemoBooking[];
  checkIns: DemoCheckIn[];
  goals: DemoGoal[];
  measurements: DemoMeasurement[];
  notes: DemoNote[];
}

export type DemoTable = keyof DemoRows;
export const DEMO_TABLES: DemoTable[] = ['staff', 'leadStages', 'plans', 'classes', 'contacts', 'subscriptions', 'payments', 'sessions', 'bookings', 'checkIns', 'goals', 'measurements', 'notes'];

/** A generated gym: its rows, and what they were generated from. */
export interface DemoGym {
  orgId: string;
  seed: number;
  /** The gym's "now": history ends here, the next two weeks' sessions and bookings follow it. */
  asOf: Date;
  /** The first instant of its history (12 months before asOf). */
  start: Date;
  members: number;
  leads: number;
  rows: DemoRows;
}

/** Row counts by table. */
export function countRows(rows: DemoRows): Record<DemoTable, number> {
  return Object.fromEntries(DEMO_TABLES.map((t) => [t, rows[t].length])) as Record<DemoTable, number>;
}
