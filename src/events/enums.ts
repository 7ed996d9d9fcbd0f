/**
 * The events module's fixed vocabularies and formats, with no dependency: the server's schemas and
 * the dashboard's forms share them (the dashboard may not import schema.ts or verify.ts).
 */

/** What happened: dot-separated words of letters, digits, `_`, `-` and `:` (`form.submitted`). */
export { EVENT_TYPE_HINT, EVENT_TYPE_RE } from '../shared/event-type.js';
/** What a trigger listens for: an event type, a prefix ending in `.*` (`db.*`), or `*`. */
export const EVENT_PATTERN_RE = /^(\*|([A-Za-z0-9_:-]+\.)*([A-Za-z0-9_:-]+|\*))$/;
export const EVENT_PATTERN_HINT = 'an event type, or a prefix ending in .* (db.*), or *';

export const EVENT_SOURCES = ['webhook', 'api', 'agent', 'troupe', 'email', 'database'] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];

/**
 * What became of one (event, trigger) pair: `firing` (its run is being started), `fired` (it has
 * its run), `throttled` (a fire for its key came within the window), `failed` (a dead letter),
 * `pending` (a debounce: due at `dueAt` unless a later event with its key supersedes it),
 * `debounced` (superseded: `carriedBy` is the fire that carried it), `queued` (the trigger's
 * concurrency limit is reached: it starts, in order, when one of the trigger's runs ends).
 */
export const FIRE_STATUSES = ['firing', 'fired', 'throttled', 'failed', 'pending', 'debounced', 'queued'] as const;
export type FireStatus = (typeof FIRE_STATUSES)[number];

export const VERIFICATION_SCHEMES = ['token', 'hmac_sha256', 'github', 'stripe', 'none'] as const;
export type VerificationScheme = (typeof VERIFICATION_SCHEMES)[number];
