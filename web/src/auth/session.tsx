import { useQuery, useQueryClient } from '@tanstack/react-query';
import { createContext, useCallback, useContext, useEffect, useMemo, useSyncExternalStore, type ReactNode } from 'react';
import { Navigate, useLocation, useNavigate } from 'react-router';
import { roleAtLeast } from '@server/shared/roles';
import { authApi } from '../api/auth';
import { sessionStore } from '../api/client';
import { isApiError } from '../api/errors';
import { queryKeys } from '../api/query-client';
import type { Organization, Role, TokenPair, User } from '../api/types';
import { ErrorState, FullPageLoading } from '../components/states';

/** Whether tokens are stored (signed in, as far as this browser knows). Re-renders on sign-in/out in any tab. */
export function useSignedIn(): boolean {
  return useSyncExternalStore(
    (l) => sessionStore.subscribe(l),
    () => sessionStore.get() !== null,
  );
}

/** The selected organization id of this tab. */
export function useOrgId(): string | null {
  return useSyncExternalStore(
    (l) => sessionStore.subscribe(l),
    () => sessionStore.orgId(),
  );
}

export interface SessionValue {
  user: User;
  organizations: Organization[];
  /** The organization this tab acts in; null when the person belongs to none. */
  org: Organization | null;
  /** Your role in `org`. */
  role: Role | null;
  /** Whether your role in the current organization is at least `min`. */
  can(min: Role): boolean;
  /** Whether you are an instance operator: you run the whole install (the run queue's switch). Not a role. */
  isOperator: boolean;
  switchOrg(orgId: string): void;
  signOut(): void;
}

const SessionContext = createContext<SessionValue | null>(null);

/** The signed-in person and the current organization; only inside <RequireSession>. */
export function useSession(): SessionValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession() outside <RequireSession>');
  return value;
}

/** Sign-in, sign-up, setup and sign-out, as the pages need them. */
export function useAuthActions() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();

  /** Stores the tokens of a new session (and its organization) and opens the app at `next`. */
  const startSession = useCallback(
    (tokens: TokenPair, options: { orgId?: string; next?: string | null } = {}) => {
      queryClient.clear();
      sessionStore.set(tokens);
      if (options.orgId) sessionStore.setOrgId(options.orgId);
      navigate(safeNext(options.next), { replace: true });
    },
    [queryClient, navigate],
  );

  const signOut = useCallback(() => {
    const session = sessionStore.get();
    sessionStore.clear('signed_out');
    queryClient.clear();
    navigate('/signin', { replace: true });
    // Ends the refresh family on the server; the page does not wait for it.
    if (session) void authApi.signOut(session.refreshToken).catch(() => {});
  }, [queryClient, navigate]);

  return { startSession, signOut };
}

/** Only same-site paths: `next=https://evil.example` must not send anyone away. */
export function safeNext(next: string | null | undefined): string {
  // `//host` and `/\host` both leave the site in a browser.
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}

/**
 * Gate of the signed-in app: without tokens, goes to the sign-in page (and back here after);
 * otherwise loads the person and their organizations, settles the current organization, and
 * provides {@link useSession} to everything inside.
 */
export function RequireSession({ children }: { children: ReactNode }) {
  const signedIn = useSignedIn();
  const location = useLocation();
  if (!signedIn) {
    // Signed out on purpose: the plain sign-in page. Otherwise come back here after signing in,
    // and if the server ended the session (refresh token expired or revoked), say so.
    if (sessionStore.endReason === 'signed_out') return <Navigate to="/signin" replace />;
    const next = location.pathname + location.search;
    const params = new URLSearchParams();
    if (next !== '/') params.set('next', next);
    if (sessionStore.endReason === 'expired') params.set('expired', '1');
    const qs = params.toString();
    return <Navigate to={`/signin${qs ? `?${qs}` : ''}`} replace />;
  }
  return <SessionLoader>{children}</SessionLoader>;
}

const meQuery = { queryKey: queryKeys.me, queryFn: authApi.me, staleTime: 60_000 };

function SessionLoader({ children }: { children: ReactNode }) {
  const me = useQuery(meQuery);
  if (me.isPending) return <FullPageLoading />;
  if (me.isError) {
    // A 401 has cleared the tokens: RequireSession is about to show the sign-in page.
    if (isApiError(me.error) && me.error.status === 401) return <FullPageLoading />;
    return (
      <div className="full-page-center">
        <ErrorState title="Could not load your account" error={me.error} onRetry={() => void me.refetch()} />
      </div>
    );
  }
  return <SessionProvider>{children}</SessionProvider>;
}

function SessionProvider({ children }: { children: ReactNode }) {
  const queryClient = useQueryClient();
  // Read here too (not passed down), so a render caused by an organization switch sees the
  // cache as it is now: an organization created a moment ago is already in it.
  const query = useQuery(meQuery);
  const stored = useOrgId();
  const { signOut } = useAuthActions();
  const organizations = query.data?.organizations;
  const org = organizations?.find((o) => o.id === stored) ?? organizations?.[0] ?? null;
  // The stored choice may be stale: an organization the person left, or another person's (the
  // last choice of this browser). Requests must not leave with it, so nothing renders until it
  // is settled on the organization shown, once the list is current.
  const settled = !org || org.id === stored;
  const fetching = query.isFetching;
  useEffect(() => {
    if (org && org.id !== stored && !fetching) sessionStore.setOrgId(org.id);
  }, [org, stored, fetching]);

  const switchOrg = useCallback(
    (orgId: string) => {
      if (orgId === sessionStore.orgId()) return;
      sessionStore.setOrgId(orgId);
      // Everything cached belongs to the previous organization: reset it (queries on screen
      // fetch again, now with the new X-Org-Id). The shell also remounts the page.
      void queryClient.resetQueries({ predicate: (q) => q.queryKey[0] !== queryKeys.me[0] });
    },
    [queryClient],
  );

  const value = useMemo<SessionValue | null>(
    () =>
      query.data
        ? {
            user: query.data.user,
            organizations: query.data.organizations,
            org,
            role: org?.role ?? null,
            can: (min) => !!org && roleAtLeast(org.role, min),
            isOperator: query.data.user.isOperator,
            switchOrg,
            signOut,
          }
        : null,
    [query.data, org, switchOrg, signOut],
  );
  // No data: the session just ended (the cache was cleared) and the sign-in page is on its way.
  if (!value || !settled) return <FullPageLoading />;
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

/** For sign-in and sign-up pages: a signed-in visitor goes straight to the app. */
export function PublicOnly({ children }: { children: ReactNode }) {
  const signedIn = useSignedIn();
  const location = useLocation();
  if (signedIn) return <Navigate to={safeNext(new URLSearchParams(location.search).get('next'))} replace />;
  return <>{children}</>;
}
