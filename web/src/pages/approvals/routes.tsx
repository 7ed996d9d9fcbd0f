import type { RouteObject } from 'react-router';

/** Routes of the Approvals area (paths relative to /, inside the app shell). Pages load on first visit. */
export const approvalsRoutes: RouteObject[] = [
  { path: 'approvals', lazy: async () => ({ Component: (await import('./approvals-page')).ApprovalsPage }) },
  { path: 'approvals/:id', lazy: async () => ({ Component: (await import('./approval-page')).ApprovalPage }) },
];
