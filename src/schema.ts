// Every table, for Drizzle and drizzle-kit. Each module owns its own schema file.
export * from './auth/schema.js';
export * from './agents/schema.js';
export * from './models/schema.js';
export * from './runs/schema.js';
export * from './conversations/schema.js';
export * from './billing/schema.js';
export * from './audit/schema.js';
export * from './tools/schema.js';
export * from './tasks/schema.js';
export * from './schedules/schema.js';
export * from './packs/fitness/crm/schema.js';
export * from './packs/fitness/analytics/schema.js';
export * from './packs/fitness/tools/schema.js';
export * from './execute/schema.js';
export * from './publications/schema.js';
export * from './workflows/schema.js';
export * from './events/schema.js';
