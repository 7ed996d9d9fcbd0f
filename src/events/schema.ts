import { sql } from 'drizzle-orm';
import { boolean, check, index, integer, jsonb, pgTable, text, uniqueIndex, uuid } from 'drizzle-orm/pg-core';
import { agents } from '../agents/schema.js';
import { createdAt, id, orgId, ts, updatedAt } from '../db/columns.js';
import { workflows } from '../workflows/schema.js';
import { FIRE_STATUSES } from './enums.js';

/**
 * What happened, as Troupe heard it (issue 16; docs/events.md): a webhook delivery, a `POST
 * /events`, an agent's `emit_event`, Troupe's own happenings. Stored before the source is
 * answered; the trigger processor (processor.ts) takes the rows it has not processed, oldest
 * first, under a short lease, and records each (event, trigger) in trigger_fires.
 */
export const events = pgTable(
  'events',
  {
    id: id(),
    orgId: orgId(),
    /** `form.submitted`, `db.orders.insert`, `run.failed`, … */
    type: text('type').notNull(),
    /** Where it came from: `webhook`, `api`, `agent`, `troupe`. */
    source: text('source').notNull(),
    /** The webhook endpoint that received it (source `webhook`). */
    endpointId: uuid('endpoint_id'),
    occurredAt: ts('occurred_at').notNull(),
    payload: jsonb('payload').$type<unknown>().notNull(),
    /** An event given twice with the same key is stored once (events_org_dedupe). */
    dedupeKey: text('dedupe_key'),
    /** Set once every trigger it matched has fired (or failed: dead letters). */
    processedAt: ts('processed_at'),
    /** A processor holds it until then; past it another may take it (its fires are kept once). */
    leaseUntil: ts('lease_until'),
    createdAt: createdAt(),
  },
  (t) => [
    uniqueIndex('events_org_dedupe').on(t.orgId, t.dedupeKey).where(sql`dedupe_key is not null`),
    index('events_org_created_idx').on(t.orgId, t.createdAt),
    index('events_org_type_created_idx').on(t.orgId, t.type, t.createdAt),
    index('events_endpoint_created_idx').on(t.endpointId, t.createdAt).where(sql`endpoint_id is not null`),
    // What the processor takes: not processed yet, oldest first.
    index('events_unprocessed_idx').on(t.createdAt).where(sql`processed_at is null`),
  ],
);

/**
 * An organization's inbound webhook: `POST /hooks/{id}` (public) becomes an event of `eventType`,
 * or of what `mapping` (JSONata over the request) says. Verified by `verification` with the
 * encrypted secret.
 */
export const webhookEndpoints = pgTable('webhook_endpoints', {
  id: id(),
  orgId: orgId(),
  name: text('name').notNull(),
  eventType: text('event_type').notNull(),
  /** JSONata over `{body, headers, query}` giving `{type?, payload?, dedupeKey?, occurredAt?}`; null: the body is the payload. */
  mapping: text('mapping'),
  verification: text('verification').notNull().default('token'),
  /** The secret, encrypted (SecretBox); null for verification `none`. */
  secret: text('secret'),
  /** The header carrying the token or signature (token, hmac_sha256); null: the scheme's default. */
  signatureHeader: text('signature_header'),
  toleranceSeconds: integer('tolerance_seconds').notNull().default(300),
  maxBodyBytes: integer('max_body_bytes').notNull().default(1_048_576),
  enabled: boolean('enabled').notNull().default(true),
  createdBy: uuid('created_by'),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** Deliveries an endpoint refused (bad signature, too large, …): accepted ones are its events. */
export const webhookRejections = pgTable(
  'webhook_rejections',
  {
    id: id(),
    orgId: orgId(),
    endpointId: uuid('endpoint_id')
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: 'cascade' }),
    status: integer('status').notNull(),
    code: text('code').notNull(),
    reason: text('reason').notNull(),
    bytes: integer('bytes').notNull(),
    createdAt: createdAt(),
  },
  (t) => [index('webhook_rejections_endpoint_idx').on(t.endpointId, t.createdAt)],
);

/**
 * Starts work when an event matches: its type (exact, or a prefix ending in `*`) and `filter`
 * (JSONata, true to fire). Starts an agent run with the rendered `task`, a workflow run with
 * the rendered `input`, or a decision on the event. A workflow's `event` trigger node keeps one of these (`managed`).
 */
