import { asc, desc, eq, isNull, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { PROVIDER_IDS, type ProviderId } from '../models/providers.js';
import { badRequest } from '../shared/errors.js';
import { pageQuery, type CursorPosition } from '../shared/pagination.js';
import { agentStatusSchema } from './dto.js';
import { agents } from './schema.js';
import { UUID_RE } from '../shared/ids.js';

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

/** Escapes LIKE wildcards so a search for "50%" means the text "50%". */
const likePattern = (s: string) => `%${s.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

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

interface SortSpec {
  /** What rows are ordered by (before the id tie-breaker). */
  expr: SQL;
  /** The same value as it goes into a cursor: timestamps as text with microseconds, since a JS Date would drop them. */
  key: SQL<string | number>;
  /** The cursor value back as a typed SQL parameter, or null when it cannot be one (a cursor from another sort). */
  param(value: CursorPosition['value']): SQL | null;
}

const ISO_MICROS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z$/;

const timestampSort = (column: typeof agents.createdAt | typeof agents.updatedAt): SortSpec => ({
  expr: sql`${column}`,
  key: sql<string>`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
  param: (v) => (typeof v === 'string' && ISO_MICROS.test(v) ? sql`${v}::timestamptz` : null),
});

const SORTS: Record<AgentSortField, SortSpec> = {
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

export function orderOf(sortBy: AgentSortField, order: 'asc' | 'desc'): SQL[] {
  const dir = order === 'asc' ? asc : desc;
  return [dir(SORTS[sortBy].expr), dir(agents.id)];
}

/** Rows strictly after the cursor in the list's order (keyset on (sort value, id)). */
export function afterCursor(sortBy: AgentSortField, order: 'asc' | 'desc', position: CursorPosition): SQL {
  const value = SORTS[sortBy].param(position.value);
  if (!value || !UUID_RE.test(position.id)) {
    throw badRequest('cursor does not belong to this sort; start again without it', [
      { path: 'querystring.cursor', message: `not a cursor for sortBy=${sortBy}` },
    ]);
  }
  const { expr } = SORTS[sortBy];
  return order === 'asc'
    ? sql`(${expr}, ${agents.id}) > (${value}, ${position.id}::uuid)`
    : sql`(${expr}, ${agents.id}) < (${value}, ${position.id}::uuid)`;
}
