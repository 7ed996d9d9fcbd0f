import type { ReactNode } from 'react';
import { NavLink } from 'react-router';
import { Badge } from '../../components/badge';
import { PageHeader } from '../../components/page-header';
import { PRIORITY_LABELS } from './api';
import '../../components/data-table.css';
import '../runs/runs.css';
import './pipelines.css';

const SECTIONS = [
  { to: '/pipelines', label: 'Pipelines', end: true },
  { to: '/pipelines/staff', label: 'Staff', end: false },
];

/** A page of the Pipelines area: its heading, then the tabs between pipelines and staff. */
export function PipelinesHeader({ title, description, actions }: { title: string; description: ReactNode; actions?: ReactNode }) {
  return (
    <>
      <PageHeader title={title} description={description} actions={actions} />
      <nav className="area-tabs pipe-tabs" aria-label="Pipelines sections">
        <ul>
          {SECTIONS.map((s) => (
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

/** An item's priority (1–5) as a label: urgent and high stand out. */
export function PriorityBadge({ priority }: { priority: number }) {
  const tone = priority >= 5 ? 'danger' : priority === 4 ? 'warning' : 'neutral';
  return (
    <span data-priority={priority}>
      <Badge tone={tone}>P{priority} {PRIORITY_LABELS[priority] ?? ''}</Badge>
    </span>
  );
}

/** "12 Mar, 14:05". */
export const when = (iso: string) => new Date(iso).toLocaleString(undefined, { day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit' });
