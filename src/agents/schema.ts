import { sql } from 'drizzle-orm';
import { bigint, doublePrecision, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { createdAt, id, orgId, ts, updatedAt } from '../db/columns.js';

export interface Personality {
  traits: string[];
  tone?: string;
  behavior?: string;
  languageStyle?: string;
}
export interface MemorySettings {
  /** How many past messages are sent to the model. */
  historyLength: number;
  /** Token budget for history; null = the model's context window minus the reply. */
  contextBudget: number | null;
}
export interface AgentLimits {
  maxSteps: number;
  timeoutSeconds: number;
  actionsPerMinute: number | null;
  actionsPerHour: number | null;
  monthlyBudgetMicros: number | null;
}

export const agents = pgTable(
  'agents',
  {
    id: id(),
    orgId: orgId(),
    name: text('name').notNull(),
    description: text('description').notNull().default(''),
    role: text('role').notNull().default(''),
    /** `provider:model`, e.g. `openai:gpt-4o-mini`. */
    model: text('model').notNull(),
    fallbackModels: text('fallback_models').array().notNull().default(sql`'{}'::text[]`),
    temperature: doublePrecision('temperature'),
    maxOutputTokens: integer('max_output_tokens'),
    topP: doublePrecision('top_p'),
    instructions: text('instructions').notNull().default(''),
    personality: jsonb('personality').$type<Personality>().notNull(),
    tools: text('tools').array().notNull().default(sql`'{}'::text[]`),
    /** Tools of this agent whose every call waits for a person's approval. */
    approvalTools: text('approval_tools').array().notNull().default(sql`'{}'::text[]`),
    memory: jsonb('memory').$type<MemorySettings>().notNull(),
    limits: jsonb('limits').$type<AgentLimits>().notNull(),
    tags: text('tags').array().notNull().default(sql`'{}'::text[]`),
    status: text('status', { enum: ['active', 'paused'] }).notNull().default('active'),
    version: integer('version').notNull().default(1),
    executionCount: bigint('execution_count', { mode: 'number' }).notNull().default(0),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
    deletedAt: ts('deleted_at'),
  },
  (t) => [
    uniqueIndex('agents_org_name_key').on(t.orgId, sql`lower(${t.name})`).where(sql`deleted_at is null`),
    index('agents_org_created_idx').on(t.orgId, t.createdAt),
  ],
);

/** Snapshot of an agent's configuration at every change; `version` counts from 1. */
export const agentVersions = pgTable(
  'agent_versions',
  {
    id: id(),
    orgId: orgId(),
    agentId: uuid('agent_id').notNull().references(() => agents.id, { onDelete: 'cascade' }),
    version: integer('version').notNull(),
    snapshot: jsonb('snapshot').$type<Record<string, unknown>>().notNull(),
    changeNote: text('change_note').notNull().default(''),
    changedBy: uuid('changed_by'),
    createdAt: createdAt(),
  },
  (t) => [uniqueIndex('agent_versions_agent_version_key').on(t.agentId, t.version)],
);
