import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { Link, useLocation, useNavigate, useSearchParams } from 'react-router';
import { agentStatusSchema, type AgentStatus } from '@server/agents/dto';
import { isProvider, PROVIDER_IDS, PROVIDERS } from '@server/models/providers';
import { useSession } from '../../auth/session';
import { errorMessage } from '../../api/errors';
import { Badge } from '../../components/badge';
import { Button } from '../../components/button';
import { Icon } from '../../components/icons';
import { PageHeader } from '../../components/page-header';
import { EmptyState, ErrorState, Loading } from '../../components/states';
import { agentKeys, agentsApi, type Agent, type AgentListFilters } from './api';
import { formatCount, formatMicros, monthStartUtc, providerOf, todayStart } from './format';
import './agents.css';

/** `/agents`: the organization's figures, then every agent as a card; search and filters live in the URL. */
export function AgentsPage() {
  const { can } = useSession();
  const deleted = (useLocation().state as { deleted?: { id: string; name: string } } | null)?.deleted;
  return (
    <>
      <PageHeader
        title="Agents"
        description="Your workforce: each agent's model, status and today's activity."
        actions={
          can('admin') && (
            <Link className="btn btn-primary" to="/agents/new">
              <Icon name="plus" size={18} />
              New agent
            </Link>
          )
        }
      />
      {deleted && <DeletedNotice key={deleted.id} agent={deleted} />}
      <StatsCards />
      <AgentGrid />
    </>
  );
}

/** After a delete: says so, and offers to undo it (`POST /agents/:id/restore`). */
function DeletedNotice({ agent }: { agent: { id: string; name: string } }) {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const undo = useMutation({
    mutationFn: () => agentsApi.undelete(agent.id),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: agentKeys.all });
      navigate(`/agents/${agent.id}`);
    },
  });
  return (
    <div className="notice deleted-notice" role="status">
      <span>Deleted {agent.name}.</span>
      {/* Only admins delete, so whoever sees this may undo it. */}
      <Button className="btn-small" busy={undo.isPending} onClick={() => undo.mutate()}>
        Undo
      </Button>
      {undo.isError && <span className="field-error">{errorMessage(undo.error)}</span>}
    </div>
  );
}

function StatsCards() {
  const { can } = useSession();
  const stats = useQuery({ queryKey: agentKeys.stats, queryFn: ({ signal }) => agentsApi.stats(monthStartUtc(), signal) });
  const value = (v: number | undefined, format: (n: number) => string = formatCount) => (stats.data && v !== undefined ? format(v) : '…');
  if (stats.isError) return <ErrorState title="Could not load the figures" error={stats.error} onRetry={() => void stats.refetch()} />;
  const cards = [
    { label: 'Agents', value: value(stats.data?.agents) },
    // The list shows admins everyone's conversations, and others their own.
    { label: can('admin') ? 'Conversations' : 'Your conversations', value: value(stats.data?.conversations) },
    { label: 'Runs this month', value: value(stats.data?.runsThisMonth) },
    { label: 'Cost this month', value: value(stats.data?.costThisMonthMicros, formatMicros), href: '/usage' },
  ];
  return (
    <section aria-label="Figures" className="stat-cards" aria-busy={stats.isPending || undefined}>
      {cards.map((c) => (
        <div key={c.label} className="stat-card">
          <span className="stat-label">{c.href ? <Link to={c.href}>{c.label}</Link> : c.label}</span>
          <span className="stat-value" data-testid={`stat-${c.label}`}>
            {c.value}
          </span>
        </div>
      ))}
    </section>
  );
}

/** Today's runs and billed cost per agent, from the runs list since local midnight. */
function useToday() {
  return useQuery({
    queryKey: agentKeys.today,
    queryFn: async ({ signal }) => {
      const { items, complete } = await agentsApi.runsSince(todayStart(), signal);
      const byAgent = new Map<string, { runs: number; billedMicros: number }>();
      for (const run of items) {
        if (!run.agentId) continue;
        const t = byAgent.get(run.agentId) ?? { runs: 0, billedMicros: 0 };
        t.runs += 1;
        t.billedMicros += run.billedMicros;
        byAgent.set(run.agentId, t);
      }
      return { byAgent, complete };
    },
    refetchInterval: 60_000,
  });
}

