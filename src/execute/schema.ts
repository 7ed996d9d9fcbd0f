import { index, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { agents } from '../agents/schema.js';
import { createdAt, id, orgId, updatedAt } from '../db/columns.js';

/**
 * Task types of an organization: `POST /execute {task_type, input_data}` runs the agent its task
 * type maps to (one agent per type and organization). `instruction` is added to every run's task
 * (a template's own instruction for that type, or an admin's).
 */
export const taskTypeRoutes = pgTable(
  'task_type_routes',
  {
    id: id(),
    orgId: orgId(),
    /** snake_case, e.g. `workout_optimization`. */
    taskType: text('task_type').notNull(),
    agentId: uuid('agent_id')
      .notNull()
      .references(() => agents.id, { onDelete: 'cascade' }),
    instruction: text('instruction').notNull().default(''),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [uniqueIndex('task_type_routes_org_type_key').on(t.orgId, t.taskType), index('task_type_routes_agent_idx').on(t.agentId)],
);
