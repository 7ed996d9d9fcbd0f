import { Navigate, type RouteObject } from 'react-router';

/** Routes of the Gym area (the fitness pack's pages; paths relative to /, inside the app shell). Pages load on first visit. */
export const gymRoutes: RouteObject[] = [
  { path: 'gym', element: <Navigate to="/gym/members" replace /> },
  { path: 'gym/members', lazy: async () => ({ Component: (await import('./members/members-page')).MembersPage }) },
  { path: 'gym/members/:id', lazy: async () => ({ Component: (await import('./members/contact-page')).ContactPage }) },
  { path: 'gym/import', lazy: async () => ({ Component: (await import('./members/import-page')).ImportPage }) },
  { path: 'gym/classes', lazy: async () => ({ Component: (await import('./classes/classes-page')).ClassesPage }) },
  { path: 'gym/pipeline', lazy: async () => ({ Component: (await import('./pipeline/pipeline-page')).PipelinePage }) },
  { path: 'gym/analytics', lazy: async () => ({ Component: (await import('./analytics/analytics-page')).AnalyticsPage }) },
];
