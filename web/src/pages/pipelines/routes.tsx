import type { RouteObject } from 'react-router';

/** Routes of the Pipelines area (paths relative to /, inside the app shell). Pages load on first visit. */
export const pipelinesRoutes: RouteObject[] = [
  { path: 'pipelines', lazy: async () => ({ Component: (await import('./pipelines-page')).PipelinesPage }) },
  { path: 'pipelines/new', lazy: async () => ({ Component: (await import('./pipeline-form-page')).NewPipelinePage }) },
  { path: 'pipelines/staff', lazy: async () => ({ Component: (await import('./staff-page')).StaffPage }) },
  { path: 'pipelines/items/:id', lazy: async () => ({ Component: (await import('./item-page')).ItemPage }) },
  { path: 'pipelines/:id', lazy: async () => ({ Component: (await import('./board-page')).BoardPage }) },
  { path: 'pipelines/:id/edit', lazy: async () => ({ Component: (await import('./pipeline-form-page')).EditPipelinePage }) },
];
