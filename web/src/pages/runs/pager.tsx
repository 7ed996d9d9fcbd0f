import { Button } from '../../components/button';

/**
 * "21–40 of 95" with previous and next; offset-based. A list that counts up to a cap (`exact`
 * false: `total` is the cap + 1) says "of more than 10,000" and offers Next while `more` says so.
 */
export function Pager({
  offset,
  limit,
  total,
  onChange,
  label,
  exact = true,
  more = false,
}: {
  offset: number;
  limit: number;
  total: number;
  onChange: (offset: number) => void;
  label: string;
  exact?: boolean;
  more?: boolean;
}) {
  if (exact && total <= limit && offset === 0) return null;
  const from = total === 0 ? 0 : offset + 1;
  const to = exact ? Math.min(offset + limit, total) : offset + limit;
  return (
    <nav className="work-pager" aria-label={label}>
      <span className="muted small" aria-live="polite">
        {from}–{to} of {exact ? total : `more than ${(total - 1).toLocaleString('en-US')}`}
      </span>
      <Button onClick={() => onChange(Math.max(0, offset - limit))} disabled={offset === 0}>
        Previous
      </Button>
      <Button onClick={() => onChange(offset + limit)} disabled={exact ? offset + limit >= total : !more}>
        Next
      </Button>
    </nav>
  );
}
