import { eq, gte, inArray, isNull, lte, sql, type SQL } from 'drizzle-orm';
import { badRequest } from '../shared/errors.js';
import type { PageQuery } from '../shared/pagination.js';
import { runs, type RunSource, type RunStatus } from './schema.js';

/** Filters of a run list (`GET /runs`, an agent's or a task's executions); combined with AND. */
export interface RunFilter extends PageQuery {
  agentId?: string;
  taskId?: string;
  workflowId?: string;
  parentRunId?: string;
  /** Any of these statuses. */
  status?: RunStatus[];
  source?: RunSource;
  from?: string;
  to?: string;
  /** Text: see `runSearch`. */
  q?: string;
}

/**
 * The searchable text of a run as one `tsvector`: its task, its answer and its error code (the
 * first 20,000 characters of each, so a huge answer cannot overflow a tsvector, whose limit is
 * 1 MB). Migration 0021 indexes exactly this expression (GIN `runs_search_idx`); a change here
 * needs a migration that rebuilds that index, or searches scan. The `simple` configuration:
 * no stemming or stop words, which suit ids, codes and names better than one language's rules.
 */
export const runSearchDocument = sql`to_tsvector('simple'::regconfig, left(coalesce(${runs.input} ->> 'task', ''), 20000) || ' ' || left(coalesce(${runs.output}, ''), 20000) || ' ' || coalesce(${runs.error} ->> 'code', ''))`;

/** The uuid range of ids starting with `prefix` (at least 4 hex digits, dashes where a uuid has them, any case), for an index range scan of the primary key. */
export function idRange(prefix: string): [string, string] | null {
  const typed = prefix.toLowerCase();
  const hex = typed.replaceAll('-', '');
  if (!/^[0-9a-f-]+$/.test(typed) || hex.length < 4 || hex.length > 32) return null;
  const uuid = (h: string) => `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  const low = uuid(hex.padEnd(32, '0'));
  if (typed.includes('-') && !low.startsWith(typed)) return null;
  return [low, uuid(hex.padEnd(32, 'f'))];
}

/**
 * The text search `q`: a run matches when every word of `q` starts a word of its task, answer or
 * error code (full-text, prefix per word: "tread" finds "treadmill"), or one of `agentIds` (the
 * agents whose name contains `q`, found by the agents service) ran it, or its id starts with `q`.
 * The words are split by PostgreSQL's own parser, the same one that built the document.
 */
export function runSearch(q: string, agentIds: string[]): SQL {
  const words = sql`(select to_tsquery('simple'::regconfig, string_agg(quote_literal(w) || ':*', ' & ')) from unnest(tsvector_to_array(to_tsvector('simple'::regconfig, ${q}))) w)`;
  const branches: SQL[] = [sql`${runSearchDocument} @@ ${words}`];
  if (agentIds.length) branches.push(inArray(runs.agentId, agentIds));
  const range = idRange(q);
  if (range) branches.push(sql`${runs.id} between ${range[0]}::uuid and ${range[1]}::uuid`);
  return sql`(${sql.join(branches, sql` or `)})`;
}

/** The WHERE conditions of a run list (organization first: belt and braces with row-level security). */
export function runConditions(orgId: string, q: RunFilter, visible: SQL | undefined, agentIdsNamed: string[] = []): SQL[] {
  const where: SQL[] = [eq(runs.orgId, orgId)];
  if (visible) where.push(visible);
  if (q.agentId) where.push(eq(runs.agentId, q.agentId));
  if (q.taskId) where.push(eq(runs.taskId, q.taskId));
  if (q.workflowId) where.push(eq(runs.workflowId, q.workflowId), isNull(runs.agentId));
  if (q.parentRunId) where.push(eq(runs.parentRunId, q.parentRunId));
  if (q.status?.length) where.push(q.status.length === 1 ? eq(runs.status, q.status[0]!) : inArray(runs.status, q.status));
  if (q.source) where.push(eq(runs.source, q.source));
  const from = q.from ? new Date(q.from) : undefined;
  const to = q.to ? new Date(q.to) : undefined;
  if (from && to && from > to) throw badRequest('to must not be before from', [{ path: 'querystring.to', message: 'must not be before from' }]);
  if (from) where.push(gte(runs.createdAt, from));
  if (to) where.push(lte(runs.createdAt, to));
  if (q.q) where.push(runSearch(q.q, agentIdsNamed));
  return where;
}
