import { eq, isNull, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { PROVIDER_IDS, type ProviderId } from '../models/providers.js';
import { keysetAfter, keysetOrder, timestampSort, type KeysetSort } from '../shared/keyset.js';
import { likePattern, pageQuery } from '../shared/pagination.js';
import { agentStatusSchema } from './dto.js';
import { agents } from './schema.js';

const SORT_ALIASES = { created_at: 'createdAt', updated_at: 'updatedAt', execution_count: 'executionCount' } as const;
export const SORT_FIELDS = ['createdAt', 'updatedAt', 'name', 'executionCount'] as const;
export type AgentSortField = (typeof SORT_FIELDS)[number];

/**
 * Query of `GET /agents`: the shared page parameters plus filters. Defaults: sortBy createdAt,
 * sortOrder desc, limit 20, includeDeleted false. sortBy also takes snake_case.
 */
export const listAgentsQuery = pageQuery
  .extend({
    status: agentStatusSchema.optional(),
    provider: z
      .enum(PROVIDER_IDS as [ProviderId, ...ProviderId[]])
      .optional()
      .describe('The part of `model` before ":"'),
    search: z.string().trim().max(200).optional().describe('Case-insensitive, in name, description, role and tags'),
    tag: z.string().trim().min(1).max(50).optional().describe('Agents carrying this tag (case-insensitive)'),
    includeDeleted: z.stringbool().default(false).describe('true to list soft-deleted agents too'),
    sortBy: z
      .enum([...SORT_FIELDS, 'created_at', 'updated_at', 'execution_count'])
      .default('createdAt')
      .transform((v): AgentSortField => (v in SORT_ALIASES ? SORT_ALIASES[v as keyof typeof SORT_ALIASES] : (v as AgentSortField))),
  });
export type ListAgentsQuery = z.output<typeof listAgentsQuery>;


/** The WHERE conditions for the filters (organization first: belt and braces with row-level security). */
export function listConditions(orgId: string, q: ListAgentsQuery): SQL[] {
  const where: SQL[] = [eq(agents.orgId, orgId)];
  if (!q.includeDeleted) where.push(isNull(agents.deletedAt));
  if (q.status) where.push(eq(agents.status, q.status));
  if (q.provider) where.push(sql`split_part(${agents.model}, ':', 1) = ${q.provider}`);
  if (q.tag) where.push(sql`exists (select 1 from unnest(${agents.tags}) t where lower(t) = lower(${q.tag}))`);
  if (q.search) {
    const p = likePattern(q.search);
    where.push(sql`(${agents.name} ilike ${p} or ${agents.description} ilike ${p} or ${agents.role} ilike ${p}
      or exists (select 1 from unnest(${agents.tags}) t where t ilike ${p}))`);
  }
  return where;
}

const SORTS: Record<AgentSortField, KeysetSort> = {
  createdAt: timestampSort(agents.createdAt),
  updatedAt: timestampSort(agents.updatedAt),
  // Case-insensitive, as people read names; the same expression serves order and cursor.
  name: {
    expr: sql`lower(${agents.name})`,
    key: sql<string>`lower(${agents.name})`,
    param: (v) => (typeof v === 'string' ? sql`${v}::text` : null),
  },
  executionCount: {
    expr: sql`${agents.executionCount}`,
    // bigint arrives as a string from raw SQL; counts stay far below 2^53.
    key: sql<number>`${agents.executionCount}`.mapWith(Number),
    param: (v) => (typeof v === 'number' && Number.isSafeInteger(v) ? sql`${v}::bigint` : null),
  },
};

export const sortKeyOf = (sortBy: AgentSortField) => SORTS[sortBy].key;

export const orderOf = (sortBy: AgentSortField, order: 'asc' | 'desc') => keysetOrder(SORTS[sortBy], agents.id, order);

/** Rows strictly after the cursor in the list's order (keyset on (sort value, id)). */
export const afterCursor = (sortBy: AgentSortField, order: 'asc' | 'desc', cursor: string) =>
  keysetAfter(SORTS[sortBy], agents.id, order, cursor, `sortBy=${sortBy}`);
