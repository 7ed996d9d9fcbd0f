import type { RouteObject } from 'react-router';

/** Routes of the Tasks area (paths relative to /, inside the app shell). Pages load on first visit. */
export const tasksRoutes: RouteObject[] = [
  { path: 'tasks', lazy: async () => ({ Component: (await import('./tasks-page')).TasksPage }) },
  { path: 'tasks/new', lazy: async () => ({ Component: (await import('./task-edit-pages')).NewTaskPage }) },
  { path: 'tasks/:id', lazy: async () => ({ Component: (await import('./task-page')).TaskPage }) },
  { path: 'tasks/:id/edit', lazy: async () => ({ Component: (await import('./task-edit-pages')).EditTaskPage }) },
];
