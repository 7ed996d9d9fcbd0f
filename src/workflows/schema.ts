import { sql, type SQL } from 'drizzle-orm';
import { check, index, integer, json, pgTable, primaryKey, text, uuid, type AnyPgColumn } from 'drizzle-orm/pg-core';
import { createdAt, id, orgId, ts, updatedAt } from '../db/columns.js';
import type { WorkflowDefinition } from './definition.js';

/**
 * The words a workflow list search matches: its name and description. Must stay identical to the
 * expression of workflows_search_idx (migration 0027), or the planner cannot use the index.
 */
export function workflowSearchDocument(t: { name: AnyPgColumn; description: AnyPgColumn }): SQL {
  return sql`to_tsvector('simple'::regconfig, ${t.name} || ' ' || left(${t.description}, 5000))`;
}

/**
 * A workflow: what lists and searches read (name, description and tags copy the current
 * version's), and which version is current. The definitions themselves are in workflow_versions.
 * Archiving hides it from lists; nothing is ever deleted but with the organization, since runs
 * keep the version they started on.
 */
export const workflows = pgTable(
  'workflows',
  {
    id: id(),
    orgId: orgId(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
    currentVersion: integer('current_version').notNull().default(1),
    archivedAt: ts('archived_at'),
    /** The person who created it; null when an API key did (then createdByApiKeyId is set). */
    createdBy: uuid('created_by'),
    createdByApiKeyId: uuid('created_by_api_key_id'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('workflows_org_updated_idx').on(t.orgId, t.updatedAt),
    index('workflows_search_idx').using('gin', workflowSearchDocument(t)),
    check('workflows_current_version_check', sql`${t.currentVersion} >= 1`),
  ],
);

/**
 * Every save of a workflow, numbered from 1. `definition` is `json`, not `jsonb`: it keeps the
 * text as written, so the keys of a tool's arguments or a transform's value come back in their
 * order, and an export of a version is the same bytes every time (docs/runs.md says why steps do
 * the same). Rows are never changed.
 */
export const workflowVersions = pgTable(
  'workflow_versions',
  {
    workflowId: uuid('workflow_id')
      .notNull()
      .references(() => workflows.id, { onDelete: 'cascade' }),
    orgId: orgId(),
    version: integer('version').notNull(),
    definition: json('definition').$type<WorkflowDefinition>().notNull(),
    note: text('note').notNull().default(''),
    createdBy: uuid('created_by'),
    createdByApiKeyId: uuid('created_by_api_key_id'),
    createdAt: createdAt(),
  },
  (t) => [primaryKey({ name: 'workflow_versions_pkey', columns: [t.workflowId, t.version] }), check('workflow_versions_version_check', sql`${t.version} >= 1`)],
);
