import { z } from 'zod';
import { pageQuery } from '../shared/page-schema.js';
import { EVENT_PATTERN_HINT, EVENT_PATTERN_RE, EVENT_SOURCES, EVENT_TYPE_HINT, EVENT_TYPE_RE, FIRE_STATUSES, VERIFICATION_SCHEMES } from './enums.js';

/** The wire shapes of events, triggers and webhook endpoints (docs/events.md). */

const iso = z.date().transform((d) => d.toISOString());
const isoOrNull = z
  .date()
  .nullable()
  .transform((d) => d?.toISOString() ?? null);

/** `form.submitted`, `db.orders.insert`: letters, digits, `_`, `-`, `:` in dot-separated words. */
export const eventType = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(EVENT_TYPE_RE, EVENT_TYPE_HINT);
/** An event type, or a prefix ending in `*` (`db.*`, `*`): what a trigger listens for. */
export const eventPattern = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(EVENT_PATTERN_RE, EVENT_PATTERN_HINT);

export const emitEventBody = z
  .object({
    type: eventType.describe('What happened, e.g. form.submitted'),
    payload: z.unknown().describe('Any JSON (default {})'),
    occurredAt: z.iso.datetime({ offset: true }).optional().describe('When it happened (default: now)'),
    dedupeKey: z.string().min(1).max(200).optional().describe('An event sent again with the same key is stored once'),
  })
  .meta({ id: 'EmitEvent' });
export type EmitEventInput = z.output<typeof emitEventBody>;

export const eventSchema = z
  .object({
    id: z.uuid(),
    orgId: z.uuid(),
    type: z.string(),
    source: z.string().describe('webhook, api, agent or troupe'),
    endpointId: z.uuid().nullable(),
    occurredAt: iso,
    payload: z.unknown(),
    dedupeKey: z.string().nullable(),
    processedAt: isoOrNull.describe('When every trigger it matched had fired (or failed); null while waiting for the processor'),
    createdAt: iso,
  })
  .meta({ id: 'Event' });

export const fireSchema = z
  .object({
    id: z.uuid(),
    triggerId: z.uuid(),
    triggerName: z.string(),
    eventId: z.uuid(),
    eventType: z.string(),
    status: z.enum(FIRE_STATUSES),
    runId: z.uuid().nullable(),
    dueAt: isoOrNull.describe('pending: when its run starts (unless a later event with its key supersedes it)'),
    carriedBy: z.uuid().nullable().describe('debounced: the fire that carried this event'),
    collapsed: z.number().int().describe('How many events the fire carries (debounce); 1 otherwise'),
    error: z.object({ code: z.string(), message: z.string() }).nullable(),
    attempts: z.number().int(),
    createdAt: iso,
    updatedAt: iso,
  })
  .meta({ id: 'TriggerFire', description: 'One (event, trigger) pair that matched: fired (its run), throttled, debounced (carried by another fire), pending (a debounce due later), queued (the concurrency limit), or failed (a dead letter)' });

export const eventWithFiresSchema = eventSchema.extend({ fires: z.array(fireSchema) }).meta({ id: 'EventWithFires' });

export const listEventsQuery = pageQuery.extend({
  type: eventPattern.optional().describe('An event type, or a prefix ending in .*'),
  source: z.enum(EVENT_SOURCES).optional(),
  endpointId: z.uuid().optional(),
  from: z.iso.datetime({ offset: true }).optional().describe('Received at or after'),
  to: z.iso.datetime({ offset: true }).optional().describe('Received before'),
  sortBy: z.enum(['createdAt']).default('createdAt'),
});
export type ListEventsQuery = z.output<typeof listEventsQuery>;

export const listFiresQuery = pageQuery.extend({
  status: z.enum(FIRE_STATUSES).optional().describe('failed: the dead letters'),
  triggerId: z.uuid().optional(),
  sortBy: z.enum(['createdAt']).default('createdAt'),
});
export type ListFiresQuery = z.output<typeof listFiresQuery>;

// ---- triggers ----

const template = (what: string) => z.string().max(50_000).describe(`A template ({{ JSONata }} over {event, env}): ${what}`);
const triggerFields = {
  name: z.string().trim().min(1).max(200),
  eventType: eventPattern.describe('The event type it listens for, or a prefix ending in .*'),
  filter: z.string().max(10_000).nullable().optional().describe('JSONata over {event, env}: the trigger fires when it is true'),
  agentId: z.uuid().nullable().optional().describe('Start a run of this agent …'),
  task: template("the agent's task").nullable().optional(),
  workflowId: z.uuid().nullable().optional().describe('… or a run of this workflow'),
  input: z.unknown().optional().describe("Templated JSON: the workflow run's input (default: the event's payload)"),
  decisionAgentId: z.uuid().nullable().optional().describe('… or a decision by this agent on the event (docs/decision-engine.md)'),
  decisionType: z.string().trim().regex(/^[A-Za-z0-9_.:-]{1,100}$/, 'letters, digits, _ . : - (1-100 characters)').nullable().optional().describe("The decision's policy type (default: the event's type)"),
  throttleKey: template('at most one fire per key …').nullable().optional(),
  throttleSeconds: z.number().int().min(1).max(30 * 86_400).nullable().optional().describe('… in this many seconds'),
  debounce: z
    .strictObject({
      key: template('events with the same key collapse …').min(1),
      seconds: z.number().int().min(1).max(86_400).describe('… when they come within this many seconds of each other; one run starts this long after the last, with the last'),
    })
    .nullable()
    .optional()
    .describe('Trailing debounce by key (not with a throttle)'),
  maxConcurrentRuns: z.number().int().min(1).max(10_000).nullable().optional().describe('At most this many of its runs active (queued, running or waiting) at once; others wait, in order. null: no limit'),
  enabled: z.boolean().optional(),
};
export const createTriggerBody = z.strictObject(triggerFields).meta({ id: 'CreateTrigger' });
export type CreateTriggerInput = z.output<typeof createTriggerBody>;
export const updateTriggerBody = z.strictObject(Object.fromEntries(Object.entries(triggerFields).map(([k, v]) => [k, v.optional()])) as { [K in keyof typeof triggerFields]: z.ZodOptional<(typeof triggerFields)[K]> }).meta({ id: 'UpdateTrigger' });
export type UpdateTriggerInput = z.output<typeof updateTriggerBody>;

