import { QueryClient } from '@tanstack/react-query';
import { ApiError } from './errors';

/**
 * One QueryClient for the app. Errors the user can act on (4xx) are not retried; a network
 * failure or 5xx is retried twice. Data is fresh for 10 s, so moving between pages does not
 * refetch everything, and pages that must be live use `refetchInterval` or SSE.
 */
export function createQueryClient() {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        retry: (failures, err) => failures < 2 && !(err instanceof ApiError && err.status >= 400 && err.status < 500),
        refetchOnWindowFocus: true,
      },
      mutations: { retry: false },
    },
  });
}

/**
 * Query keys start with the area, so an area can invalidate everything it owns
 * (`queryClient.invalidateQueries({ queryKey: ['agents'] })`). The organization is not part of the
 * key: switching organizations clears the cache instead (see session.tsx).
 */
export const queryKeys = {
  me: ['me'] as const,
  setup: ['setup'] as const,
};
