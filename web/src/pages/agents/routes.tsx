import type { RouteObject } from 'react-router';

/** Routes of the Agents area (paths relative to /, inside the app shell). Pages load on first visit. */
export const agentsRoutes: RouteObject[] = [
  { path: 'agents', lazy: async () => ({ Component: (await import('./agents-page')).AgentsPage }) },
  { path: 'agents/new', lazy: async () => ({ Component: (await import('./agent-edit-pages')).NewAgentPage }) },
  { path: 'agents/:id', lazy: async () => ({ Component: (await import('./agent-page')).AgentPage }) },
  { path: 'agents/:id/edit', lazy: async () => ({ Component: (await import('./agent-edit-pages')).EditAgentPage }) },
];
