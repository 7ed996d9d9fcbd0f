import type { RouteObject } from 'react-router';

/** Routes of the Chat area (paths relative to /, inside the app shell). Pages load on first visit. */
export const chatRoutes: RouteObject[] = [
  { path: 'chat', lazy: async () => ({ Component: (await import('./placeholder-page')).ChatPlaceholderPage }) },
];
