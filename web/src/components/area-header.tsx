import type { ReactNode } from 'react';
import { NavLink } from 'react-router';
import { useSession } from '../auth/session';
import { PageHeader } from './page-header';

/** One tab of an area's header: its path, label, whether it matches only exactly, and whether only admins see it. */
export interface AreaSection {
  to: string;
  label: string;
  end: boolean;
  admin?: boolean;
}

/**
 * A page of an area with tabs (Events, Decisions, Pipelines): its heading, then the tabs that move
 * between the area's pages (`.area-tabs` in styles.css; `tabsClass` adds the area's own).
 */
export function AreaHeader(props: { area: string; sections: readonly AreaSection[]; tabsClass?: string; title: string; description: ReactNode; actions?: ReactNode }) {
  const { can } = useSession();
  return (
    <>
      <PageHeader title={props.title} description={props.description} actions={props.actions} />
      <nav className={`area-tabs${props.tabsClass ? ` ${props.tabsClass}` : ''}`} aria-label={`${props.area} sections`}>
        <ul>
          {props.sections
            .filter((s) => !s.admin || can('admin'))
            .map((s) => (
              <li key={s.to}>
                <NavLink to={s.to} end={s.end} className="area-tab">
                  {s.label}
                </NavLink>
              </li>
            ))}
        </ul>
      </nav>
    </>
  );
}
