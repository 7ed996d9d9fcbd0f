import { useSyncExternalStore } from 'react';

/** One agent tab of the floating chat: the agent and the conversation open with it (null: a new one). */
export interface DockTab {
  agentId: string;
  conversationId: string | null;
}

export interface DockState {
  tabs: DockTab[];
  /** The agent whose window is open; null: all minimized. */
  open: string | null;
  /**
   * The person asked to keep the window open across pages ("Keep open"). Otherwise it is
   * minimized when they move to another page or reload, so it never sits over a page they did
   * not open it on.
   */
  pinned: boolean;
}

const EMPTY: DockState = { tabs: [], open: null, pinned: false };
const MAX_TABS = 6;
const storageKey = (orgId: string) => `troupe.chatDock.${orgId}`;

/**
 * The floating chat's tabs, per organization, kept in localStorage so they survive reloads
 * (and shared by every component through useSyncExternalStore).
 */
class DockStore {
  private states = new Map<string, DockState>();
  private listeners = new Set<() => void>();

  subscribe = (fn: () => void) => {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  };

  get(orgId: string): DockState {
    let s = this.states.get(orgId);
    if (!s) {
      s = EMPTY;
      try {
        const raw = localStorage.getItem(storageKey(orgId));
        if (raw) {
          const parsed = JSON.parse(raw) as DockState;
          if (Array.isArray(parsed.tabs)) {
            const pinned = parsed.pinned === true;
            // A reload starts minimized unless the window was kept open on purpose.
            s = { tabs: parsed.tabs.filter((t) => typeof t.agentId === 'string'), open: pinned ? (parsed.open ?? null) : null, pinned };
          }
        }
      } catch {
        // unreadable: start empty
      }
      this.states.set(orgId, s);
    }
    return s;
  }

  update(orgId: string, fn: (s: DockState) => DockState) {
    const next = fn(this.get(orgId));
    this.states.set(orgId, next);
    try {
      localStorage.setItem(storageKey(orgId), JSON.stringify(next));
    } catch {
      // storage full or disabled: keep it in memory
    }
    for (const l of this.listeners) l();
  }

  /** Opens (adding if needed) the tab of this agent. */
  openAgent(orgId: string, agentId: string, conversationId?: string | null) {
    this.update(orgId, (s) => {
      const existing = s.tabs.find((t) => t.agentId === agentId);
      const tab: DockTab = { agentId, conversationId: conversationId !== undefined ? conversationId : (existing?.conversationId ?? null) };
      const others = s.tabs.filter((t) => t.agentId !== agentId);
      return { ...s, tabs: existing ? s.tabs.map((t) => (t.agentId === agentId ? tab : t)) : [...others, tab].slice(-MAX_TABS), open: agentId };
    });
  }

  setConversation(orgId: string, agentId: string, conversationId: string | null) {
    this.update(orgId, (s) => ({ ...s, tabs: s.tabs.map((t) => (t.agentId === agentId ? { ...t, conversationId } : t)) }));
  }

  minimize(orgId: string) {
    this.update(orgId, (s) => ({ ...s, open: null }));
  }

  close(orgId: string, agentId: string) {
    this.update(orgId, (s) => ({ ...s, tabs: s.tabs.filter((t) => t.agentId !== agentId), open: s.open === agentId ? null : s.open }));
  }

  /** "Keep open": the window stays open when the person moves to another page (wide screens only). */
  setPinned(orgId: string, pinned: boolean) {
    this.update(orgId, (s) => ({ ...s, pinned }));
  }

  /** The person moved to another page: the window minimizes unless kept open (`force`: even then, e.g. on a phone, where it fills the screen). */
  navigated(orgId: string, force: boolean) {
    const s = this.get(orgId);
    if (s.open !== null && (force || !s.pinned)) this.minimize(orgId);
  }
}

export const dockStore = new DockStore();

/** The dock state of this organization. */
export function useDock(orgId: string): DockState {
  return useSyncExternalStore(dockStore.subscribe, () => dockStore.get(orgId));
}
