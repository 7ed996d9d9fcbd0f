import { Navigate, type RouteObject } from 'react-router';

/** Routes of the Settings area (paths relative to /, inside the app shell). Pages load on first visit. */
export const settingsRoutes: RouteObject[] = [
  {
    path: 'settings',
    lazy: async () => ({ Component: (await import('./settings-layout')).SettingsLayout }),
    children: [
      { index: true, element: <Navigate to="members" replace /> },
      { path: 'members', lazy: async () => ({ Component: (await import('./members-page')).MembersPage }) },
      { path: 'api-keys', lazy: async () => ({ Component: (await import('./api-keys-page')).ApiKeysPage }) },
      { path: 'credentials', lazy: async () => ({ Component: (await import('./credentials-page')).CredentialsPage }) },
      { path: 'billing', lazy: async () => ({ Component: (await import('./billing-page')).BillingPage }) },
      { path: 'tools', lazy: async () => ({ Component: (await import('./tools-page')).ToolSettingsPage }) },
      { path: 'website-chat', lazy: async () => ({ Component: (await import('./website-chat-page')).WebsiteChatPage }) },
      { path: 'system', lazy: async () => ({ Component: (await import('./system-page')).SystemPage }) },
    ],
  },
];
