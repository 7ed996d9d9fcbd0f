import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { Link } from 'react-router';
import { sendMessageBody } from '@server/conversations/dto';
import { errorMessage, isApiError } from '../../api/errors';
import { useSession } from '../../auth/session';
import { Button } from '../../components/button';
import { ErrorState, Loading } from '../../components/states';
import { AgentAvatar } from './agent-avatar';
import { displayUsd } from '@server/billing/money';
import { chatApi, chatKeys, streamReply, type Agent, type Conversation } from './api';
import { Markdown } from './markdown';
import { ReplyFailure, type RunFailure } from './reply-failure';
import type { SseEvent } from './sse';
import { toTurns, type ToolCallView, type Turn } from './thread-model';
import './chat.css';

/** A reply being streamed: what was sent, the text so far and the tool calls seen. */
interface Live {
  userText: string | null;
  /** Stored messages after this seq are hidden while streaming (the ones this send or regenerate replaces). */
  hideAfter: number;
  text: string;
  tools: ToolCallView[];
  runId: string | null;
}

export interface ChatThreadProps {
  agentId: string;
  agent: Agent | undefined;
  /** Null: a new conversation, created with the first message. */
  conversationId: string | null;
  /** Called when the first message created the conversation. */
  onConversation: (conversation: Conversation) => void;
  /** The conversation no longer exists (deleted elsewhere). */
  onMissing?: () => void;
  /** Smaller chrome, for the floating window. */
  compact?: boolean;
  /** Focus the message field when the thread opens. */
  autoFocus?: boolean;
}

/**
 * One conversation with an agent: the messages (Markdown, tool-call cards, cost per reply),
 * the reply streaming in as it is written, and the composer. Used by the full-page chat and by
 * the floating chat window.
 */
