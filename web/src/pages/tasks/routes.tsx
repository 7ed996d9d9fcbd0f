import type { RouteObject } from 'react-router';

/** Routes of the Tasks area (paths relative to /, inside the app shell). Pages load on first visit. */
export const tasksRoutes: RouteObject[] = [
  { path: 'tasks', lazy: async () => ({ Component: (await import('./placeholder-page')).TasksPlaceholderPage }) },
];
