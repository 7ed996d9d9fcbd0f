import { and, eq, inArray } from 'drizzle-orm';
import type { Tx } from '../db/client.js';
import { workflows } from './schema.js';

/** Reads of the workflows' table that other modules need (they never import it): names for approval cards and usage. */

/** Names of the organization's workflows by id (archived ones too). */
export async function workflowNames(tx: Tx, orgId: string, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await tx
    .select({ id: workflows.id, name: workflows.name })
    .from(workflows)
    .where(and(eq(workflows.orgId, orgId), inArray(workflows.id, [...new Set(ids)])));
  return new Map(rows.map((r) => [r.id, r.name]));
}
