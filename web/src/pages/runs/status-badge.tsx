import { Badge } from '../../components/badge';
import { label, statusTone } from './format';

/** A run, task, step or approval status as a coloured label (live ones with a pulse). */
export function StatusBadge({ status }: { status: string }) {
  return (
    <span className={`status-badge status-${status}`} data-status={status}>
      <Badge tone={statusTone(status)}>{label(status)}</Badge>
    </span>
  );
}
