import { useQuery } from '@tanstack/react-query';
import { COUNTS_POLL_MS, inboxApi, inboxKeys, type InboxCounts } from './api';

/**
 * What waits in the inbox (`GET /inbox/counts`: one statement on the server), looked at again
 * every COUNTS_POLL_MS while the tab is visible and on focus. The navigation badge shows
 * `attention`; the inbox's tabs show the rest. Pages that read or close items invalidate ['inbox'].
 */
export function useInboxCounts(enabled = true): InboxCounts | undefined {
  return useQuery({
    queryKey: inboxKeys.counts,
    queryFn: ({ signal }) => inboxApi.counts(signal),
    refetchInterval: COUNTS_POLL_MS,
    refetchIntervalInBackground: false,
    refetchOnWindowFocus: true,
    enabled,
  }).data;
}
