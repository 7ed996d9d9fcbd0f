import { Button } from '../../components/button';

/** "21–40 of 95" with previous and next; offset-based. */
export function Pager({ offset, limit, total, onChange, label }: { offset: number; limit: number; total: number; onChange: (offset: number) => void; label: string }) {
  if (total <= limit && offset === 0) return null;
  const from = total === 0 ? 0 : offset + 1;
  const to = Math.min(offset + limit, total);
  return (
    <nav className="work-pager" aria-label={label}>
      <span className="muted small" aria-live="polite">
        {from}–{to} of {total}
      </span>
      <Button onClick={() => onChange(Math.max(0, offset - limit))} disabled={offset === 0}>
        Previous
      </Button>
      <Button onClick={() => onChange(offset + limit)} disabled={offset + limit >= total}>
        Next
      </Button>
    </nav>
  );
}
