import { lazy, Suspense, useCallback, useEffect, useRef, useState } from 'react';
import { Link, useLocation } from 'react-router';
import { useSession } from '../../auth/session';
import { Icon } from '../../components/icons';
import { Loading } from '../../components/states';
import { AgentAvatar } from './agent-avatar';
import { AgentPicker } from './agent-picker';
import { dockStore, useDock } from './dock-store';
import { useChatAgent } from './use-agents';
import './chat.css';

/**
 * The floating chat at the bottom right of every signed-in page (except the full-page chat):
 * one round tab per agent you have opened, a button to start a chat with another agent, and a
 * 400×600 window with the open agent's conversation.
 *
 * It never covers the page's own buttons: the page gets room at the bottom for the tabs and, on
 * wide screens, room on the right for the open window (chat.css, `html[data-chat-dock]`); below
 * `SHEET_QUERY` the window is a full-screen sheet with minimize and close buttons instead. The
 * window minimizes when the person moves to another page or reloads, unless they chose "Keep
 * open" (wide screens), and Escape minimizes it.
 */
export function ChatDock() {
  const { org } = useSession();
  const location = useLocation();
  if (!org || location.pathname === '/chat' || location.pathname.startsWith('/chat/')) return null;
  return <Dock orgId={org.id} />;
}

// The thread (with the Markdown renderer and highlight.js, ~100 kB gzipped) loads when a window first opens, not with the tabs on every page.
const ChatThread = lazy(async () => ({ default: (await import('./chat-thread')).ChatThread }));

/** Narrower than this, the open window fills the screen (keep in step with chat.css). */
export const SHEET_QUERY = '(max-width: 1099px)';
const isSheet = () => typeof window.matchMedia === 'function' && window.matchMedia(SHEET_QUERY).matches;

