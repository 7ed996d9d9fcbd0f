import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type KeyboardEvent } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { isProvider, PROVIDERS } from '@server/models/providers';
import { errorMessage } from '../../api/errors';
import { useSession } from '../../auth/session';
import { Badge } from '../../components/badge';
import { Button } from '../../components/button';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { Breadcrumb, PageHeader } from '../../components/page-header';
import { ErrorState, Loading, QueryView } from '../../components/states';
import { StatusBadge } from './agents-page';
import { agentKeys, agentsApi, type Agent } from './api';
import { formatCount, formatDateTime, formatMicros, providerOf } from './format';
import { VersionHistory } from './version-history';
import './agents.css';

const TABS = [
  { id: 'overview', label: 'Overview' },
  { id: 'versions', label: 'Versions' },
  { id: 'prompt', label: 'System prompt' },
] as const;
type TabId = (typeof TABS)[number]['id'];

/** `/agents/:id`: the agent's figures and configuration, its version history and its system prompt. */
export function AgentPage() {
  const { id = '' } = useParams();
  const agent = useQuery({ queryKey: agentKeys.detail(id), queryFn: ({ signal }) => agentsApi.get(id, signal) });
  if (agent.isPending) return <Loading label="Loading the agent…" />;
  if (agent.isError) {
    return (
      <>
        <PageHeader title="Agent" />
        <ErrorState title="Could not load this agent" error={agent.error} onRetry={() => void agent.refetch()} />
        <p>
          <Link to="/agents">Back to agents</Link>
        </p>
      </>
    );
  }
  return <AgentDetail agent={agent.data} />;
}

