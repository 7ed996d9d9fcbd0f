import type { TokenPair } from './types';

/**
 * Where the dashboard keeps who is signed in (see docs/decisions.md, "Dashboard tokens"):
 * - the token pair in localStorage, so a reload or a new tab stays signed in, and every tab sees
 *   the pair another tab rotated (refresh tokens are single-use: a tab sending a stale one would
 *   end the session everywhere);
 * - the selected organization per tab (sessionStorage), with the last choice in localStorage as
 *   the default for new tabs, so switching in one tab never redirects another tab's requests.
 */
export interface StoredSession {
  accessToken: string;
  refreshToken: string;
  /** Epoch milliseconds when the access token expires. */
  accessExpiresAt: number;
}

const SESSION_KEY = 'troupe.session';
const ORG_KEY = 'troupe.orgId';

type Listener = () => void;

/** Storage that may be missing or throw (private modes, disabled storage): fall back to memory. */
function safeStorage(get: () => Storage): Pick<Storage, 'getItem' | 'setItem' | 'removeItem'> {
  const memory = new Map<string, string>();
  const storage = (() => {
    try {
      const s = get();
      s.setItem('troupe.probe', '1');
      s.removeItem('troupe.probe');
      return s;
    } catch {
      return null;
    }
  })();
  return {
    getItem: (k) => (storage ? storage.getItem(k) : (memory.get(k) ?? null)),
    setItem: (k, v) => (storage ? storage.setItem(k, v) : void memory.set(k, v)),
    removeItem: (k) => (storage ? storage.removeItem(k) : void memory.delete(k)),
  };
}

export class SessionStore {
  private readonly local = safeStorage(() => window.localStorage);
  private readonly tab = safeStorage(() => window.sessionStorage);
  private readonly listeners = new Set<Listener>();
  private cachedRaw: string | null = null;
  /**
   * How the last session in this tab ended, until the next sign-in: `signed_out` by the person,
   * `expired` when the server refused to refresh it. Null: no session ended here.
   */
  endReason: 'signed_out' | 'expired' | null = null;
  private cached: StoredSession | null = null;

  constructor() {
    // Another tab signed in, out, or rotated the tokens. (No window: unit tests under Node.)
    if (typeof window === 'undefined') return;
    window.addEventListener('storage', (e) => {
      if (e.key === SESSION_KEY || e.key === null) this.emit();
    });
  }

  /** The stored tokens, or null when signed out. Same object until the tokens change (for useSyncExternalStore). */
  get(): StoredSession | null {
    const raw = this.local.getItem(SESSION_KEY);
    if (raw !== this.cachedRaw) {
      this.cachedRaw = raw;
      this.cached = parseSession(raw);
    }
    return this.cached;
  }

  set(tokens: TokenPair): StoredSession {
    const session: StoredSession = {
      accessToken: tokens.accessToken,
      refreshToken: tokens.refreshToken,
      accessExpiresAt: Date.now() + tokens.expiresIn * 1000,
    };
    this.local.setItem(SESSION_KEY, JSON.stringify(session));
    this.endReason = null;
    this.emit();
    return session;
  }

  /** Forgets the tokens; `expired` when the server ended the session rather than the person. */
  clear(reason: 'signed_out' | 'expired' = 'signed_out'): void {
    if (this.local.getItem(SESSION_KEY) === null) return;
    this.endReason = reason;
    this.local.removeItem(SESSION_KEY);
    this.emit();
  }

  /** This tab's organization, else the one chosen last in any tab; null before the first choice. */
  orgId(): string | null {
    return this.tab.getItem(ORG_KEY) ?? this.local.getItem(ORG_KEY);
  }

  setOrgId(orgId: string): void {
    if (this.tab.getItem(ORG_KEY) === orgId && this.local.getItem(ORG_KEY) === orgId) return;
    this.tab.setItem(ORG_KEY, orgId);
    this.local.setItem(ORG_KEY, orgId);
    this.emit();
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private emit() {
    for (const l of this.listeners) l();
  }
}

function parseSession(raw: string | null): StoredSession | null {
  if (!raw) return null;
  try {
    const v = JSON.parse(raw) as Partial<StoredSession>;
    if (typeof v.accessToken === 'string' && typeof v.refreshToken === 'string' && typeof v.accessExpiresAt === 'number') {
      return { accessToken: v.accessToken, refreshToken: v.refreshToken, accessExpiresAt: v.accessExpiresAt };
    }
  } catch {
    // unreadable: treat as signed out
  }
  return null;
}
