import type { RouteObject } from 'react-router';

/** Routes of the Workflows area (paths relative to /, inside the app shell). Pages load on first visit. */
export const workflowsRoutes: RouteObject[] = [
  { path: 'workflows', lazy: async () => ({ Component: (await import('./workflows-page')).WorkflowsPage }) },
  { path: 'workflows/:id', lazy: async () => ({ Component: (await import('./workflow-page')).WorkflowPage }) },
];
