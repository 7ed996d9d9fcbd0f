import type { Database } from '../db/client.js';

/** The audit log: who did what to which object, when. */
export class AuditService {
  constructor(readonly database: Database) {}
}