function AgentDetail({ agent }: { agent: Agent }) {
  const { can } = useSession();
  const [params, setParams] = useSearchParams();
  const tab: TabId = TABS.some((t) => t.id === params.get('tab')) ? (params.get('tab') as TabId) : 'overview';
  const tabRefs = useRef<Record<string, HTMLButtonElement | null>>({});
  const select = (next: TabId, focus = false) => {
    setParams((p) => {
      const n = new URLSearchParams(p);
      if (next === 'overview') n.delete('tab');
      else n.set('tab', next);
      return n;
    });
    if (focus) tabRefs.current[next]?.focus();
  };
  // Arrow keys move between tabs (the ARIA tabs pattern).
  const onKey = (e: KeyboardEvent) => {
    const i = TABS.findIndex((t) => t.id === tab);
    const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    if (!step) return;
    e.preventDefault();
    select(TABS[(i + step + TABS.length) % TABS.length]!.id, true);
  };

  return (
    <>
      <Breadcrumb to="/agents">Agents</Breadcrumb>
      <PageHeader
        title={agent.name}
        description={
          <span className="agent-header-meta">
            <StatusBadge status={agent.status} /> <code>{agent.model}</code> <span className="muted">version {agent.version}</span>
          </span>
        }
        actions={
          <>
            <Link className="btn btn-primary" to={`/chat?agentId=${agent.id}`}>
              Chat
            </Link>
            <Link className="btn btn-secondary" to={`/runs?agentId=${agent.id}`}>
              Runs
            </Link>
            {can('admin') && (
              <Link className="btn btn-secondary" to={`/agents/${agent.id}/edit`}>
                Edit
              </Link>
            )}
          </>
        }
      />
      {can('admin') && <AdminBar agent={agent} />}

      <div role="tablist" aria-label="Agent sections" className="tabs" onKeyDown={onKey}>
        {TABS.map((t) => (
          <button
            key={t.id}
            ref={(el) => {
              tabRefs.current[t.id] = el;
            }}
            type="button"
            role="tab"
            id={`tab-${t.id}`}
            aria-selected={tab === t.id}
            aria-controls={`panel-${t.id}`}
            tabIndex={tab === t.id ? 0 : -1}
            className="tab"
            onClick={() => select(t.id)}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${tab}`} aria-labelledby={`tab-${tab}`} className="tab-panel">
        {tab === 'overview' && <Overview agent={agent} />}
        {tab === 'versions' && <VersionHistory key={agent.version} agent={agent} />}
        {tab === 'prompt' && <PromptPreview agent={agent} />}
      </div>
    </>
  );
}

/** Enable/disable switch and delete (admins). */
function AdminBar({ agent }: { agent: Agent }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [confirming, setConfirming] = useState(false);
  const toggle = useMutation({
    mutationFn: (enabled: boolean) => agentsApi.setEnabled(agent.id, enabled),
    onSuccess: (updated) => {
      queryClient.setQueryData(agentKeys.detail(agent.id), updated);
      void queryClient.invalidateQueries({ queryKey: agentKeys.all });
    },
  });
  const remove = useMutation({
    mutationFn: () => agentsApi.remove(agent.id),
    onSuccess: () => {
      queryClient.removeQueries({ queryKey: agentKeys.detail(agent.id) });
      void queryClient.invalidateQueries({ queryKey: agentKeys.all });
      navigate('/agents', { replace: true, state: { deleted: { id: agent.id, name: agent.name } } });
    },
  });
  const enabled = agent.status === 'active';
  return (
    <div className="admin-bar">
      <div className="switch-field">
        <button
          type="button"
          role="switch"
          id="agent-enabled"
          aria-checked={enabled}
          className="switch"
          disabled={toggle.isPending}
          onClick={() => toggle.mutate(!enabled)}
        >
          <span className="switch-thumb" aria-hidden="true" />
        </button>
        <label htmlFor="agent-enabled">Enabled</label>
        <span className="muted small">{enabled ? 'Takes chats, tasks and schedules.' : 'Paused: new runs are refused.'}</span>
      </div>
      {toggle.isError && (
        <p role="alert" className="field-error">
          {errorMessage(toggle.error)}
        </p>
      )}
      <Button variant="danger" onClick={() => setConfirming(true)}>
        Delete
      </Button>
      <ConfirmDialog
        open={confirming}
        onClose={() => setConfirming(false)}
        title={`Delete ${agent.name}?`}
        confirmLabel="Delete agent"
        onConfirm={() => remove.mutateAsync()}
      >
        <p>
          The agent stops taking chats, tasks and schedules and disappears from the list. Its runs, conversations and costs stay in the records.
        </p>
      </ConfirmDialog>
    </div>
  );
}

function Overview({ agent }: { agent: Agent }) {
  const metrics = useQuery({ queryKey: agentKeys.metrics(agent.id), queryFn: ({ signal }) => agentsApi.metrics(agent.id, signal) });
  const provider = providerOf(agent.model);
  const m = metrics.data;
  const limits = agent.limits;
  const none = <span className="muted">—</span>;
  return (
    <>
      <section aria-label="Activity" className="stat-cards">
        <Stat label="Runs" value={m ? formatCount(m.executionCount) : '…'} />
        <Stat label="Success rate" value={m ? (m.successRate === null ? '—' : `${Math.round(m.successRate * 100)}%`) : '…'} />
        <Stat label="Average cost" value={m ? formatMicros(m.averageCostMicros) : '…'} />
        <Stat label="Last run" value={m ? formatDateTime(m.lastExecutedAt) : '…'} />
      </section>
      {metrics.isError && <ErrorState title="Could not load the figures" error={metrics.error} onRetry={() => void metrics.refetch()} />}
      <div className="grid-2">
        <section className="card" aria-labelledby="cfg-model">
          <h2 id="cfg-model">Model and behavior</h2>
          <dl className="config-list">
            <dt>Model</dt>
            <dd>
              {isProvider(provider) ? PROVIDERS[provider].label : provider} <code>{agent.model}</code>
            </dd>
            <dt>Fallbacks</dt>
            <dd>{agent.fallbackModels.length ? agent.fallbackModels.map((f) => <code key={f}>{f} </code>) : none}</dd>
            <dt>Role</dt>
            <dd>{agent.role || none}</dd>
            <dt>Description</dt>
            <dd>{agent.description || none}</dd>
            <dt>Personality</dt>
            <dd>
              {[agent.personality.traits.join(', '), agent.personality.tone, agent.personality.behavior, agent.personality.languageStyle].filter(Boolean).join(' · ') ||
                none}
            </dd>
            <dt>Tags</dt>
            <dd>{agent.tags.length ? agent.tags.join(', ') : none}</dd>
          </dl>
        </section>
        <section className="card" aria-labelledby="cfg-limits">
          <h2 id="cfg-limits">Limits, budget and memory</h2>
          <dl className="config-list">
            <dt>Max steps</dt>
            <dd>{limits.maxSteps}</dd>
            <dt>Timeout</dt>
            <dd>{limits.timeoutSeconds} s</dd>
            <dt>Runs started</dt>
            <dd>
              {limits.actionsPerMinute ?? '∞'} per minute, {limits.actionsPerHour ?? '∞'} per hour
            </dd>
            <dt>Monthly budget</dt>
            <dd>{limits.monthlyBudgetMicros === null ? 'none' : formatMicros(limits.monthlyBudgetMicros)}</dd>
            <dt>History</dt>
            <dd>
              {agent.memory.historyLength} messages{agent.memory.contextBudget !== null && `, up to ${formatCount(agent.memory.contextBudget)} tokens`}
            </dd>
            <dt>Updated</dt>
            <dd>{formatDateTime(agent.updatedAt)}</dd>
          </dl>
        </section>
      </div>
      <section className="card" aria-labelledby="cfg-tools">
        <h2 id="cfg-tools">Tools</h2>
        {agent.tools.length ? (
          <ul className="tag-list">
            {agent.tools.map((t) => (
              <li key={t}>
                <Badge tone="info">{t}</Badge>
                {agent.approvalTools.includes(t) && <Badge tone="warning">asks a person first</Badge>}
              </li>
            ))}
          </ul>
        ) : (
          <p className="muted">No tools: the agent only talks.</p>
        )}
      </section>
      <section className="card" aria-labelledby="cfg-instructions">
        <h2 id="cfg-instructions">Instructions</h2>
        {agent.instructions ? <pre className="prompt-text">{agent.instructions}</pre> : <p className="muted">None.</p>}
      </section>
    </>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div className="stat-card">
      <span className="stat-label">{label}</span>
      <span className="stat-value">{value}</span>
    </div>
  );
}

/** `GET /agents/:id/prompt`: the exact system prompt, by section and whole. */
function PromptPreview({ agent }: { agent: Agent }) {
  // The version is in the key: an edit, a restore or a toggle shows the prompt of the new version.
  const prompt = useQuery({ queryKey: [...agentKeys.prompt(agent.id), agent.version], queryFn: ({ signal }) => agentsApi.prompt(agent.id, signal) });
  const [copied, setCopied] = useState(false);
  return (
    <QueryView query={prompt} loadingLabel="Composing the prompt…">
      {(p) => (
        <section className="card" aria-labelledby="prompt-heading">
          <div className="card-header">
            <h2 id="prompt-heading">System prompt</h2>
            <Button
              onClick={() => {
                void navigator.clipboard?.writeText(p.systemPrompt).then(() => setCopied(true));
              }}
            >
              {copied ? 'Copied' : 'Copy'}
            </Button>
          </div>
          <p className="muted small">What the model receives before every conversation and task, composed from the configuration (version {agent.version}).</p>
          {p.sections.map((s) => (
            <div key={s.name} className="prompt-section">
              <h3>{s.name}</h3>
              <pre className="prompt-text">{s.text}</pre>
            </div>
          ))}
          <details>
            <summary>The whole prompt ({formatCount(p.systemPrompt.length)} characters)</summary>
            <pre className="prompt-text" data-testid="system-prompt">
              {p.systemPrompt}
            </pre>
          </details>
        </section>
      )}
    </QueryView>
  );
}
