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
  { to: '/chat', label: 'Chat', icon: 'chat', minRole: 'viewer' },
  { to: '/tasks', label: 'Tasks', icon: 'tasks', minRole: 'viewer' },
  { to: '/runs', label: 'Runs', icon: 'runs', minRole: 'viewer' },
  { to: '/approvals', label: 'Approvals', icon: 'approvals', minRole: 'viewer' },
  { to: '/usage', label: 'Usage', icon: 'usage', minRole: 'viewer' },
  { to: '/audit', label: 'Audit', icon: 'audit', minRole: 'admin' },
  { to: '/settings', label: 'Settings', icon: 'settings', minRole: 'viewer' },
];
