import type { RouteObject } from 'react-router';

/** Routes of the Usage area (paths relative to /, inside the app shell). Pages load on first visit. */
export const usageRoutes: RouteObject[] = [{ path: 'usage', lazy: async () => ({ Component: (await import('./usage-page')).UsagePage }) }];
