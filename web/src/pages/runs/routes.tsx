import type { RouteObject } from 'react-router';

/** Routes of the Runs area (paths relative to /, inside the app shell). Pages load on first visit. */
export const runsRoutes: RouteObject[] = [
  { path: 'runs', lazy: async () => ({ Component: (await import('./runs-page')).RunsPage }) },
  { path: 'runs/:id', lazy: async () => ({ Component: (await import('./run-page')).RunPage }) },
];