export function ChatThread({ agentId, agent, conversationId, onConversation, onMissing, compact = false, autoFocus = false }: ChatThreadProps) {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const [live, setLive] = useState<Live | null>(null);
  const [error, setError] = useState<string | null>(null);
  /** The last reply's run failed (e.g. none of the agent's models could answer): its error, and the run. */
  const [failure, setFailure] = useState<{ error: RunFailure; runId: string | null } | null>(null);
  const [draft, setDraft] = useState('');
  const scroller = useRef<HTMLDivElement>(null);
  const abort = useRef<AbortController | null>(null);
  const inputId = useId();
  const agentName = agent?.name ?? 'the agent';

  const messages = useQuery({
    queryKey: chatKeys.messages(conversationId ?? 'new'),
    queryFn: ({ signal }) => chatApi.messages(conversationId!, signal),
    enabled: conversationId !== null,
  });
  const waiting = useQuery({
    queryKey: chatKeys.waiting(conversationId ?? 'new'),
    queryFn: ({ signal }) => chatApi.waitingRuns(conversationId!, signal),
    enabled: conversationId !== null,
  });

  const missing = isApiError(messages.error) && messages.error.status === 404;
  useEffect(() => {
    if (missing) onMissing?.();
  }, [missing, onMissing]);

  // Leaving the thread stops reading the stream (the run goes on on the server).
  useEffect(() => () => abort.current?.abort(), []);

  const turns = toTurns(messages.data?.items ?? []).filter((t) => !live || t.seq <= live.hideAfter);
  const lastTurn = turns.at(-1);

  // Follow the conversation as it grows.
  const liveLength = live ? live.text.length + live.tools.length : -1;
  useEffect(() => {
    const el = scroller.current;
    if (el) el.scrollTop = el.scrollHeight;
  }, [turns.length, liveLength, waiting.data?.length]);

  const run = async (input: { content: string } | { regenerate: true }) => {
    setError(null);
    setFailure(null);
    const stored = messages.data?.items ?? [];
    const lastUserSeq = [...stored].reverse().find((m) => m.role === 'user')?.seq ?? 0;
    const hideAfter = 'content' in input ? (stored.at(-1)?.seq ?? 0) : lastUserSeq;
    setLive({ userText: 'content' in input ? input.content : null, hideAfter, text: '', tools: [], runId: null });
    const controller = new AbortController();
    abort.current = controller;
    let id = conversationId;
    try {
      if (!id) {
        const created = await chatApi.create(agentId);
        id = created.id;
        queryClient.setQueryData(chatKeys.messages(id), { items: [], total: 0 });
        onConversation(created);
      }
      // Filled in by the stream's callback: the run, and how it ended.
      const seen: { runId: string | null; end: { status?: unknown; error?: RunFailure | null } | null } = { runId: null, end: null };
      await streamReply(
        id,
        input,
        (e) => {
          if (e.event === 'run.started') seen.runId = String((e.data as { runId?: unknown }).runId ?? '') || null;
          if (e.event === 'run.finished') seen.end = e.data as typeof seen.end;
          setLive((l) => (l ? apply(l, e) : l));
        },
        controller.signal,
      );
      if (seen.end?.status === 'failed') setFailure({ error: seen.end.error ?? { code: 'internal_error', category: 'system', message: 'The reply failed.' }, runId: seen.runId });
    } catch (err) {
      if ((err as Error).name === 'AbortError') return;
      setError(errorMessage(err));
      if ('content' in input) setDraft((d) => d || input.content);
    }
    if (id) {
      await Promise.all([
        queryClient.invalidateQueries({ queryKey: chatKeys.messages(id) }),
        queryClient.invalidateQueries({ queryKey: chatKeys.waiting(id) }),
        queryClient.invalidateQueries({ queryKey: chatKeys.conversations }),
      ]);
    }
    if (abort.current === controller) abort.current = null;
    setLive(null);
  };

  const send = (e?: FormEvent) => {
    e?.preventDefault();
    if (live) return;
    const parsed = sendMessageBody.safeParse({ content: draft });
    if (!parsed.success) return;
    setDraft('');
    void run({ content: parsed.data.content });
  };

  const onKeyDown = (e: KeyboardEvent<HTMLTextAreaElement>) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.nativeEvent.isComposing) {
      e.preventDefault();
      send();
    }
  };

  const canSend = can('member') && agent?.status !== 'paused' && !agent?.deletedAt;
  const empty = !live && turns.length === 0 && !(conversationId && messages.isPending);

  return (
    <div className={`chat-thread${compact ? ' chat-thread-compact' : ''}`}>
      <div ref={scroller} className="chat-messages" role="log" aria-label={`Conversation with ${agentName}`} aria-busy={live ? true : undefined} tabIndex={0}>
        {conversationId && messages.isPending && <Loading label="Loading messages…" />}
        {messages.isError && !missing && <ErrorState error={messages.error} onRetry={() => void messages.refetch()} />}
        {empty && (
          <div className="chat-empty">
            {agent && <AgentAvatar id={agent.id} name={agent.name} size={48} />}
            <p>
              Start a conversation with <strong>{agentName}</strong>.
            </p>
            {agent?.description && <p className="muted small">{agent.description}</p>}
          </div>
        )}
        {turns.map((t) => (
          <TurnView
            key={t.key}
            turn={t}
            agent={agent}
            agentId={agentId}
            onRegenerate={t === lastTurn && t.role === 'assistant' && !live && canSend ? () => void run({ regenerate: true }) : undefined}
          />
        ))}
        {live?.userText && <TurnView turn={{ key: 'live-user', role: 'user', text: live.userText, tools: [], runId: null, costMicros: null, seq: 0 }} agent={agent} agentId={agentId} />}
        {live && (live.text || live.tools.length > 0) && (
          <TurnView turn={{ key: 'live', role: 'assistant', text: live.text, tools: live.tools, runId: live.runId, costMicros: null, seq: 0 }} agent={agent} agentId={agentId} streaming />
        )}
        {live && !live.text && !live.tools.some((t) => t.status === 'running') && (
          <div className="chat-typing" role="status">
            <span className="chat-typing-dots" aria-hidden="true">
              <span />
              <span />
              <span />
            </span>
            <span className="visually-hidden">{agentName} is typing…</span>
          </div>
        )}
        {!live &&
          waiting.data?.map((r) => (
            <div key={r.id} className="chat-notice notice" role="status">
              This reply is waiting for approval of a tool call. <Link to={`/runs/${r.id}`}>Review the run</Link>
            </div>
          ))}
        {error && (
          <div className="form-error chat-error" role="alert">
            {error}
          </div>
        )}
        {failure && !live && <ReplyFailure error={failure.error} runId={failure.runId} agentName={agentName} isAdmin={can('admin')} />}
      </div>

      {canSend ? (
        <form className="chat-composer" onSubmit={send}>
          <label htmlFor={inputId} className="visually-hidden">
            Message {agentName}
          </label>
          <textarea
            id={inputId}
            value={draft}
            onChange={(e) => setDraft(e.target.value)}
            onKeyDown={onKeyDown}
            placeholder={`Message ${agentName}…`}
            rows={compact ? 2 : 3}
            maxLength={100_000}
            autoFocus={autoFocus}
          />
          <Button type="submit" variant="primary" disabled={!draft.trim()} busy={!!live}>
            Send
          </Button>
        </form>
      ) : (
        <p className="chat-readonly muted small">
          {agent?.deletedAt
            ? 'This agent has been deleted; the conversation is read-only.'
            : agent?.status === 'paused'
              ? `${agentName} is paused; enable it on the Agents page to chat.`
              : 'Your role can read conversations but not send messages.'}
        </p>
      )}
    </div>
  );
}

