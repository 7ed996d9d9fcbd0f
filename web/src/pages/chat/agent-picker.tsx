import { useEffect } from 'react';
import { Link } from 'react-router';
import { Loading, ErrorState } from '../../components/states';
import { AgentAvatar } from './agent-avatar';
import type { Agent } from './api';
import { useChatAgents } from './use-agents';

/** A list of agents to start a chat with (buttons, one per agent). */
export function AgentPicker({ onPick, label = 'Choose an agent' }: { onPick: (agent: Agent) => void; label?: string }) {
  const { query, available } = useChatAgents();
  // Opening the list looks again: an agent created a moment ago (elsewhere too) must be in it.
  const { refetch } = query;
  useEffect(() => void refetch(), [refetch]);
  if (query.isPending) return <Loading label="Loading agents…" />;
  if (query.isError) return <ErrorState error={query.error} onRetry={() => void query.refetch()} />;
  if (!available.length) {
    return (
      <p className="chat-picker-empty">
        No agents yet. <Link to="/agents">Create an agent</Link> to chat with it.
      </p>
    );
  }
  return (
    <ul className="chat-picker" aria-label={label}>
      {available.map((a) => (
        <li key={a.id}>
          <button type="button" className="chat-picker-item" onClick={() => onPick(a)}>
            <AgentAvatar id={a.id} name={a.name} size={32} />
            <span className="chat-picker-text">
              <span className="chat-picker-name">{a.name}</span>
              <span className="muted small">
                {a.status === 'paused' ? 'Paused · ' : ''}
                {a.role || a.model}
              </span>
            </span>
          </button>
        </li>
      ))}
    </ul>
  );
}
