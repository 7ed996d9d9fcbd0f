import type { Database } from '../db/client.js';
import type { ModelService } from '../models/service.js';
import type { AuditService } from '../audit/service.js';

/** The cost ledger, usage reports and budgets. */
export class BillingService {
  constructor(
    readonly database: Database,
    readonly models: ModelService,
    readonly audit: AuditService,
  ) {}
}
