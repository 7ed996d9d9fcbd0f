import type { Role } from '../api/types';
import type { IconName } from '../components/icons';

export interface NavItem {
  to: string;
  label: string;
  icon: IconName;
  /** Hidden from people below this role in the current organization (the API refuses them anyway). */
  minRole: Role;
}

/** The main navigation, in order. A new area adds its entry here and its routes in routes.tsx. */
export const NAV: NavItem[] = [
  { to: '/agents', label: 'Agents', icon: 'agents', minRole: 'viewer' },
  { to: '/templates', label: 'Templates', icon: 'templates', minRole: 'viewer' },
  { to: '/chat', label: 'Chat', icon: 'chat', minRole: 'viewer' },
  { to: '/tasks', label: 'Tasks', icon: 'tasks', minRole: 'viewer' },
  { to: '/workflows', label: 'Workflows', icon: 'workflows', minRole: 'viewer' },
  { to: '/events', label: 'Events', icon: 'events', minRole: 'viewer' },
  { to: '/pipelines', label: 'Pipelines', icon: 'pipeline', minRole: 'member' },
  { to: '/calendar', label: 'Calendar', icon: 'calendar', minRole: 'viewer' },
  { to: '/decisions', label: 'Decisions', icon: 'approvals', minRole: 'viewer' },
  { to: '/runs', label: 'Runs', icon: 'runs', minRole: 'viewer' },
  { to: '/approvals', label: 'Approvals', icon: 'approvals', minRole: 'viewer' },
  { to: '/inbox', label: 'Inbox', icon: 'inbox', minRole: 'viewer' },
  { to: '/usage', label: 'Usage', icon: 'usage', minRole: 'viewer' },
  { to: '/audit', label: 'Audit', icon: 'audit', minRole: 'admin' },
  { to: '/settings', label: 'Settings', icon: 'settings', minRole: 'viewer' },
];

/**
 * The Gym section (the fitness pack's pages), under its own heading, shown for every organization:
 * an organization without gym data gets the demo gym and the import on its first page.
 */
export const GYM_NAV: NavItem[] = [
  { to: '/gym/members', label: 'Members', icon: 'members', minRole: 'viewer' },
  { to: '/gym/classes', label: 'Classes', icon: 'classes', minRole: 'viewer' },
  { to: '/gym/pipeline', label: 'Pipeline', icon: 'pipeline', minRole: 'viewer' },
  { to: '/gym/analytics', label: 'Analytics', icon: 'analytics', minRole: 'viewer' },
];
