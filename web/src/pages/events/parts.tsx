import type { ReactNode } from 'react';
import { Badge } from '../../components/badge';
import { AreaHeader, type AreaSection } from '../../components/area-header';
import { label } from '../runs/format';
import { FIRE_TONE, type FireStatus } from './api';
import '../../components/data-table.css';
import '../runs/runs.css';
import '../agents/agents.css';
import './events.css';

/** The pages of the Events area, in the order of its tabs. */
const SECTIONS: AreaSection[] = [
  { to: '/events', label: 'Event log', end: true },
  { to: '/events/dead-letters', label: 'Dead letters', end: false },
  { to: '/events/webhooks', label: 'Webhooks', end: false },
  { to: '/events/triggers', label: 'Triggers', end: false },
  { to: '/events/email', label: 'Email', end: false },
  { to: '/events/databases', label: 'Databases', end: false, admin: true },
];

/** A page of the Events area: its heading, then the tabs that move between the area's pages. */
export function EventsHeader(props: { title: string; description: ReactNode; actions?: ReactNode }) {
  return <AreaHeader area="Events" sections={SECTIONS} tabsClass="events-tabs" {...props} />;
}

/** A trigger fire's status as a coloured label (`data-status` for tests and styles). */
export function FireBadge({ status }: { status: FireStatus }) {
  return (
    <span className="status-badge" data-status={status}>
      <Badge tone={FIRE_TONE[status]}>{label(status)}</Badge>
    </span>
  );
}

/**
 * An on/off switch (role="switch", the agents page's look). `label` names it for screen readers;
 * with `id`, a visible <label htmlFor> may name it instead.
 */
export function EnabledSwitch({ id, checked, label: name, busy, onChange }: { id?: string; checked: boolean; label?: string; busy: boolean; onChange: (on: boolean) => void }) {
  return (
    <button type="button" role="switch" id={id} aria-checked={checked} aria-label={name} className="switch" disabled={busy} onClick={() => onChange(!checked)}>
      <span className="switch-thumb" aria-hidden="true" />
    </button>
  );
}

/** Enabled or disabled, for those who may not change it. */
export const EnabledBadge = ({ enabled }: { enabled: boolean }) => <Badge tone={enabled ? 'success' : 'neutral'}>{enabled ? 'enabled' : 'disabled'}</Badge>;

/** "1 h", "90 s", "2 d": a throttle window. */
export function seconds(n: number): string {
  if (n % 86_400 === 0) return `${n / 86_400} d`;
  if (n % 3600 === 0) return `${n / 3600} h`;
  if (n % 60 === 0) return `${n / 60} min`;
  return `${n} s`;
}

/** A size in bytes as people read it: "1 MiB", "200 bytes". */
export function bytes(n: number): string {
  if (n >= 1_048_576 && n % 1_048_576 === 0) return `${n / 1_048_576} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n.toLocaleString('en-US')} bytes`;
}
