import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useCallback, useState } from 'react';
import { Link, NavLink, useNavigate, useParams, useSearchParams } from 'react-router';
import { renameConversationBody } from '@server/conversations/dto';
import { errorMessage } from '../../api/errors';
import { useSession } from '../../auth/session';
import { Button } from '../../components/button';
import { Dialog } from '../../components/dialog';
import { FormError, TextField } from '../../components/fields';
import { Icon } from '../../components/icons';
import { usePageTitle } from '../../components/page-header';
import { EmptyState, QueryView } from '../../components/states';
import { useZodForm } from '../../components/use-zod-form';
import { AgentAvatar } from './agent-avatar';
import { AgentPicker } from './agent-picker';
import { chatApi, chatKeys, type Conversation } from './api';
import { ChatThread } from './chat-thread';
import { useChatAgent } from './use-agents';
import './chat.css';

/**
 * The full-page chat: your conversations on the left (agent, title; rename, delete), the open
 * one on the right. `/chat/:conversationId` opens one; `/chat?agentId=` starts a new one with
 * that agent (created when the first message is sent).
 */
export function ChatPage() {
  const { conversationId = null } = useParams();
  const [params] = useSearchParams();
  const agentParam = params.get('agentId');
  const navigate = useNavigate();
  const [picking, setPicking] = useState(false);
  usePageTitle('Chat');

  const conversations = useQuery({ queryKey: chatKeys.conversations, queryFn: ({ signal }) => chatApi.conversations(signal) });
  const listed = conversations.data?.items.find((c) => c.id === conversationId);
  const single = useQuery({
    queryKey: ['chat', 'conversation', conversationId],
    queryFn: ({ signal }) => chatApi.conversation(conversationId!, signal),
    enabled: conversationId !== null && !listed && conversations.isSuccess,
  });
  const current = listed ?? single.data;
  const agentId = current?.agentId ?? (conversationId ? null : agentParam);
  const agent = useChatAgent(agentId);
  const showThread = conversationId !== null || agentParam !== null;

  const queryClient = useQueryClient();
  // The thread stays mounted when its first message creates the conversation (its reply is
  // streaming); opening any other conversation mounts a fresh one.
  const [created, setCreated] = useState<string | null>(null);
  const threadKey = `${agentId}:${conversationId && conversationId !== created ? conversationId : 'new'}`;
  const onConversation = useCallback(
    (c: Conversation) => {
      setCreated(c.id);
      // Known before the list is fetched again, so the thread (and its stream) stays mounted.
      queryClient.setQueryData(['chat', 'conversation', c.id], c);
      void navigate(`/chat/${c.id}`, { replace: true });
    },
    [navigate, queryClient],
  );
  const onMissing = useCallback(() => void navigate('/chat', { replace: true }), [navigate]);

  return (
    <div className={`chat-page${showThread ? ' chat-page-thread' : ''}`}>
      <h1 className="visually-hidden">Chat</h1>
      <section className="chat-sidebar" aria-labelledby="chat-list-heading">
        <div className="chat-sidebar-header">
          <h2 id="chat-list-heading">Conversations</h2>
          <Button variant="primary" onClick={() => setPicking(true)}>
            <Icon name="plus" size={18} />
            New chat
          </Button>
        </div>
        <QueryView
          query={conversations}
          loadingLabel="Loading conversations…"
          isEmpty={(d) => d.items.length === 0}
          empty={<p className="chat-list-empty muted">No conversations yet. Start one with “New chat”.</p>}
        >
          {(data) => (
            <ul className="chat-list" aria-label="Your conversations">
              {data.items.map((c) => (
                <ConversationItem key={c.id} conversation={c} active={c.id === conversationId} />
              ))}
            </ul>
          )}
        </QueryView>
      </section>

      <section className="chat-main" aria-label={agent ? `Conversation with ${agent.name}` : 'Conversation'}>
        {showThread ? (
          <>
            <header className="chat-main-header">
              <Link to="/chat" className="btn btn-ghost chat-back">
                ← <span>Conversations</span>
              </Link>
              {agentId && <AgentAvatar id={agentId} name={agent?.name} size={32} />}
              <div className="chat-main-title">
                <h2>{current?.title ?? (conversationId ? '…' : 'New conversation')}</h2>
                <span className="muted small">{agent?.name ?? (agentId ? '…' : '')}</span>
              </div>
            </header>
            {single.isError ? (
              <EmptyState title="Conversation not found" action={<Link to="/chat">Back to your conversations</Link>}>
                <p>{errorMessage(single.error)}</p>
              </EmptyState>
            ) : agentId ? (
              <ChatThread key={threadKey} agentId={agentId} agent={agent} conversationId={conversationId} onConversation={onConversation} onMissing={onMissing} />
            ) : null}
          </>
        ) : (
          <EmptyState title="Chat with your agents" action={<Button variant="primary" onClick={() => setPicking(true)}>Start a chat</Button>}>
            <p>Pick a conversation on the left, or start a new one with any agent.</p>
          </EmptyState>
        )}
      </section>

      <Dialog open={picking} onClose={() => setPicking(false)} title="New chat">
        <AgentPicker
          onPick={(a) => {
            setPicking(false);
            void navigate(`/chat?agentId=${a.id}`);
          }}
        />
        <div className="form-actions">
          <Button onClick={() => setPicking(false)}>Cancel</Button>
        </div>
      </Dialog>
    </div>
  );
}

