import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { RUN_SOURCES, RUN_STATUSES } from '@server/runs/enums';
import { EmptyState, QueryView } from '../../components/states';
import { SelectField } from '../../components/fields';
import { PageHeader } from '../../components/page-header';
import { tasksApi } from '../tasks/api';
import { agentsQuery, isActive, runsApi, type Run, type RunFilters, type RunStatus } from './api';
import { dateTime, label, money, runDuration, shortId, tokens } from './format';
import { IdChip } from './id-chip';
import { Pager } from './pager';
import { SearchBox } from './search-box';
import { StatusBadge } from './status-badge';
import './runs.css';

const LIMIT = 20;

/** Every run of the organization, newest first: searched, and filtered by agent, status, source and task (all in the URL). */
export function RunsPage() {
  const [params, setParams] = useSearchParams();
  const statuses = (params.get('status') ?? '').split(',').filter((s): s is RunStatus => (RUN_STATUSES as readonly string[]).includes(s));
  const filters: RunFilters = {
    agentId: params.get('agentId') || undefined,
    status: statuses.length ? statuses : undefined,
    source: (params.get('source') || undefined) as RunFilters['source'],
    taskId: params.get('taskId') || undefined,
    q: params.get('q') || undefined,
    offset: Number(params.get('offset')) || 0,
    limit: LIMIT,
  };
  const set = (key: string, value: string) => {
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        if (value) next.set(key, value);
        else next.delete(key);
        if (key !== 'offset') next.delete('offset');
        return next;
      },
      { replace: true },
    );
  };
  // The chips show the person's choice at once: the URL (the filter's source of truth) is updated
  // in a transition, and a checkbox controlled by it alone snapped back for a render, which a
  // quick second click (or a test) would read as "not changed". Taken from the URL whenever it changes.
  const statusParam = params.get('status') ?? '';
  const [chosen, setChosen] = useState<{ from: string; param: string; statuses: RunStatus[] } | null>(null);
  // The choice stands while the URL is still what it was when it was made; once the URL has become
  // it, the URL alone speaks again (and a URL that moved elsewhere, by a link, wins).
  if (chosen && statusParam === chosen.param) setChosen(null);
  const shown = chosen && statusParam === chosen.from ? chosen.statuses : statuses;
  const toggleStatus = (status: RunStatus, on: boolean) => {
    const next = RUN_STATUSES.filter((s) => (s === status ? on : shown.includes(s)));
    const param = next.join(',');
    setChosen({ from: statusParam, param, statuses: next });
    set('status', param);
  };

  const agents = useQuery(agentsQuery);
  const tasks = useQuery({
    queryKey: ['tasks', 'list', { limit: 100, sortBy: 'title' }],
    queryFn: ({ signal }) => tasksApi.list({ limit: 100, sortBy: 'title', sortOrder: 'asc' }, signal),
    staleTime: 30_000,
  });
  const runs = useQuery({
    queryKey: ['runs', 'list', filters],
    queryFn: ({ signal }) => runsApi.list(filters, signal),
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (q.state.data?.items.some((r) => isActive(r.status)) ? 2000 : 10_000),
  });
  const agentName = (id: string) => agents.data?.items.find((a) => a.id === id)?.name ?? null;
  const taskTitle = (id: string) => tasks.data?.items.find((t) => t.id === id)?.title ?? shortId(id);

  return (
    <>
      <PageHeader title="Runs" description="Every execution of an agent, step by step." />
      <form className="filters" aria-label="Filter runs" onSubmit={(e) => e.preventDefault()}>
        <SearchBox id="runs-search" label="Search runs" placeholder="Words of the task or answer, an error code, an agent, a run id…" />
        <SelectField
          id="runs-agent"
          label="Agent"
          value={filters.taskId ? '' : (filters.agentId ?? '')}
          disabled={Boolean(filters.taskId)}
          hint={filters.taskId ? 'The task’s own agent' : undefined}
          onChange={(e) => set('agentId', e.target.value)}
          options={[{ value: '', label: 'All agents' }, ...(agents.data?.items ?? []).map((a) => ({ value: a.id, label: a.name }))]}
        />
        <SelectField
          id="runs-source"
          label="Source"
          value={filters.source ?? ''}
          onChange={(e) => set('source', e.target.value)}
          options={[{ value: '', label: 'Any source' }, ...RUN_SOURCES.map((s) => ({ value: s, label: s }))]}
        />
        <SelectField
          id="runs-task"
          label="Task"
          value={filters.taskId ?? ''}
          onChange={(e) => set('taskId', e.target.value)}
          options={[
            { value: '', label: 'Any task' },
            ...(filters.taskId && !tasks.data?.items.some((t) => t.id === filters.taskId) ? [{ value: filters.taskId, label: shortId(filters.taskId) }] : []),
            ...(tasks.data?.items ?? []).map((t) => ({ value: t.id, label: t.title })),
          ]}
        />
      </form>
      <fieldset className="status-chips">
        <legend>Status</legend>
        {RUN_STATUSES.map((s) => (
          <label key={s}>
            <input type="checkbox" checked={shown.includes(s)} onChange={(e) => toggleStatus(s, e.target.checked)} />
            {label(s)}
          </label>
        ))}
      </fieldset>
      <QueryView
        query={runs}
        loadingLabel="Loading runs…"
        isEmpty={(d) => d.items.length === 0}
        empty={
          <EmptyState title={Object.values({ ...filters, offset: undefined, limit: undefined }).some(Boolean) ? 'No runs match these filters' : 'No runs yet'}>
            <p>Runs appear here when an agent answers a chat, runs a task or is executed through the API.</p>
          </EmptyState>
        }
      >
        {(page) => (
          <>
            <RunsTable runs={page.items} agentName={agentName} taskTitle={taskTitle} />
            <Pager label="Runs pages" offset={filters.offset ?? 0} limit={LIMIT} total={page.total} onChange={(o) => set('offset', o ? String(o) : '')} />
          </>
        )}
      </QueryView>
    </>
  );
}

