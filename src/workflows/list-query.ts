import { eq, isNotNull, isNull, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { timestampSort, type KeysetSort } from '../shared/keyset.js';
import { pageQuery } from '../shared/pagination.js';
import { workflows, workflowSearchDocument } from './schema.js';

export const WORKFLOW_SORTS = ['updatedAt', 'createdAt', 'name'] as const;
export type WorkflowSortField = (typeof WORKFLOW_SORTS)[number];

/**
 * Query of `GET /workflows`: the shared page parameters plus filters. Defaults: sortBy updatedAt
 * (the list's index), sortOrder desc, limit 20, archived false.
 */
export const listWorkflowsQuery = pageQuery.extend({
  search: z.string().trim().max(200).optional().describe('Each word begins a word of the name or description (case-insensitive)'),
  tag: z.string().trim().min(1).max(50).optional().describe('Workflows carrying this tag (case-insensitive)'),
  archived: z.enum(['false', 'true', 'all']).default('false').describe('false: live workflows; true: archived ones only; all: both'),
  sortBy: z.enum(WORKFLOW_SORTS).default('updatedAt'),
});
export type ListWorkflowsQuery = z.output<typeof listWorkflowsQuery>;

/** The WHERE conditions (organization first: belt and braces with row-level security). */
export function listConditions(orgId: string, q: ListWorkflowsQuery): SQL[] {
  const where: SQL[] = [eq(workflows.orgId, orgId)];
  if (q.archived === 'false') where.push(isNull(workflows.archivedAt));
  else if (q.archived === 'true') where.push(isNotNull(workflows.archivedAt));
  if (q.tag) where.push(sql`exists (select 1 from unnest(${workflows.tags}) t where lower(t) = lower(${q.tag}))`);
  if (q.search) {
    // Every word of the search as a prefix (`lead sco` finds "Lead scoring"); the words are the
    // ones to_tsvector finds, so punctuation cannot break the query. GIN workflows_search_idx.
    const words = sql`(select to_tsquery('simple'::regconfig, string_agg(quote_literal(w) || ':*', ' & ')) from unnest(tsvector_to_array(to_tsvector('simple'::regconfig, ${q.search}))) w)`;
    where.push(sql`${workflowSearchDocument(workflows)} @@ ${words}`);
  }
  return where;
}

const SORTS: Record<WorkflowSortField, KeysetSort> = {
  updatedAt: timestampSort(workflows.updatedAt),
  createdAt: timestampSort(workflows.createdAt),
  // Case-insensitive, as people read names; the same expression serves order and cursor.
  name: {
    expr: sql`lower(${workflows.name})`,
    key: sql<string>`lower(${workflows.name})`,
    param: (v) => (typeof v === 'string' ? sql`${v}::text` : null),
  },
};

export const sortOf = (sortBy: WorkflowSortField) => SORTS[sortBy];