function ConversationItem({ conversation: c, active }: { conversation: Conversation; active: boolean }) {
  const { can } = useSession();
  const agent = useChatAgent(c.agentId);
  const [dialog, setDialog] = useState<'rename' | 'delete' | null>(null);
  const when = c.lastMessageAt ?? c.createdAt;
  return (
    <li className={`chat-list-item${active ? ' chat-list-item-active' : ''}`}>
      <NavLink to={`/chat/${c.id}`} className="chat-list-link" aria-current={active ? 'page' : undefined}>
        <AgentAvatar id={c.agentId} name={agent?.name} size={32} />
        <span className="chat-list-text">
          <span className="chat-list-title">{c.title}</span>
          <span className="muted small">
            {agent?.name ?? '…'} · <time dateTime={when}>{formatWhen(when)}</time>
          </span>
        </span>
      </NavLink>
      {can('member') && (
        <span className="chat-list-actions">
          <button type="button" className="chat-meta-button" onClick={() => setDialog('rename')}>
            Rename<span className="visually-hidden"> {c.title}</span>
          </button>
          <button type="button" className="chat-meta-button chat-danger" onClick={() => setDialog('delete')}>
            Delete<span className="visually-hidden"> {c.title}</span>
          </button>
        </span>
      )}
      <Dialog open={dialog === 'rename'} onClose={() => setDialog(null)} title="Rename conversation">
        <RenameForm conversation={c} onDone={() => setDialog(null)} />
      </Dialog>
      <Dialog open={dialog === 'delete'} onClose={() => setDialog(null)} title="Delete conversation?">
        <DeleteConfirm conversation={c} active={active} onDone={() => setDialog(null)} />
      </Dialog>
    </li>
  );
}

function RenameForm({ conversation, onDone }: { conversation: Conversation; onDone: () => void }) {
  const queryClient = useQueryClient();
  const form = useZodForm({
    schema: renameConversationBody,
    initial: { title: conversation.title },
    idPrefix: `rename-${conversation.id}`,
    submit: (body) => chatApi.rename(conversation.id, body.title),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: chatKeys.all });
      onDone();
    },
  });
  return (
    <form onSubmit={form.handleSubmit} noValidate className="stack">
      <TextField label="Title" required autoFocus maxLength={200} {...form.field('title')} />
      <FormError message={form.formError} />
      <div className="form-actions">
        <Button onClick={onDone}>Cancel</Button>
        <Button type="submit" variant="primary" busy={form.submitting}>
          Save
        </Button>
      </div>
    </form>
  );
}

function DeleteConfirm({ conversation, active, onDone }: { conversation: Conversation; active: boolean; onDone: () => void }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const remove = useMutation({
    mutationFn: () => chatApi.remove(conversation.id),
    onSuccess: () => {
      onDone();
      if (active) void navigate('/chat', { replace: true });
      queryClient.setQueryData<{ items: Conversation[] }>(chatKeys.conversations, (d) => (d ? { ...d, items: d.items.filter((c) => c.id !== conversation.id) } : d));
      void queryClient.invalidateQueries({ queryKey: chatKeys.conversations });
    },
  });
  return (
    <div className="stack">
      <p>
        “{conversation.title}” and its {conversation.messageCount} messages will be deleted. This cannot be undone.
      </p>
      <FormError message={remove.error ? errorMessage(remove.error) : undefined} />
      <div className="form-actions">
        <Button onClick={onDone}>Cancel</Button>
        <Button variant="danger" busy={remove.isPending} onClick={() => remove.mutate()}>
          Delete
        </Button>
      </div>
    </div>
  );
}

function formatWhen(iso: string): string {
  const d = new Date(iso);
  const now = new Date();
  if (d.toDateString() === now.toDateString()) return d.toLocaleTimeString(undefined, { hour: '2-digit', minute: '2-digit' });
  return d.toLocaleDateString(undefined, { month: 'short', day: 'numeric', ...(d.getFullYear() !== now.getFullYear() ? { year: 'numeric' } : {}) });
}