function AgentGrid() {
  const [params, setParams] = useSearchParams();
  const { can } = useSession();
  const statusParam = params.get('status');
  const providerParam = params.get('provider');
  const filters: AgentListFilters = {
    search: params.get('q') || undefined,
    status: agentStatusSchema.safeParse(statusParam).data,
    provider: providerParam && isProvider(providerParam) ? providerParam : undefined,
  };
  const model = params.get('model') ?? '';
  const tool = params.get('tool') ?? '';

  // The search box updates the URL (and the query) once typing pauses.
  const [search, setSearch] = useState(filters.search ?? '');
  const q = params.get('q') ?? '';
  useEffect(() => {
    if (q === search.trim()) return;
    const t = setTimeout(() => {
      setParams(
        (p) => {
          const next = new URLSearchParams(p);
          if (search.trim()) next.set('q', search.trim());
          else next.delete('q');
          return next;
        },
        { replace: true },
      );
    }, 300);
    return () => clearTimeout(t);
  }, [search, q, setParams]);

  function setParam(name: string, value: string) {
    setParams(
      (p) => {
        const next = new URLSearchParams(p);
        if (value) next.set(name, value);
        else next.delete(name);
        return next;
      },
      { replace: true },
    );
  }

  const agents = useQuery({ queryKey: agentKeys.list(filters), queryFn: ({ signal }) => agentsApi.list(filters, signal), placeholderData: keepPreviousData });
  const tools = useQuery({ queryKey: agentKeys.tools, queryFn: ({ signal }) => agentsApi.tools(signal), staleTime: 5 * 60_000 });
  const today = useToday();

  const models = [...new Set((agents.data ?? []).map((a) => a.model))].sort();
  if (model && !models.includes(model)) models.push(model);
  const shown = (agents.data ?? []).filter((a) => (!model || a.model === model) && (!tool || a.tools.includes(tool)));
  const filtered = !!(filters.search || filters.status || filters.provider || model || tool);

  return (
    <section aria-labelledby="agents-list-heading">
      <h2 id="agents-list-heading" className="visually-hidden">
        Agent list
      </h2>
      <form className="filter-bar" role="search" aria-label="Filter agents" onSubmit={(e) => e.preventDefault()}>
        <div className="field filter-search">
          <label htmlFor="agents-search">Search</label>
          <input id="agents-search" type="search" placeholder="Name, description, role or tag" value={search} onChange={(e) => setSearch(e.target.value)} />
        </div>
        <FilterSelect
          id="agents-status"
          label="Status"
          value={filters.status ?? ''}
          onChange={(v) => setParam('status', v)}
          options={[
            { value: 'active', label: 'Enabled' },
            { value: 'paused', label: 'Disabled' },
          ]}
        />
        <FilterSelect
          id="agents-provider"
          label="Provider"
          value={filters.provider ?? ''}
          onChange={(v) => setParam('provider', v)}
          options={PROVIDER_IDS.map((p) => ({ value: p, label: PROVIDERS[p].label }))}
        />
        <FilterSelect id="agents-model" label="Model" value={model} onChange={(v) => setParam('model', v)} options={models.map((m) => ({ value: m, label: m }))} />
        <FilterSelect
          id="agents-tool"
          label="Tool"
          value={tool}
          onChange={(v) => setParam('tool', v)}
          options={(tools.data ?? []).map((t) => ({ value: t.name, label: t.name }))}
        />
      </form>

      {agents.isPending ? (
        <Loading label="Loading agents…" />
      ) : agents.isError ? (
        <ErrorState error={agents.error} onRetry={() => void agents.refetch()} />
      ) : shown.length === 0 ? (
        filtered ? (
          <EmptyState
            title="No agent matches"
            action={
              <button
                type="button"
                className="btn btn-secondary"
                onClick={() => {
                  setSearch('');
                  setParams(new URLSearchParams(), { replace: true });
                }}
              >
                Clear filters
              </button>
            }
          >
            <p>Try another search or fewer filters.</p>
          </EmptyState>
        ) : (
          <EmptyState
            title="No agents yet"
            action={
              can('admin') && (
                <Link className="btn btn-primary" to="/agents/new">
                  Create your first agent
                </Link>
              )
            }
          >
            <p>An agent has a model, instructions, a personality and tools. Create one to chat with it or give it tasks.</p>
          </EmptyState>
        )
      ) : (
        <>
          <p className="muted small" role="status">
            {shown.length === 1 ? '1 agent' : `${shown.length} agents`}
            {today.data && !today.data.complete && ' · today’s figures count the latest 2,000 runs'}
          </p>
          <ul className="agent-grid" aria-label="Agents">
            {shown.map((a) => (
              <AgentCard key={a.id} agent={a} today={today.data?.byAgent.get(a.id)} todayLoaded={today.isSuccess} />
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

function FilterSelect({
  id,
  label,
  value,
  onChange,
  options,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (v: string) => void;
  options: { value: string; label: string }[];
}) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">All</option>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </div>
  );
}

export function StatusBadge({ status }: { status: AgentStatus }) {
  return status === 'active' ? <Badge tone="success">enabled</Badge> : <Badge tone="warning">disabled</Badge>;
}

function AgentCard({ agent, today, todayLoaded }: { agent: Agent; today: { runs: number; billedMicros: number } | undefined; todayLoaded: boolean }) {
  const provider = providerOf(agent.model);
  const headingId = `agent-card-${agent.id}`;
  return (
    <li className="agent-card" aria-labelledby={headingId}>
      <div className="agent-card-top">
        <h3 id={headingId} className="agent-card-name">
          <Link to={`/agents/${agent.id}`}>{agent.name}</Link>
        </h3>
        <StatusBadge status={agent.status} />
      </div>
      {(agent.role || agent.description) && <p className="agent-card-text">{agent.role || agent.description}</p>}
      <p className="agent-card-model">
        <span className="muted">{isProvider(provider) ? PROVIDERS[provider].label : provider}</span> <code>{agent.model.slice(provider.length + 1)}</code>
      </p>
      <dl className="agent-card-figures">
        <div>
          <dt>Runs today</dt>
          <dd>{todayLoaded ? formatCount(today?.runs ?? 0) : '…'}</dd>
        </div>
        <div>
          <dt>Cost today</dt>
          <dd>{todayLoaded ? formatMicros(today?.billedMicros ?? 0) : '…'}</dd>
        </div>
        <div>
          <dt>Tools</dt>
          <dd>{agent.tools.length}</dd>
        </div>
      </dl>
      {agent.tags.length > 0 && (
        <ul className="tag-list" aria-label="Tags">
          {agent.tags.map((t) => (
            <li key={t}>
              <Badge tone="info">{t}</Badge>
            </li>
          ))}
        </ul>
      )}
    </li>
  );
}