/** Applies one streamed event to the reply being shown. */
function apply(l: Live, e: SseEvent): Live {
  const d = (e.data ?? {}) as Record<string, unknown>;
  switch (e.event) {
    case 'run.started':
      return { ...l, runId: typeof d.runId === 'string' ? d.runId : l.runId };
    case 'text.delta':
      return { ...l, text: l.text + String(d.text ?? '') };
    case 'step.started':
      if (d.kind === 'tool_call') return { ...l, tools: [...l.tools, { id: String(d.stepKey), name: String(d.toolName ?? 'tool'), args: d.args, status: 'running' }] };
      // A later model call after tools: its text is a new paragraph.
      if (d.kind === 'model_call' && d.purpose !== 'summary' && l.text && !l.text.endsWith('\n\n')) return { ...l, text: `${l.text}\n\n` };
      return l;
    case 'step.finished':
      if (d.kind !== 'tool_call') return l;
      return { ...l, tools: l.tools.map((t) => (t.id === d.stepKey ? { ...t, output: d.output, status: d.status === 'succeeded' ? 'done' : 'error' } : t)) };
    case 'approval.requested': {
      const has = l.tools.some((t) => t.id === d.stepKey);
      const waitingCall: ToolCallView = { id: String(d.stepKey), name: String(d.toolName ?? 'tool'), args: d.args, status: 'waiting' };
      return { ...l, tools: has ? l.tools.map((t) => (t.id === d.stepKey ? { ...t, status: 'waiting' } : t)) : [...l.tools, waitingCall] };
    }
    default:
      return l;
  }
}

function TurnView({ turn, agent, agentId, streaming = false, onRegenerate }: { turn: Turn; agent: Agent | undefined; agentId: string; streaming?: boolean; onRegenerate?: () => void }) {
  const [copied, setCopied] = useState(false);
  if (turn.role === 'user') {
    return (
      <div className="chat-turn chat-turn-user">
        <span className="visually-hidden">You said:</span>
        <div className="chat-bubble chat-bubble-user">{turn.text}</div>
      </div>
    );
  }
  const name = agent?.name ?? '…';
  return (
    <article className="chat-turn chat-turn-agent" aria-label={`${name}${streaming ? ' (writing)' : ''}`}>
      <AgentAvatar id={agent?.id ?? agentId} name={agent?.name} size={28} />
      <div className="chat-turn-body">
        {turn.tools.map((t) => (
          <ToolCard key={t.id} call={t} runId={turn.runId} />
        ))}
        {turn.text && (
          <div className="chat-bubble chat-bubble-agent">
            <Markdown text={turn.text} />
          </div>
        )}
        {!streaming && (
          <div className="chat-meta">
            {turn.costMicros !== null && (
              <span className="chat-cost" title={`${turn.costMicros} micro-dollars`}>
                Cost {displayUsd(turn.costMicros)}
              </span>
            )}
            {turn.runId && (
              <Link to={`/runs/${turn.runId}`} className="chat-meta-link">
                Run details
              </Link>
            )}
            {turn.text && (
              <button
                type="button"
                className="chat-meta-button"
                onClick={() => {
                  void navigator.clipboard?.writeText(turn.text).then(() => {
                    setCopied(true);
                    setTimeout(() => setCopied(false), 1500);
                  });
                }}
              >
                {copied ? 'Copied' : 'Copy'}
              </button>
            )}
            {onRegenerate && (
              <button type="button" className="chat-meta-button" onClick={onRegenerate}>
                Regenerate
              </button>
            )}
          </div>
        )}
      </div>
    </article>
  );
}

const STATUS_LABEL: Record<ToolCallView['status'], string> = { running: 'running…', done: 'done', error: 'failed', waiting: 'waiting for approval' };

function ToolCard({ call, runId }: { call: ToolCallView; runId: string | null }) {
  return (
    <details className={`chat-tool chat-tool-${call.status}`}>
      <summary>
        <span className="chat-tool-name">
          Tool: <code>{call.name}</code>
        </span>
        <span className="chat-tool-status">{STATUS_LABEL[call.status]}</span>
      </summary>
      <div className="chat-tool-body">
        <h4>Arguments</h4>
        <pre>{pretty(call.args)}</pre>
        {call.status === 'waiting' ? (
          <p className="small">
            Waiting for approval.{' '}
            {runId ? <Link to={`/runs/${runId}`}>Review the run</Link> : <Link to="/approvals">Open approvals</Link>}
          </p>
        ) : call.output !== undefined ? (
          <>
            <h4>Result</h4>
            <pre>{pretty(call.output)}</pre>
          </>
        ) : null}
      </div>
    </details>
  );
}

const pretty = (v: unknown) => (v === undefined ? '—' : typeof v === 'string' ? v : JSON.stringify(v, null, 2));
