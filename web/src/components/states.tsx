import type { UseQueryResult } from '@tanstack/react-query';
import type { ReactNode } from 'react';
import { errorMessage, isApiError } from '../api/errors';
import { Button } from './button';

/** A spinner with a label for screen readers (and, unless `quiet`, for everyone). */
export function Loading({ label = 'Loading…', quiet = false }: { label?: string; quiet?: boolean }) {
  return (
    <div className="loading" role="status" aria-live="polite">
      <span className="spinner" aria-hidden="true" />
      <span className={quiet ? 'visually-hidden' : undefined}>{label}</span>
    </div>
  );
}

/** While the whole app starts (lazy route code, the signed-in user). */
export function FullPageLoading() {
  return (
    <div className="full-page-center">
      <Loading />
    </div>
  );
}

/** Nothing here yet: say so, and what to do about it. */
export function EmptyState({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <div className="empty-state">
      <h2>{title}</h2>
      {children && <div className="empty-state-body">{children}</div>}
      {action && <div className="empty-state-action">{action}</div>}
    </div>
  );
}

/** A failed load, with the server's message and a way to try again. */
export function ErrorState({ error, onRetry, title = 'Could not load this' }: { error: unknown; onRetry?: () => void; title?: string }) {
  const requestId = isApiError(error) ? error.requestId : undefined;
  return (
    <div className="error-state" role="alert">
      <h2>{title}</h2>
      <p>{errorMessage(error)}</p>
      {requestId && <p className="muted small">Request id: {requestId}</p>}
      {onRetry && <Button onClick={onRetry}>Try again</Button>}
    </div>
  );
}

/**
 * Renders a query's three states: loading, error (with retry), and data, plus an empty state
 * when `isEmpty(data)`.
 *
 * ```tsx
 * <QueryView query={agents} isEmpty={(d) => d.items.length === 0} empty={<EmptyState title="No agents yet" />}>
 *   {(data) => <AgentGrid agents={data.items} />}
 * </QueryView>
 * ```
 */
export function QueryView<T>({
  query,
  children,
  isEmpty,
  empty,
  loadingLabel,
}: {
  query: UseQueryResult<T>;
  children: (data: T) => ReactNode;
  isEmpty?: (data: T) => boolean;
  empty?: ReactNode;
  loadingLabel?: string;
}) {
  if (query.isPending) return <Loading label={loadingLabel} />;
  // A failed background refetch keeps the data it had: the page (and any form on it, with what
  // the person typed) stays; only a query that never loaded shows the error.
  const data = query.data;
  if (data === undefined) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  if (isEmpty?.(data)) return <>{empty ?? <EmptyState title="Nothing here yet" />}</>;
  return <>{children(data)}</>;
}
