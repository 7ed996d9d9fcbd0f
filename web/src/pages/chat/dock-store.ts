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
}

const EMPTY: DockState = { tabs: [], open: null };
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
          if (Array.isArray(parsed.tabs)) s = { tabs: parsed.tabs.filter((t) => typeof t.agentId === 'string'), open: parsed.open ?? null };
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
      return { tabs: existing ? s.tabs.map((t) => (t.agentId === agentId ? tab : t)) : [...others, tab].slice(-MAX_TABS), open: agentId };
    });
  }

  setConversation(orgId: string, agentId: string, conversationId: string | null) {
    this.update(orgId, (s) => ({ ...s, tabs: s.tabs.map((t) => (t.agentId === agentId ? { ...t, conversationId } : t)) }));
  }

  minimize(orgId: string) {
    this.update(orgId, (s) => ({ ...s, open: null }));
  }

  close(orgId: string, agentId: string) {
    this.update(orgId, (s) => ({ tabs: s.tabs.filter((t) => t.agentId !== agentId), open: s.open === agentId ? null : s.open }));
  }
}

export const dockStore = new DockStore();

/** The dock state of this organization. */
export function useDock(orgId: string): DockState {
  return useSyncExternalStore(dockStore.subscribe, () => dockStore.get(orgId));
}
