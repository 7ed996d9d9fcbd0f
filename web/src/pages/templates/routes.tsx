import type { RouteObject } from 'react-router';

/** Routes of the Templates area (paths relative to /, inside the app shell). */
export const templatesRoutes: RouteObject[] = [{ path: 'templates', lazy: async () => ({ Component: (await import('./templates-page')).TemplatesPage }) }];
