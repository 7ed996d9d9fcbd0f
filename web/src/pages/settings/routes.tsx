import type { RouteObject } from 'react-router';

/** Routes of the Settings area (paths relative to /, inside the app shell). Pages load on first visit. */
export const settingsRoutes: RouteObject[] = [
  { path: 'settings', lazy: async () => ({ Component: (await import('./placeholder-page')).SettingsPlaceholderPage }) },
];
