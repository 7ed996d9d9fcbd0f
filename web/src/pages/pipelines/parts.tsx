import type { ReactNode } from 'react';
import { Badge } from '../../components/badge';
import { AreaHeader, type AreaSection } from '../../components/area-header';
import { PRIORITY_LABELS } from './api';
import '../../components/data-table.css';
import '../runs/runs.css';
import './pipelines.css';

const SECTIONS: AreaSection[] = [
  { to: '/pipelines', label: 'Pipelines', end: true },
  { to: '/pipelines/staff', label: 'Staff', end: false },
];

/** A page of the Pipelines area: its heading, then the tabs between pipelines and staff. */
export function PipelinesHeader(props: { title: string; description: ReactNode; actions?: ReactNode }) {
  return <AreaHeader area="Pipelines" sections={SECTIONS} tabsClass="pipe-tabs" {...props} />;
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
