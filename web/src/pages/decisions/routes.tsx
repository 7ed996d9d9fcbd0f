import type { RouteObject } from 'react-router';

/** Routes of the Decisions area (paths relative to /, inside the app shell). Pages load on first visit. */
export const decisionsRoutes: RouteObject[] = [
  { path: 'decisions', lazy: async () => ({ Component: (await import('./inbox-page')).DecisionsInboxPage }) },
  { path: 'decisions/all', lazy: async () => ({ Component: (await import('./decisions-page')).DecisionsListPage }) },
  { path: 'decisions/analytics', lazy: async () => ({ Component: (await import('./analytics-page')).DecisionsAnalyticsPage }) },
  { path: 'decisions/policies', lazy: async () => ({ Component: (await import('./policies-page')).DecisionPoliciesPage }) },
  { path: 'decisions/:id', lazy: async () => ({ Component: (await import('./decision-page')).DecisionPage }) },
];
