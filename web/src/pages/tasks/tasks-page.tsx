import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Link } from 'react-router';
import { useListParams } from '../../components/use-list-params';
import { TASK_KINDS, TASK_PRIORITIES, TASK_STATUSES } from '@server/tasks/enums';
import { errorMessage } from '../../api/errors';
import { useSession } from '../../auth/session';
import { Badge } from '../../components/badge';
import { Button } from '../../components/button';
import { FormError, SelectField } from '../../components/fields';
import { Icon } from '../../components/icons';
import { PageHeader } from '../../components/page-header';
import { EmptyState, QueryView } from '../../components/states';
import { agentsQuery } from '../runs/api';
import { dateTime, label, relative, shortId } from '../runs/format';
import { Pager } from '../runs/pager';
import { StatusBadge } from '../runs/status-badge';
import { isTaskActive, tasksApi, type Task, type TaskQuery, type TaskSort } from './api';
import '../runs/runs.css';

const LIMIT = 20;
const PRIORITY_TONE = { low: 'neutral', normal: 'neutral', high: 'warning', urgent: 'danger' } as const;

/** Polls fast while something runs, and often enough to notice a scheduled fire. */
export const livePoll = (tasks: Task[] | undefined) =>
  tasks?.some((t) => isTaskActive(t.status) || (t.nextRunAt && Date.parse(t.nextRunAt) - Date.now() < 15_000)) ? 1500 : 5000;

/** Tasks: stats, filters, a sortable table with live statuses, and "run now". */
export function TasksPage() {
  const { can } = useSession();
  const [params, set] = useListParams();
  const query: TaskQuery = {
    agentId: params.get('agentId') || undefined,
    status: (params.get('status') || undefined) as TaskQuery['status'],
    kind: (params.get('kind') || undefined) as TaskQuery['kind'],
    priority: (params.get('priority') || undefined) as TaskQuery['priority'],
    sortBy: (params.get('sortBy') || 'createdAt') as TaskSort,
    sortOrder: params.get('sortOrder') === 'asc' ? 'asc' : 'desc',
    offset: Number(params.get('offset')) || 0,
    limit: LIMIT,
  };

  const agents = useQuery(agentsQuery);
  const tasks = useQuery({
    queryKey: ['tasks', 'list', query],
    queryFn: ({ signal }) => tasksApi.list(query, signal),
    refetchInterval: (q) => livePoll(q.state.data?.items),
  });
  const stats = useQuery({
    queryKey: ['tasks', 'stats'],
    queryFn: ({ signal }) => tasksApi.stats(signal),
    refetchInterval: () => livePoll(tasks.data?.items),
  });
  const agentName = (id: string) => agents.data?.items.find((a) => a.id === id)?.name ?? shortId(id);
  const filtered = Boolean(query.agentId || query.status || query.kind || query.priority);

  return (
    <>
      <PageHeader
        title="Tasks"
        description="Hand agents work, now or on a schedule."
        actions={
          can('member') && (
            <>
              <Link className="btn btn-secondary" to="/tasks/new?kind=scheduled">
                New scheduled task
              </Link>
              <Link className="btn btn-primary" to="/tasks/new">
                <Icon name="plus" size={16} /> New task
              </Link>
            </>
          )
        }
      />
      <dl className="stats" aria-label="Task statistics">
        {(['total', 'queued', 'running', 'completed', 'failed', 'scheduled'] as const).map((k) => (
          <div className="stat" key={k}>
            <dt>{k === 'running' ? 'Running' : k[0]!.toUpperCase() + k.slice(1)}</dt>
            <dd data-stat={k}>{stats.data ? stats.data[k] : '–'}</dd>
          </div>
        ))}
      </dl>
      <form className="filters" aria-label="Filter tasks" onSubmit={(e) => e.preventDefault()}>
        <SelectField
          id="tasks-agent"
          label="Agent"
          value={query.agentId ?? ''}
          onChange={(e) => set({ agentId: e.target.value })}
          options={[{ value: '', label: 'All agents' }, ...(agents.data?.items ?? []).map((a) => ({ value: a.id, label: a.name }))]}
        />
        <SelectField
          id="tasks-status"
          label="Status"
          value={query.status ?? ''}
          onChange={(e) => set({ status: e.target.value })}
          options={[{ value: '', label: 'Any status' }, ...TASK_STATUSES.map((s) => ({ value: s, label: label(s) }))]}
        />
        <SelectField
          id="tasks-kind"
          label="Kind"
          value={query.kind ?? ''}
          onChange={(e) => set({ kind: e.target.value })}
          options={[{ value: '', label: 'Any kind' }, ...TASK_KINDS.map((k) => ({ value: k, label: k === 'adhoc' ? 'ad-hoc' : k }))]}
        />
        <SelectField
          id="tasks-priority"
          label="Priority"
          value={query.priority ?? ''}
          onChange={(e) => set({ priority: e.target.value })}
          options={[{ value: '', label: 'Any priority' }, ...TASK_PRIORITIES.map((p) => ({ value: p, label: p }))]}
        />
      </form>
      <QueryView
        query={tasks}
        loadingLabel="Loading tasks…"
        isEmpty={(d) => d.items.length === 0}
        empty={
          <EmptyState
            title={filtered ? 'No tasks match these filters' : 'No tasks yet'}
            action={
              !filtered &&
              can('member') && (
                <Link className="btn btn-primary" to="/tasks/new">
                  Create a task
                </Link>
              )
            }
          >
            {!filtered && <p>A task is work for an agent: run it when you like, or on a schedule.</p>}
          </EmptyState>
        }
      >
        {(page) => (
          <>
            <TasksTable
              tasks={page.items}
              agentName={agentName}
              sortBy={query.sortBy!}
              sortOrder={query.sortOrder!}
              onSort={(by) => set({ sortBy: by, sortOrder: query.sortBy === by && query.sortOrder === 'desc' ? 'asc' : 'desc' })}
            />
            <Pager label="Tasks pages" offset={query.offset ?? 0} limit={LIMIT} total={page.total} onChange={(o) => set({ offset: o ? String(o) : '' })} />
          </>
        )}
      </QueryView>
    </>
  );
}

