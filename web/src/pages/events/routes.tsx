import type { RouteObject } from 'react-router';

/** Routes of the Events area (paths relative to /, inside the app shell). Pages load on first visit. */
export const eventsRoutes: RouteObject[] = [
  { path: 'events', lazy: async () => ({ Component: (await import('./event-log-page')).EventLogPage }) },
  { path: 'events/dead-letters', lazy: async () => ({ Component: (await import('./dead-letters-page')).DeadLettersPage }) },
  { path: 'events/webhooks', lazy: async () => ({ Component: (await import('./webhooks-page')).WebhooksPage }) },
  { path: 'events/webhooks/:id', lazy: async () => ({ Component: (await import('./webhook-page')).WebhookPage }) },
  { path: 'events/triggers', lazy: async () => ({ Component: (await import('./triggers-page')).TriggersPage }) },
  { path: 'events/triggers/new', lazy: async () => ({ Component: (await import('./trigger-page')).NewTriggerPage }) },
  { path: 'events/databases', lazy: async () => ({ Component: (await import('./db-sources-page')).DbSourcesPage }) },
  { path: 'events/triggers/:id', lazy: async () => ({ Component: (await import('./trigger-page')).TriggerPage }) },
  { path: 'events/email', lazy: async () => ({ Component: (await import('./email-page')).EmailPage }) },
];
