import { NavLink, Outlet } from 'react-router';
import type { Role } from '../../api/types';
import { useSession } from '../../auth/session';
import { EmptyState } from '../../components/states';
import { PageHeader } from '../../components/page-header';
import '../../components/data-table.css';
import './settings.css';

/** The sections of Settings and who sees them (the API would refuse the rest anyway). */
export const SECTIONS: { to: string; label: string; minRole: Role }[] = [
  { to: 'members', label: 'Members', minRole: 'viewer' },
  { to: 'api-keys', label: 'API keys', minRole: 'admin' },
  { to: 'credentials', label: 'Provider credentials', minRole: 'admin' },
  { to: 'billing', label: 'Markup and budgets', minRole: 'viewer' },
  { to: 'tools', label: 'Tools', minRole: 'admin' },
  { to: 'website-chat', label: 'Website chat', minRole: 'viewer' },
  { to: 'system', label: 'Scheduler and queue', minRole: 'viewer' },
];

/** Settings: a tab bar of the sections the role may see, and the section below it. */
export function SettingsLayout() {
  const { can } = useSession();
  return (
    <>
      <PageHeader title="Settings" description="Members, API keys, provider credentials, billing, tools, the website chat, the scheduler and the run queue." />
      <nav className="area-tabs" aria-label="Settings sections">
        <ul>
          {SECTIONS.filter((s) => can(s.minRole)).map((s) => (
            <li key={s.to}>
              <NavLink to={`/settings/${s.to}`} className="area-tab">
                {s.label}
              </NavLink>
            </li>
          ))}
        </ul>
      </nav>
      <Outlet />
    </>
  );
}

/** Renders `children` only for `minRole` and up; others learn why the section is empty. */
export function RoleGate({ minRole, children }: { minRole: Role; children: React.ReactNode }) {
  const { can } = useSession();
  if (can(minRole)) return <>{children}</>;
  return (
    <EmptyState title={`Only for the ${minRole} role and above`}>
      <p>Ask an administrator of this organization.</p>
    </EmptyState>
  );
}
