import type { RouteObject } from 'react-router';

/** Routes of the Audit area (paths relative to /, inside the app shell). Pages load on first visit. */
export const auditRoutes: RouteObject[] = [{ path: 'audit', lazy: async () => ({ Component: (await import('./audit-page')).AuditPage }) }];
