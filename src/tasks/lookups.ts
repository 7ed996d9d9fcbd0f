import { and, eq, inArray } from 'drizzle-orm';
import type { Database, Tx } from '../db/client.js';
import type { TaskPriority } from './enums.js';
import { tasks } from './schema.js';

/**
 * The priorities of tasks by id, across organizations (the recovery sweep dispatches every
 * organization's runs again, each with its task's priority). Unknown ids are left out.
 */
export async function taskPriorities(database: Database, ids: readonly string[]): Promise<Map<string, TaskPriority>> {
  if (ids.length === 0) return new Map();
  const rows = await database.system((tx) => tx.select({ id: tasks.id, priority: tasks.priority }).from(tasks).where(inArray(tasks.id, [...new Set(ids)])));
  return new Map(rows.map((r) => [r.id, r.priority as TaskPriority]));
}

/** Titles of an organization's tasks by id, inside the caller's transaction; unknown ids are left out. */
export async function taskTitles(tx: Tx, orgId: string, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await tx
    .select({ id: tasks.id, title: tasks.title })
    .from(tasks)
    .where(and(eq(tasks.orgId, orgId), inArray(tasks.id, [...new Set(ids)])));
  return new Map(rows.map((r) => [r.id, r.title]));
}
