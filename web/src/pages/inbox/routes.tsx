import type { RouteObject } from 'react-router';

/** Routes of the Inbox area (paths relative to /, inside the app shell). */
export const inboxRoutes: RouteObject[] = [{ path: 'inbox', lazy: async () => ({ Component: (await import('./inbox-page')).InboxPage }) }];
