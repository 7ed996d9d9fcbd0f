import { and, eq } from 'drizzle-orm';
import type { Actor } from '../shared/roles.js';
import type { Database } from '../db/client.js';
import { timestampSort } from '../shared/keyset.js';
import type { Page, PageQuery } from '../shared/pagination.js';
import { keysetPage } from '../shared/keyset.js';
import { followUps } from './schema.js';
import type { FOLLOW_UP_SORTS, FollowUpStatus } from './enums.js';

export { FOLLOW_UP_SORTS, FOLLOW_UP_STATUSES, type FollowUpStatus } from './enums.js';

/** A follow-up row with its status typed (the column is text). */
export type FollowUpRow = Omit<typeof followUps.$inferSelect, 'status'> & { status: FollowUpStatus };
const view = (row: typeof followUps.$inferSelect): FollowUpRow => ({ ...row, status: row.status as FollowUpStatus });

export interface NewFollowUp {
  dueAt: Date;
  note: string;
  contact?: Record<string, unknown>;
  agentId?: string | null;
  runId?: string | null;
}

/**
 * Follow-ups agents scheduled. For now a record people can see; the background-work issue turns
 * each pending one into a task when it falls due.
 */
export class FollowUps {
  constructor(private readonly database: Database) {}

  async create(orgId: string, input: NewFollowUp): Promise<FollowUpRow> {
    const [row] = await this.database.withOrg(orgId, (tx) =>
      tx
        .insert(followUps)
        .values({ orgId, dueAt: input.dueAt, note: input.note, contact: input.contact ?? {}, agentId: input.agentId ?? null, runId: input.runId ?? null })
        .returning(),
    );
    return view(row!);
  }

  /** Sorted by `sortBy` (default dueAt) in `sortOrder`. */
  async list(actor: Actor, q: PageQuery & { status?: FollowUpStatus; sortBy: (typeof FOLLOW_UP_SORTS)[number] }): Promise<Page<FollowUpRow>> {
    const where = and(eq(followUps.orgId, actor.orgId), q.status ? eq(followUps.status, q.status) : undefined);
    const sort = timestampSort(q.sortBy === 'dueAt' ? followUps.dueAt : followUps.createdAt);
    const spec = { table: followUps, id: followUps.id, sort, sortName: `sortBy=${q.sortBy}`, where };
    return this.database.withOrg(actor.orgId, (tx) => keysetPage(tx, spec, q, view));
  }
}
