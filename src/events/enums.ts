/**
 * The events module's fixed vocabularies and formats, with no dependency: the server's schemas and
 * the dashboard's forms share them (the dashboard may not import schema.ts or verify.ts).
 */

/** What happened: dot-separated words of letters, digits, `_`, `-` and `:` (`form.submitted`). */
export { EVENT_TYPE_HINT, EVENT_TYPE_RE } from '../shared/event-type.js';
/** What a trigger listens for: an event type, a prefix ending in `.*` (`db.*`), or `*`. */
export const EVENT_PATTERN_RE = /^(\*|([A-Za-z0-9_:-]+\.)*([A-Za-z0-9_:-]+|\*))$/;
export const EVENT_PATTERN_HINT = 'an event type, or a prefix ending in .* (db.*), or *';

export const EVENT_SOURCES = ['webhook', 'api', 'agent', 'troupe', 'database'] as const;
export type EventSource = (typeof EVENT_SOURCES)[number];

export const FIRE_STATUSES = ['firing', 'fired', 'throttled', 'failed'] as const;
export type FireStatus = (typeof FIRE_STATUSES)[number];

export const VERIFICATION_SCHEMES = ['token', 'hmac_sha256', 'github', 'stripe', 'none'] as const;
export type VerificationScheme = (typeof VERIFICATION_SCHEMES)[number];
