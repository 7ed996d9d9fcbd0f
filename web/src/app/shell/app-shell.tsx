import { lazy, Suspense, useEffect, useRef, useState } from 'react';
import { NavLink, Outlet, useLocation, useNavigation } from 'react-router';
import { useSession } from '../../auth/session';
import { Icon } from '../../components/icons';
import { useInboxCounts } from '../../pages/inbox/use-inbox-counts';
import { GYM_NAV, NAV, type NavItem } from '../nav';
import { NoOrganization } from './no-organization';
import { OrgSwitcher } from './org-switcher';
import { usePendingApprovalCount } from './pending-approvals';

// The floating chat (pages/chat), loaded after the page: it is on every page but never first.
const ChatDock = lazy(async () => ({ default: (await import('../../pages/chat/chat-dock')).ChatDock }));

/**
 * The frame of every signed-in page: navigation (a sidebar; on narrow screens a menu opened
 * from the top bar), the organization switcher, profile and sign-out, and the page itself.
 * The page is keyed by the organization, so switching remounts it with fresh state.
 */
export function AppShell() {
  const { org, can, user, signOut } = useSession();
  const [menuOpen, setMenuOpen] = useState(false);
  const location = useLocation();
  const navigation = useNavigation();
  const menuButton = useRef<HTMLButtonElement>(null);
  const nav = useRef<HTMLElement>(null);
  const pending = usePendingApprovalCount(org !== null);
  const inbox = useInboxCounts(org !== null);
  // What a link's badge counts: approvals waiting, the inbox's unread and open items.
  const badge = (item: NavItem) => {
    if (item.to === '/approvals' && pending) return { n: pending, what: 'waiting' };
    if (item.to === '/inbox' && inbox?.attention) return { n: inbox.attention, what: 'unread or open' };
    return null;
  };

  // Close the menu after following a link. (Setting state during render on a change of the
  // location is React's documented way to reset state on a prop change.)
  const [lastPath, setLastPath] = useState(location.pathname);
  if (lastPath !== location.pathname) {
    setLastPath(location.pathname);
    setMenuOpen(false);
  }

  // Escape closes the open menu and gives focus back to its button.
  useEffect(() => {
    if (!menuOpen) return;
    nav.current?.querySelector<HTMLElement>('a, button, select')?.focus();
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        setMenuOpen(false);
        menuButton.current?.focus();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [menuOpen]);

  return (
    <div className={`shell${menuOpen ? ' shell-menu-open' : ''}`}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <button
          ref={menuButton}
          type="button"
          className="btn btn-ghost topbar-menu"
          aria-expanded={menuOpen}
          aria-controls="app-nav"
          onClick={() => setMenuOpen((o) => !o)}
        >
          <Icon name={menuOpen ? 'close' : 'menu'} />
          <span className="visually-hidden">{menuOpen ? 'Close menu' : 'Menu'}</span>
        </button>
        <span className="brand">Troupe</span>
        <span className="topbar-org" title={org?.name}>
          {org?.name}
        </span>
      </header>

      <nav id="app-nav" ref={nav} className="sidebar" aria-label="Main">
        <div className="sidebar-brand">
          <img src="/favicon.svg" alt="" width={24} height={24} />
          <span className="brand">Troupe</span>
        </div>
        <OrgSwitcher />
        <ul className="nav-list">
          {NAV.filter((item) => can(item.minRole)).map((item) => (
            <li key={item.to}>
              <NavItemLink item={item} badge={badge(item)} />
            </li>
          ))}
          <li className="nav-group">
            <span className="nav-group-label" id="nav-gym">
              Gym
            </span>
            <ul className="nav-list" aria-labelledby="nav-gym">
              {GYM_NAV.filter((item) => can(item.minRole)).map((item) => (
                <li key={item.to}>
                  <NavItemLink item={item} badge={null} />
                </li>
              ))}
            </ul>
          </li>
        </ul>
        <div className="sidebar-footer">
          <NavLink to="/profile" className="nav-link" title={user.email}>
            <Icon name="profile" />
            <span className="nav-user">
              <span>{user.name}</span>
              <span className="muted small">{user.email}</span>
            </span>
          </NavLink>
          <button type="button" className="nav-link nav-button" onClick={signOut}>
            <Icon name="signOut" />
            <span>Sign out</span>
          </button>
        </div>
      </nav>
      {menuOpen && <div className="backdrop" aria-hidden="true" onClick={() => setMenuOpen(false)} />}

      <main id="main" tabIndex={-1} className="main" aria-busy={navigation.state === 'loading' || undefined}>
        {navigation.state === 'loading' && <div className="progress" role="progressbar" aria-label="Loading page" />}
        {org || location.pathname === '/profile' ? <Outlet key={org?.id ?? 'none'} /> : <NoOrganization />}
      </main>
      {org && (
        <Suspense fallback={null}>
          <ChatDock key={org.id} />
        </Suspense>
      )}
    </div>
  );
}

function NavItemLink({ item, badge }: { item: NavItem; badge: { n: number; what: string } | null }) {
  return (
    <NavLink to={item.to} className="nav-link">
      <Icon name={item.icon} />
      <span>{item.label}</span>
      {badge && (
        <span className="nav-count">
          {badge.n}
          <span className="visually-hidden"> {badge.what}</span>
        </span>
      )}
    </NavLink>
  );
}