function Dock({ orgId }: { orgId: string }) {
  const dock = useDock(orgId);
  const location = useLocation();
  const [picking, setPicking] = useState(false);
  // As on the chat page: the thread stays mounted while its first message creates the conversation.
  const [created, setCreated] = useState<string | null>(null);
  const pickerButton = useRef<HTMLButtonElement>(null);
  const aside = useRef<HTMLElement>(null);
  const chatWindow = useRef<HTMLElement>(null);
  const openTab = dock.tabs.find((t) => t.agentId === dock.open) ?? null;
  const agent = useChatAgent(openTab?.agentId);
  const agentName = agent?.name ?? '…';

  // Another page: the window minimizes, unless kept open on purpose (and never as a full-screen sheet).
  const lastPath = useRef(location.pathname);
  useEffect(() => {
    if (lastPath.current === location.pathname) return;
    lastPath.current = location.pathname;
    dockStore.navigated(orgId, isSheet());
    setPicking(false);
  }, [location.pathname, orgId]);

  // The page makes room for the dock (chat.css): for the tabs, and on wide screens for the open window.
  const open = openTab !== null;
  useEffect(() => {
    document.documentElement.dataset.chatDock = open ? 'open' : 'tabs';
    return () => {
      delete document.documentElement.dataset.chatDock;
    };
  }, [open]);

  const minimize = useCallback(() => {
    const agentId = dock.open;
    dockStore.minimize(orgId);
    // Focus goes back to the agent's tab, not to the top of the page.
    if (agentId) requestAnimationFrame(() => aside.current?.querySelector<HTMLElement>(`[data-agent-tab="${agentId}"]`)?.focus());
  }, [dock.open, orgId]);

  // Escape minimizes the window when the focus is in it (or it fills the screen).
  useEffect(() => {
    if (!open || picking) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== 'Escape' || e.defaultPrevented) return;
      if (!chatWindow.current?.contains(document.activeElement) && !isSheet()) return;
      e.preventDefault();
      minimize();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, [open, picking, minimize]);

  const picker = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!picking) return;
    // Focus the first agent once the list is there (it may still be loading).
    const timer = setInterval(() => {
      const first = picker.current?.querySelector<HTMLElement>('.chat-picker-item');
      if (first) {
        first.focus();
        clearInterval(timer);
      }
    }, 50);
    setTimeout(() => clearInterval(timer), 3000);
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape') {
        setPicking(false);
        pickerButton.current?.focus();
      }
    };
    document.addEventListener('keydown', onKey);
    return () => {
      clearInterval(timer);
      document.removeEventListener('keydown', onKey);
    };
  }, [picking]);

  const onMissing = useCallback(() => {
    if (openTab) dockStore.setConversation(orgId, openTab.agentId, null);
  }, [orgId, openTab]);

  return (
    <aside ref={aside} className="chat-dock" aria-label="Chat with agents">
      {openTab && (
        <section ref={chatWindow} className="chat-window" aria-label={`Chat with ${agentName}`}>
          <header className="chat-window-header">
            <AgentAvatar id={openTab.agentId} name={agent?.name} size={28} />
            <h2 className="chat-window-title">{agentName}</h2>
            <button
              type="button"
              className="btn btn-ghost btn-icon chat-window-pin"
              aria-pressed={dock.pinned}
              title={dock.pinned ? 'Kept open on every page' : 'Keep open on every page'}
              onClick={() => dockStore.setPinned(orgId, !dock.pinned)}
            >
              <PinGlyph filled={dock.pinned} />
              <span className="visually-hidden">Keep open on every page</span>
            </button>
            <button type="button" className="btn btn-ghost btn-icon" title="New conversation" onClick={() => dockStore.setConversation(orgId, openTab.agentId, null)}>
              <Icon name="plus" size={18} />
              <span className="visually-hidden">New conversation</span>
            </button>
            <Link
              className="btn btn-ghost chat-window-full"
              to={openTab.conversationId ? `/chat/${openTab.conversationId}` : `/chat?agentId=${openTab.agentId}`}
              onClick={() => dockStore.minimize(orgId)}
            >
              Full page
            </Link>
            <button type="button" className="btn btn-ghost btn-icon" title="Minimize (Esc)" onClick={minimize}>
              <span aria-hidden="true" className="chat-minimize-glyph">–</span>
              <span className="visually-hidden">Minimize chat</span>
            </button>
            <button
              type="button"
              className="btn btn-ghost btn-icon"
              onClick={() => {
                dockStore.close(orgId, openTab.agentId);
                pickerButton.current?.focus();
              }}
            >
              <Icon name="close" size={18} />
              <span className="visually-hidden">Close chat with {agentName}</span>
            </button>
          </header>
          <Suspense fallback={<Loading label="Loading the chat…" />}>
            <ChatThread
              key={`${openTab.agentId}:${openTab.conversationId && openTab.conversationId !== created ? openTab.conversationId : 'new'}`}
              compact
              autoFocus
              agentId={openTab.agentId}
              agent={agent}
              conversationId={openTab.conversationId}
              onConversation={(c) => {
                setCreated(c.id);
                dockStore.setConversation(orgId, openTab.agentId, c.id);
              }}
              onMissing={onMissing}
            />
          </Suspense>
        </section>
      )}

      {picking && (
        <div ref={picker} className="chat-dock-picker" role="dialog" aria-label="Start a chat">
          <div className="chat-dock-picker-header">
            <h2>Chat with…</h2>
            <button
              type="button"
              className="btn btn-ghost btn-icon"
              onClick={() => {
                setPicking(false);
                pickerButton.current?.focus();
              }}
            >
              <Icon name="close" size={18} />
              <span className="visually-hidden">Close agent list</span>
            </button>
          </div>
          <AgentPicker
            label="Agents"
            onPick={(a) => {
              setPicking(false);
              dockStore.openAgent(orgId, a.id);
            }}
          />
        </div>
      )}

      <ul className="chat-tabs" aria-label="Agent chats">
        {dock.tabs.map((t) => (
          <DockTabButton key={t.agentId} agentId={t.agentId} isOpen={dock.open === t.agentId} onToggle={(isOpen) => (isOpen ? minimize() : dockStore.openAgent(orgId, t.agentId))} />
        ))}
        <li>
          <button
            ref={pickerButton}
            type="button"
            className="chat-tab chat-tab-new"
            aria-expanded={picking}
            title="Start a chat"
            onClick={() => setPicking((p) => !p)}
          >
            <Icon name={dock.tabs.length ? 'plus' : 'chat'} size={22} />
            <span className="visually-hidden">Start a chat</span>
          </button>
        </li>
      </ul>
    </aside>
  );
}

/** One agent's round tab: its initials, and its name for screen readers and as a tooltip. */
function DockTabButton({ agentId, isOpen, onToggle }: { agentId: string; isOpen: boolean; onToggle: (isOpen: boolean) => void }) {
  const agent = useChatAgent(agentId);
  const name = agent?.name ?? '…';
  return (
    <li>
      <button type="button" className={`chat-tab${isOpen ? ' chat-tab-open' : ''}`} data-agent-tab={agentId} aria-pressed={isOpen} title={name} onClick={() => onToggle(isOpen)}>
        <AgentAvatar id={agentId} name={agent?.name} size={44} />
        <span className="visually-hidden">Chat with {name}</span>
      </button>
    </li>
  );
}

/** A push pin; filled while the window is kept open. */
function PinGlyph({ filled }: { filled: boolean }) {
  return (
    <svg width={18} height={18} viewBox="0 0 24 24" aria-hidden="true" fill={filled ? 'currentColor' : 'none'} stroke="currentColor" strokeWidth={2} strokeLinecap="round" strokeLinejoin="round">
      <path d="M9 4h6l-1 6 4 4H6l4-4zM12 14v6" />
    </svg>
  );
}
