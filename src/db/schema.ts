// Every table, for Drizzle and drizzle-kit. Each module owns its own schema file.
export * from '../auth/schema.js';
export * from '../agents/schema.js';
export * from '../models/schema.js';