function SortHeader({ by, children, sortBy, sortOrder, onSort }: { by: TaskSort; children: string; sortBy: TaskSort; sortOrder: 'asc' | 'desc'; onSort: (by: TaskSort) => void }) {
  const active = sortBy === by;
  return (
    <th scope="col" aria-sort={active ? (sortOrder === 'asc' ? 'ascending' : 'descending') : undefined}>
      <button type="button" className="sort-button" onClick={() => onSort(by)}>
        {children}
        <span aria-hidden="true">{active ? (sortOrder === 'asc' ? '▲' : '▼') : '↕'}</span>
        <span className="visually-hidden">{active ? `, sorted ${sortOrder === 'asc' ? 'ascending' : 'descending'}` : ', sort'}</span>
      </button>
    </th>
  );
}

function TasksTable({ tasks, agentName, ...sort }: { tasks: Task[]; agentName: (id: string) => string; sortBy: TaskSort; sortOrder: 'asc' | 'desc'; onSort: (by: TaskSort) => void }) {
  return (
    <div className="table-wrap">
      <table className="work-table">
        <caption className="visually-hidden">Tasks</caption>
        <thead>
          <tr>
            <SortHeader by="title" {...sort}>
              Title
            </SortHeader>
            <th scope="col">Status</th>
            <th scope="col">Agent</th>
            <th scope="col">Kind</th>
            <SortHeader by="priority" {...sort}>
              Priority
            </SortHeader>
            <th scope="col">Last run</th>
            <th scope="col">Next run</th>
            <th scope="col" className="num">
              Runs
            </th>
            <SortHeader by="createdAt" {...sort}>
              Created
            </SortHeader>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {tasks.map((t) => (
            <tr key={t.id} data-task={t.title}>
              <td className="wrap">
                <Link to={`/tasks/${t.id}`}>{t.title}</Link>
              </td>
              <td>
                <StatusBadge status={t.status} />
              </td>
              <td>{agentName(t.agentId)}</td>
              <td>
                {t.kind === 'scheduled' ? (
                  <span title={t.schedule?.description}>
                    scheduled{t.schedule?.paused ? ' (paused)' : ''}
                  </span>
                ) : (
                  'ad-hoc'
                )}
              </td>
              <td>
                <Badge tone={PRIORITY_TONE[t.priority]}>{t.priority}</Badge>
              </td>
              <td title={dateTime(t.lastRunAt)}>{t.lastRunAt ? relative(t.lastRunAt) : 'never'}</td>
              <td title={dateTime(t.nextRunAt)}>{t.nextRunAt ? relative(t.nextRunAt) : '—'}</td>
              <td className="num">{t.runCount}</td>
              <td>{dateTime(t.createdAt)}</td>
              <td>
                <RunNowButton task={t} small />
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** `POST /tasks/:id/execute`; on the details page it shows a link to the queued run. */
export function RunNowButton({ task, small = false, showResult = false }: { task: Task; small?: boolean; showResult?: boolean }) {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const run = useMutation({
    mutationFn: () => tasksApi.execute(task.id),
    onSuccess: () => Promise.all([queryClient.invalidateQueries({ queryKey: ['tasks'] }), queryClient.invalidateQueries({ queryKey: ['runs'] })]),
  });
  if (!can('member')) return null;
  return (
    <>
      <Button className={small ? 'btn-small' : undefined} variant={small ? 'secondary' : 'primary'} busy={run.isPending} onClick={() => run.mutate()} aria-label={small ? `Run now: ${task.title}` : undefined}>
        Run now
      </Button>
      {showResult && run.data && (
        <span role="status" className="small">
          Run queued.{' '}
          <Link to={`/runs/${run.data.id}`}>Open run {shortId(run.data.id)}</Link>
        </span>
      )}
      {run.error && <FormError message={errorMessage(run.error)} />}
    </>
  );
}
