import type { RouteObject } from 'react-router';

/** Routes of the Calendar area (paths relative to /, inside the app shell). */
export const calendarRoutes: RouteObject[] = [{ path: 'calendar', lazy: async () => ({ Component: (await import('./calendar-page')).CalendarPage }) }];
