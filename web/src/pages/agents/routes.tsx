import type { RouteObject } from 'react-router';

/** Routes of the Agents area (paths relative to /, inside the app shell). Pages load on first visit. */
export const agentsRoutes: RouteObject[] = [
  { path: 'agents', lazy: async () => ({ Component: (await import('./placeholder-page')).AgentsPlaceholderPage }) },
];