/** Runs as table rows; `agentName` (null while unknown: the short id shows instead) adds the agent column. */
export function RunsTable({ runs, agentName, taskTitle, caption = 'Runs' }: { runs: Run[]; agentName?: (id: string) => string | null; taskTitle?: (id: string) => string; caption?: string }) {
  return (
    <div className="table-wrap">
      <table className="work-table">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Run</th>
            <th scope="col">Status</th>
            {agentName && <th scope="col">Agent</th>}
            <th scope="col">Source</th>
            {taskTitle && <th scope="col">Task</th>}
            <th scope="col" className="num">Steps</th>
            <th scope="col" className="num">Tokens</th>
            <th scope="col" className="num">Cost</th>
            <th scope="col">Duration</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {runs.map((r) => (
            <tr key={r.id}>
              <td>
                <IdChip id={r.id} what="run">
                  <Link to={`/runs/${r.id}`} aria-label={`Run ${shortId(r.id)}`} title={r.id}>
                    <code>{shortId(r.id)}</code>
                  </Link>
                </IdChip>
              </td>
              <td>
                <StatusBadge status={r.status} />
              </td>
              {agentName && (
                <td>{r.agentId ? (agentName(r.agentId) ?? <IdChip id={r.agentId} what="agent" />) : <Link to={`/workflows/${r.workflowId}`}>Workflow</Link>}</td>
              )}
              <td>{r.source}</td>
              {taskTitle && <td>{r.taskId ? <Link to={`/tasks/${r.taskId}`}>{taskTitle(r.taskId)}</Link> : '—'}</td>}
              <td className="num">{r.stepCount}</td>
              <td className="num">{tokens(r.inputTokens + r.outputTokens)}</td>
              <td className="num">{money(r.billedMicros)}</td>
              <td>{runDuration(r)}</td>
              <td>{dateTime(r.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
