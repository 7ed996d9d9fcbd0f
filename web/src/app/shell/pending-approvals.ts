import { useQuery } from '@tanstack/react-query';
import { api } from '../../api/client';
import type { Page } from '../../api/types';

/**
 * How many tool calls wait for a person in the current organization (the badge on "Approvals").
 * Refreshed every 30 s; pages that decide approvals invalidate `['approvals']` to update it at once.
 */
export function usePendingApprovalCount(enabled: boolean): number | undefined {
  const query = useQuery({
    queryKey: ['approvals', 'pending-count'],
    queryFn: ({ signal }) => api.get<Page<unknown>>('/approvals', { query: { status: 'pending', limit: 1 }, signal }),
    refetchInterval: 30_000,
    enabled,
    select: (page) => page.total,
  });
  return query.data;
}
