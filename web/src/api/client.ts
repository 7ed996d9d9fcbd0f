import { ApiError, networkError, toApiError } from './errors';
import { SessionStore, type StoredSession } from './session-store';
import type { TokenPair } from './types';

export type QueryValue = string | number | boolean | null | undefined;

export interface RequestOptions {
  /** Query parameters; null and undefined are left out. */
  query?: Record<string, QueryValue>;
  /** JSON body. */
  body?: unknown;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Send the access token (default true). Public endpoints (sign-in, setup) pass false. */
  auth?: boolean;
}

/** Refresh this long before the access token expires, so a request never leaves with a dying token. */
const REFRESH_MARGIN_MS = 30_000;

/**
 * The dashboard's only way to the API (`/api/v1`):
 * - sends the access token, refreshing it first when it is about to expire, and once more after
 *   a 401 `invalid_token` (then retries the request once);
 * - sends `X-Org-Id` with the selected organization;
 * - turns every failure into an {@link ApiError} (problem+json parsed).
 *
 * When the session cannot be refreshed, the stored tokens are cleared: the app notices (it
 * subscribes to the store) and shows the sign-in page.
 */
export class ApiClient {
  private refreshing: Promise<string | null> | null = null;

  constructor(
    readonly session: SessionStore,
    readonly base = '/api/v1',
  ) {}

  get<T>(path: string, options?: Omit<RequestOptions, 'body'>) {
    return this.request<T>('GET', path, options);
  }
  post<T>(path: string, body?: unknown, options?: RequestOptions) {
    return this.request<T>('POST', path, { ...options, body });
  }
  put<T>(path: string, body?: unknown, options?: RequestOptions) {
    return this.request<T>('PUT', path, { ...options, body });
  }
  patch<T>(path: string, body?: unknown, options?: RequestOptions) {
    return this.request<T>('PATCH', path, { ...options, body });
  }
  delete<T = void>(path: string, options?: RequestOptions) {
    return this.request<T>('DELETE', path, options);
  }

  /** JSON in, JSON out (undefined for 204). Throws ApiError. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const res = await this.fetch(path, {
      method,
      signal: options.signal,
      headers: { accept: 'application/json', ...(options.body === undefined ? {} : { 'content-type': 'application/json' }), ...options.headers },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      query: options.query,
      auth: options.auth,
    });
    if (res.status === 204) return undefined as T;
    const text = await res.text();
    return (text ? JSON.parse(text) : undefined) as T;
  }

  /**
   * The raw response of an authenticated call, for what is not plain JSON: server-sent events
   * (`accept: text/event-stream`; EventSource cannot send the Authorization header), CSV
   * downloads. Throws ApiError for non-2xx answers, like `request`.
   */
  async fetch(path: string, init: RequestInit & { query?: Record<string, QueryValue>; auth?: boolean } = {}): Promise<Response> {
    const { query, auth = true, ...rest } = init;
    const url = this.url(path, query);
    const send = async (token: string | null) => {
      const headers = new Headers(rest.headers);
      if (token) headers.set('authorization', `Bearer ${token}`);
      const orgId = this.session.orgId();
      if (auth && orgId) headers.set('x-org-id', orgId);
      try {
        return await fetch(url, { ...rest, headers });
      } catch (err) {
        if ((err as Error).name === 'AbortError') throw err;
        throw networkError(err);
      }
    };

    const token = auth ? await this.accessToken() : null;
    let res = await send(token);
    if (res.status === 401 && token) {
      const problem = await toApiError(res.clone());
      if (problem.code === 'invalid_token') {
        const fresh = await this.refresh(token);
        if (fresh) res = await send(fresh);
      }
    }
    if (!res.ok) {
      const error = await toApiError(res);
      // A session the server no longer accepts: back to the sign-in page.
      if (error.status === 401 && auth && (error.code === 'invalid_token' || error.code === 'unauthorized')) this.session.clear('expired');
      throw error;
    }
    return res;
  }

  /** A valid access token (refreshed if it expires within 30 s), or null when signed out. */
  async accessToken(): Promise<string | null> {
    const s = this.session.get();
    if (!s) return null;
    if (s.accessExpiresAt - Date.now() > REFRESH_MARGIN_MS) return s.accessToken;
    return this.refresh(s.accessToken);
  }

  /**
   * Exchanges the refresh token for a new pair, once at a time: in this tab (one promise) and
   * across tabs (a Web Lock, where the browser has them: on HTTPS and localhost). Inside the lock
   * it re-reads the store, so a tab that waited uses the pair another tab just got instead of
   * sending the spent refresh token (which the server would take as a replay, ending the session).
   * `stale` is the access token that was refused or is expiring. Null: signed out.
   */
  refresh(stale: string): Promise<string | null> {
    this.refreshing ??= this.withLock(() => this.rotate(stale)).finally(() => {
      this.refreshing = null;
    });
    return this.refreshing;
  }

  private async rotate(stale: string): Promise<string | null> {
    const current = this.session.get();
    if (!current) return null;
    if (current.accessToken !== stale && fresh(current)) return current.accessToken;
    let res: Response;
    try {
      res = await fetch(this.url('/auth/refresh'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify({ refreshToken: current.refreshToken }),
      });
    } catch (err) {
      throw networkError(err);
    }
    if (res.ok) return this.session.set((await res.json()) as TokenPair).accessToken;
    if (res.status === 401 || res.status === 400) {
      // Without Web Locks another tab may have rotated meanwhile: use its pair if it did.
      const now = this.session.get();
      if (now && now.refreshToken !== current.refreshToken) return now.accessToken;
      this.session.clear('expired');
      return null;
    }
    throw await toApiError(res); // 429, 5xx: keep the session, let the caller retry later
  }

  private withLock<T>(fn: () => Promise<T>): Promise<T> {
    const locks = typeof navigator !== 'undefined' ? (navigator as Navigator & { locks?: LockManager }).locks : undefined;
    return locks ? (locks.request('troupe.refresh', fn) as Promise<T>) : fn();
  }

  private url(path: string, query?: Record<string, QueryValue>) {
    const qs = new URLSearchParams();
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== null) qs.set(k, String(v));
    const q = qs.toString();
    return `${this.base}${path}${q ? `?${q}` : ''}`;
  }
}

const fresh = (s: StoredSession) => s.accessExpiresAt - Date.now() > REFRESH_MARGIN_MS;

/** The one session store and client of the app. */
export const sessionStore = new SessionStore();
export const api = new ApiClient(sessionStore);

export { ApiError };
