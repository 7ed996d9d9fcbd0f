import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import type { Page } from '../../api/types';
import { PENDING_POLL_MS } from '../../pages/approvals/api';

/**
 * How many tool calls wait for a person in the current organization (the badge on "Approvals").
 * Looked at every few seconds while the tab is visible (TanStack Query pauses the interval in a
 * hidden tab and refetches on focus), so a new call shows within PENDING_POLL_MS: one indexed
 * count per tab. Pages that decide approvals invalidate `['approvals']` to update it at once.
 */
export function usePendingApprovalCount(enabled: boolean): number | undefined {
  const query = useQuery({
    queryKey: ['approvals', 'pending-count'],
    queryFn: ({ signal }) => api.get<Page<unknown>>('/approvals', { query: { status: 'pending', limit: 1 }, signal }),
    refetchInterval: PENDING_POLL_MS,
    refetchIntervalInBackground: false,
    refetchOnWindowFocus: true,
    enabled,
    select: (page) => page.total,
  });
  return query.data;
}
