import { useCallback, useEffect, useRef, useState } from 'react';
import { Link, useLocation } from 'react-router';
import { useSession } from '../../auth/session';
import { Icon } from '../../components/icons';
import { AgentAvatar } from './agent-avatar';
import { AgentPicker } from './agent-picker';
import { ChatThread } from './chat-thread';
import { dockStore, useDock } from './dock-store';
import { useChatAgents } from './use-agents';
import './chat.css';

/**
 * The floating chat at the bottom right of every signed-in page (except the full-page chat):
 * one round tab per agent you have opened, a button to start a chat with another agent, and a
 * 400×600 window (full screen on a phone) with the open agent's conversation.
 */
export function ChatDock() {
  const { org } = useSession();
  const location = useLocation();
  if (!org || location.pathname === '/chat' || location.pathname.startsWith('/chat/')) return null;
  return <Dock orgId={org.id} />;
}

function Dock({ orgId }: { orgId: string }) {
  const dock = useDock(orgId);
  const { byId } = useChatAgents();
  const [picking, setPicking] = useState(false);
  // As on the chat page: the thread stays mounted while its first message creates the conversation.
  const [created, setCreated] = useState<string | null>(null);
  const pickerButton = useRef<HTMLButtonElement>(null);
  const openTab = dock.tabs.find((t) => t.agentId === dock.open) ?? null;
  const agent = openTab ? byId.get(openTab.agentId) : undefined;

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
    <aside className="chat-dock" aria-label="Chat with agents">
      {openTab && (
        <section className="chat-window" aria-label={`Chat with ${agent?.name ?? 'agent'}`}>
          <header className="chat-window-header">
            <AgentAvatar id={openTab.agentId} name={agent?.name ?? '?'} size={28} />
            <h2 className="chat-window-title">{agent?.name ?? 'Agent'}</h2>
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
            <button type="button" className="btn btn-ghost btn-icon" onClick={() => dockStore.minimize(orgId)}>
              <span aria-hidden="true" className="chat-minimize-glyph">–</span>
              <span className="visually-hidden">Minimize chat</span>
            </button>
            <button type="button" className="btn btn-ghost btn-icon" onClick={() => dockStore.close(orgId, openTab.agentId)}>
              <Icon name="close" size={18} />
              <span className="visually-hidden">Close chat with {agent?.name ?? 'agent'}</span>
            </button>
          </header>
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
        {dock.tabs.map((t) => {
          const name = byId.get(t.agentId)?.name ?? 'Agent';
          const isOpen = dock.open === t.agentId;
          return (
            <li key={t.agentId}>
              <button
                type="button"
                className={`chat-tab${isOpen ? ' chat-tab-open' : ''}`}
                aria-pressed={isOpen}
                title={name}
                onClick={() => (isOpen ? dockStore.minimize(orgId) : dockStore.openAgent(orgId, t.agentId))}
              >
                <AgentAvatar id={t.agentId} name={name} size={44} />
                <span className="visually-hidden">Chat with {name}</span>
              </button>
            </li>
          );
        })}
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
