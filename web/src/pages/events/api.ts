import type { z } from 'zod';
import type {
  createEndpointBody,
  createTriggerBody,
  deliverySchema,
  endpointSchema,
  endpointWithSecretSchema,
  eventSchema,
  eventWithFiresSchema,
  fireSchema,
  triggerSchema,
  updateEndpointBody,
  updateTriggerBody,
} from '@server/events/dto';
import { EVENT_PATTERN_RE, EVENT_SOURCES, EVENT_TYPE_RE, VERIFICATION_SCHEMES, type EventSource, type FireStatus, type VerificationScheme } from '@server/events/enums';
import type { Role } from '@server/shared/roles';
import { api } from '../../api/client';
import type { Page } from '../../api/types';
import type { BadgeTone } from '../../components/badge';
import { workflowKeys, workflowsApi, type WorkflowListQuery } from '../workflows/api';

/*
 * The endpoints the Events pages use (src/events/routes.ts): the event log and replays, trigger
 * fires (status=failed: the dead letters), triggers, and inbound webhook endpoints.
 * The formats and vocabularies come from src/events/enums.ts, which the server's schemas use too.
 */

export type Event = z.output<typeof eventSchema>;
export type EventWithFires = z.output<typeof eventWithFiresSchema>;
export type Fire = z.output<typeof fireSchema>;
export type Trigger = z.output<typeof triggerSchema>;
export type Endpoint = z.output<typeof endpointSchema>;
export type EndpointWithSecret = z.output<typeof endpointWithSecretSchema>;
export type Delivery = z.output<typeof deliverySchema>;
export type { EventSource, FireStatus, VerificationScheme };
export { EVENT_PATTERN_RE, EVENT_SOURCES, EVENT_TYPE_RE, VERIFICATION_SCHEMES };

/** Roles the API asks for: admins change triggers and endpoints, replay events and send tests. */
export const EDIT_ROLE: Role = 'admin';

export const EVENT_TYPE_HINT = 'Dot-separated words of letters, digits, _, - and :, e.g. form.submitted';
export const EVENT_PATTERN_HINT = 'An event type (form.submitted), or a prefix ending in .* (form.*), or *';

/** Every scheme of src/events/verify.ts (the `satisfies` fails the build when one is added there). */
export const VERIFICATION_LABELS = {
  token: 'Token (a header, or Authorization: Bearer)',
  hmac_sha256: 'HMAC-SHA256 signature',
  github: 'GitHub (X-Hub-Signature-256)',
  stripe: 'Stripe (Stripe-Signature)',
  none: 'None: anyone with the URL',
} satisfies Record<VerificationScheme, string>;
/** The header a scheme reads when the endpoint names none (verify.ts defaults). */
export const DEFAULT_HEADER: Record<VerificationScheme, string | null> = {
  token: 'x-webhook-token',
  hmac_sha256: 'x-signature',
  github: 'x-hub-signature-256',
  stripe: 'stripe-signature',
  none: null,
};
export const MAX_BODY_BYTES = 10 * 1_048_576;

export const FIRE_TONE = { firing: 'info', fired: 'success', throttled: 'neutral', failed: 'danger', pending: 'info', debounced: 'neutral', queued: 'warning' } satisfies Record<FireStatus, BadgeTone>;

export interface EventQuery {
  type?: string;
  source?: EventSource;
  endpointId?: string;
  limit?: number;
  offset?: number;
}
export interface FireQuery {
  status?: FireStatus;
  triggerId?: string;
  limit?: number;
  offset?: number;
}

export type CreateTrigger = z.input<typeof createTriggerBody>;
export type UpdateTrigger = z.input<typeof updateTriggerBody>;
export type CreateEndpoint = z.input<typeof createEndpointBody>;
export type UpdateEndpoint = z.input<typeof updateEndpointBody>;

const enc = encodeURIComponent;

export const eventKeys = {
  all: ['events'] as const,
  list: (q: EventQuery) => ['events', 'list', q] as const,
  detail: (id: string) => ['events', 'detail', id] as const,
  fires: (q: FireQuery) => ['events', 'fires', q] as const,
  triggers: ['events', 'triggers'] as const,
  trigger: (id: string) => ['events', 'triggers', id] as const,
  endpoints: ['events', 'webhooks'] as const,
  endpoint: (id: string) => ['events', 'webhooks', id] as const,
  deliveries: (id: string) => ['events', 'webhooks', id, 'deliveries'] as const,
};

export const eventsApi = {
  list: (query: EventQuery, signal?: AbortSignal) => api.get<Page<Event> & { totalExact: boolean }>('/events', { query: { ...query }, signal }),
  get: (id: string, signal?: AbortSignal) => api.get<EventWithFires>(`/events/${enc(id)}`, { signal }),
  /** Failed fires are tried again; fired ones stay (each run is made once). */
  replay: (id: string) => api.post<EventWithFires>(`/events/${enc(id)}/replay`),
  fires: (query: FireQuery, signal?: AbortSignal) => api.get<Page<Fire>>('/trigger-fires', { query: { ...query }, signal }),

  triggers: (signal?: AbortSignal) => api.get<{ items: Trigger[] }>('/triggers', { signal }),
  trigger: (id: string, signal?: AbortSignal) => api.get<Trigger>(`/triggers/${enc(id)}`, { signal }),
  createTrigger: (body: CreateTrigger) => api.post<Trigger>('/triggers', body),
  /** A managed (workflow) trigger takes only `enabled`: anything else is a 409. */
  updateTrigger: (id: string, body: UpdateTrigger) => api.patch<Trigger>(`/triggers/${enc(id)}`, body),
  removeTrigger: (id: string) => api.delete(`/triggers/${enc(id)}`),

  endpoints: (signal?: AbortSignal) => api.get<{ items: Endpoint[] }>('/webhooks', { signal }),
  endpoint: (id: string, signal?: AbortSignal) => api.get<Endpoint>(`/webhooks/${enc(id)}`, { signal }),
  /** The answer carries the secret: the only time it is shown. */
  createEndpoint: (body: CreateEndpoint) => api.post<EndpointWithSecret>('/webhooks', body),
  updateEndpoint: (id: string, body: UpdateEndpoint) => api.patch<Endpoint>(`/webhooks/${enc(id)}`, body),
  /** A new secret, shown once; the old one stops working at once. */
  rotateSecret: (id: string) => api.post<EndpointWithSecret>(`/webhooks/${enc(id)}/rotate-secret`),
  removeEndpoint: (id: string) => api.delete(`/webhooks/${enc(id)}`),
  deliveries: (id: string, signal?: AbortSignal) => api.get<{ items: Delivery[] }>(`/webhooks/${enc(id)}/deliveries`, { signal }),
  /** A delivery signed as a correct sender would, through the public intake: what the sender got. */
  test: (id: string) => api.post<{ status: number; body: unknown }>(`/webhooks/${enc(id)}/test`, {}),
};

const allWorkflows: WorkflowListQuery = { archived: 'all', sortBy: 'name', sortOrder: 'asc', limit: 100 };
/** Every workflow (archived ones too: old fires still name them), for names and the trigger form. */
export const workflowsQuery = {
  queryKey: workflowKeys.list(allWorkflows),
  queryFn: ({ signal }: { signal: AbortSignal }) => workflowsApi.list(allWorkflows, signal),
  staleTime: 60_000,
};