export const triggers = pgTable(
  'triggers',
  {
    id: id(),
    orgId: orgId(),
    name: text('name').notNull(),
    eventType: text('event_type').notNull(),
    filter: text('filter'),
    agentId: uuid('agent_id').references(() => agents.id, { onDelete: 'cascade' }),
    task: text('task'),
    workflowId: uuid('workflow_id').references(() => workflows.id, { onDelete: 'cascade' }),
    input: jsonb('input').$type<unknown>(),
    /** … or a decision by this agent (docs/decision-engine.md), under the policy for `decisionType` (default: the event's type). */
    decisionAgentId: uuid('decision_agent_id').references(() => agents.id, { onDelete: 'cascade' }),
    decisionType: text('decision_type'),
    /** At most one fire per rendered key in `throttleSeconds` (a contact's events: one run an hour). */
    throttleKey: text('throttle_key'),
    throttleSeconds: integer('throttle_seconds'),
    /**
     * Trailing debounce (exclusive with the throttle): events with the same rendered key within
     * `debounceSeconds` of each other make one run, `debounceSeconds` after the last, with the last.
     */
    debounceKey: text('debounce_key'),
    debounceSeconds: integer('debounce_seconds'),
    /** At most this many of its runs active (queued, running, waiting) at once; null: no limit. */
    maxConcurrentRuns: integer('max_concurrent_runs'),
    enabled: boolean('enabled').notNull().default(true),
    /** Kept by a workflow's event trigger node (saved with the workflow, not edited here). */
    managed: boolean('managed').notNull().default(false),
    createdBy: uuid('created_by'),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index('triggers_org_type_idx').on(t.orgId, t.eventType),
    uniqueIndex('triggers_managed_workflow').on(t.workflowId).where(sql`managed`),
    check('triggers_agent_or_workflow', sql`num_nonnulls(${t.agentId}, ${t.workflowId}, ${t.decisionAgentId}) = 1`),
  ],
);


/** One (event, trigger) pair that matched: fired once (its run), throttled, or failed (a dead letter to replay). */
export const triggerFires = pgTable(
  'trigger_fires',
  {
    id: id(),
    orgId: orgId(),
    triggerId: uuid('trigger_id')
      .notNull()
      .references(() => triggers.id, { onDelete: 'cascade' }),
    eventId: uuid('event_id')
      .notNull()
      .references(() => events.id, { onDelete: 'cascade' }),
    status: text('status', { enum: FIRE_STATUSES }).notNull(),
    runId: uuid('run_id'),
    throttleKey: text('throttle_key'),
    /** The rendered debounce key (debounced triggers). */
    debounceKey: text('debounce_key'),
    /** `pending`: when it starts its run; `firing`: until when its starter holds it (past it, another processor finishes it). */
    dueAt: ts('due_at'),
    /** `debounced`: the fire that carried this event (the one that made, or makes, the run). */
    carriedBy: uuid('carried_by'),
    /** How many events this fire carries (itself and those it superseded; 1 without a debounce). */
    collapsed: integer('collapsed').notNull().default(1),
    /** Admitted under the trigger's concurrency limit and its run not known to have ended: it holds one of the places. */
    holdsPlace: boolean('holds_place').notNull().default(false),
    error: jsonb('error').$type<{ code: string; message: string }>(),
    attempts: integer('attempts').notNull().default(1),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    uniqueIndex('trigger_fires_event_trigger').on(t.eventId, t.triggerId),
    index('trigger_fires_throttle_idx').on(t.triggerId, t.throttleKey, t.createdAt).where(sql`throttle_key is not null`),
    index('trigger_fires_failed_idx').on(t.orgId, t.createdAt).where(sql`status = 'failed'`),
    // The live (pending) fire of a debounce key: at most one (taken under an advisory lock on the key).
    index('trigger_fires_pending_key_idx').on(t.triggerId, t.debounceKey).where(sql`status = 'pending'`),
    // What the due pass takes: pending fires whose time came, and starts whose holder's time ran out.
    index('trigger_fires_due_idx').on(t.dueAt).where(sql`status in ('pending', 'firing') and due_at is not null`),
    index('trigger_fires_queued_idx').on(t.triggerId, t.createdAt).where(sql`status = 'queued'`),
    index('trigger_fires_places_idx').on(t.triggerId).where(sql`holds_place`),
    index('trigger_fires_carried_idx').on(t.carriedBy).where(sql`carried_by is not null`),
  ],
);