export const triggerSchema = z
  .object({
    id: z.uuid(),
    orgId: z.uuid(),
    name: z.string(),
    eventType: z.string(),
    filter: z.string().nullable(),
    agentId: z.uuid().nullable(),
    task: z.string().nullable(),
    workflowId: z.uuid().nullable(),
    input: z.unknown(),
    decisionAgentId: z.uuid().nullable(),
    decisionType: z.string().nullable(),
    throttleKey: z.string().nullable(),
    throttleSeconds: z.number().int().nullable(),
    debounce: z.object({ key: z.string(), seconds: z.number().int() }).nullable(),
    maxConcurrentRuns: z.number().int().nullable(),
    enabled: z.boolean(),
    managed: z.boolean().describe("Kept by a workflow's event trigger node: change it in the workflow"),
    createdAt: iso,
    updatedAt: iso,
  })
  .meta({ id: 'Trigger' });

// ---- webhook endpoints ----

const endpointFields = {
  name: z.string().trim().min(1).max(200),
  eventType: eventType.describe('The type of the events it makes (unless the mapping says another)'),
  mapping: z.string().max(10_000).nullable().optional().describe('JSONata over {body, headers, query} giving {type?, payload?, dedupeKey?, occurredAt?}; null: the body is the payload'),
  verification: z.enum(VERIFICATION_SCHEMES).default('token').describe('token (a header or Bearer), hmac_sha256 (generic), github (X-Hub-Signature-256), stripe (Stripe-Signature), none'),
  signatureHeader: z.string().trim().toLowerCase().max(100).nullable().optional().describe("The header carrying the token or signature (token, hmac_sha256); default the scheme's"),
  toleranceSeconds: z.number().int().min(1).max(86_400).default(300).describe('Replay window for signed timestamps'),
  maxBodyBytes: z.number().int().min(1).max(10 * 1_048_576).default(1_048_576),
  enabled: z.boolean().default(true),
};
export const createEndpointBody = z
  .strictObject({ ...endpointFields, secret: z.string().min(16).max(500).optional().describe('Default: a new random secret, shown once') })
  .meta({ id: 'CreateWebhookEndpoint' });
export type CreateEndpointInput = z.output<typeof createEndpointBody>;
export const updateEndpointBody = z
  .strictObject({
    name: endpointFields.name.optional(),
    eventType: endpointFields.eventType.optional(),
    mapping: endpointFields.mapping,
    verification: z.enum(VERIFICATION_SCHEMES).optional(),
    signatureHeader: endpointFields.signatureHeader,
    toleranceSeconds: z.number().int().min(1).max(86_400).optional(),
    maxBodyBytes: z.number().int().min(1).max(10 * 1_048_576).optional(),
    enabled: z.boolean().optional(),
  })
  .meta({ id: 'UpdateWebhookEndpoint' });
export type UpdateEndpointInput = z.output<typeof updateEndpointBody>;

export const endpointSchema = z
  .object({
    id: z.uuid(),
    orgId: z.uuid(),
    name: z.string(),
    url: z.string().describe('Where senders POST'),
    eventType: z.string(),
    mapping: z.string().nullable(),
    verification: z.enum(VERIFICATION_SCHEMES),
    signatureHeader: z.string().nullable(),
    toleranceSeconds: z.number().int(),
    maxBodyBytes: z.number().int(),
    enabled: z.boolean(),
    hasSecret: z.boolean(),
    createdAt: iso,
    updatedAt: iso,
  })
  .meta({ id: 'WebhookEndpoint' });
export const endpointWithSecretSchema = endpointSchema.extend({ secret: z.string().nullable().describe('Shown only now') }).meta({ id: 'WebhookEndpointWithSecret' });

export const deliverySchema = z
  .object({
    at: z.string(),
    accepted: z.boolean(),
    status: z.number().int(),
    eventId: z.uuid().nullable(),
    eventType: z.string().nullable(),
    code: z.string().nullable(),
    reason: z.string().nullable(),
  })
  .meta({ id: 'WebhookDelivery' });

export const listQuery = pageQuery.extend({ sortBy: z.enum(['createdAt']).default('createdAt') });
