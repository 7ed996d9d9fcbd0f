import { createBrowserRouter, Navigate, type RouteObject } from 'react-router';
import { RequireSession } from '../auth/session';
import { FullPageLoading } from '../components/states';
import { agentsRoutes } from '../pages/agents/routes';
import { approvalsRoutes } from '../pages/approvals/routes';
import { auditRoutes } from '../pages/audit/routes';
import { authRoutes } from '../pages/auth/routes';
import { chatRoutes } from '../pages/chat/routes';
import { decisionsRoutes } from '../pages/decisions/routes';
import { eventsRoutes } from '../pages/events/routes';
import { calendarRoutes } from '../pages/calendar/routes';
import { gymRoutes } from '../pages/gym/routes';
import { inboxRoutes } from '../pages/inbox/routes';
import { pipelinesRoutes } from '../pages/pipelines/routes';
import { NotFoundPage } from '../pages/not-found-page';
import { profileRoutes } from '../pages/profile/routes';
import { runsRoutes } from '../pages/runs/routes';
import { settingsRoutes } from '../pages/settings/routes';
import { tasksRoutes } from '../pages/tasks/routes';
import { templatesRoutes } from '../pages/templates/routes';
import { usageRoutes } from '../pages/usage/routes';
import { workflowsRoutes } from '../pages/workflows/routes';
import { RouteErrorBoundary } from './error-boundary';
import { Root } from './root';
import { AppShell } from './shell/app-shell';

/**
 * The route table of the dashboard. Each area owns `pages/<area>/routes.tsx` (its paths, lazily
 * loaded pages) and is listed once here; the server answers every one of these paths with the
 * dashboard (SPA fallback), so links and reloads work.
 */
export const routes: RouteObject[] = [
  {
    path: '/',
    Component: Root,
    HydrateFallback: FullPageLoading,
    ErrorBoundary: RouteErrorBoundary,
    children: [
      ...authRoutes,
      {
        element: (
          <RequireSession>
            <AppShell />
          </RequireSession>
        ),
        children: [
          {
            // Pathless: a page that throws shows the error inside the shell, navigation intact.
            ErrorBoundary: RouteErrorBoundary,
            children: [
              { index: true, element: <Navigate to="/agents" replace /> },
              ...agentsRoutes,
              ...templatesRoutes,
              ...chatRoutes,
              ...tasksRoutes,
              ...workflowsRoutes,
              ...eventsRoutes,
              ...pipelinesRoutes,
              ...calendarRoutes,
              ...decisionsRoutes,
              ...runsRoutes,
              ...approvalsRoutes,
              ...inboxRoutes,
              ...usageRoutes,
              ...auditRoutes,
              ...settingsRoutes,
              ...gymRoutes,
              ...profileRoutes,
              { path: '*', Component: NotFoundPage },
            ],
          },
        ],
      },
    ],
  },
];

export const createRouter = () => createBrowserRouter(routes);
