import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import { errorMessage } from '../../api/errors';
import { useSession } from '../../auth/session';
import { Badge } from '../../components/badge';
import { Button } from '../../components/button';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { FormError } from '../../components/fields';
import { PageHeader } from '../../components/page-header';
import { EmptyState, ErrorState, Loading, QueryView } from '../../components/states';
import { agentsQuery } from '../runs/api';
import { dateTime, json, relative } from '../runs/format';
import { Pager } from '../runs/pager';
import { CodeBlock } from '../runs/code-block';
import { RunsTable } from '../runs/runs-page';
import { StatusBadge } from '../runs/status-badge';
import { tasksApi, type Task } from './api';
import { livePoll, RunNowButton } from './tasks-page';
import '../runs/runs.css';

const LIMIT = 10;

/** One task: its schedule and next run, the latest result, and every execution; live. */
export function TaskPage() {
  const { id = '' } = useParams();
  const [offset, setOffset] = useState(0);
  const task = useQuery({
    queryKey: ['tasks', 'detail', id],
    queryFn: ({ signal }) => tasksApi.get(id, signal),
    refetchInterval: (q) => livePoll(q.state.data ? [q.state.data] : undefined),
  });
  const runs = useQuery({
    queryKey: ['tasks', 'executions', id, offset],
    queryFn: ({ signal }) => tasksApi.executions(id, { limit: LIMIT, offset }, signal),
    refetchInterval: () => livePoll(task.data ? [task.data] : undefined),
  });
  const agents = useQuery(agentsQuery);

  if (task.isPending) return <Loading label="Loading the task…" />;
  if (task.isError)
    return (
      <>
        <PageHeader title="Task" />
        <ErrorState error={task.error} onRetry={() => void task.refetch()} title="Could not load this task" />
      </>
    );
  const t = task.data;
  const agent = agents.data?.items.find((a) => a.id === t.agentId);

  return (
    <>
      <PageHeader
        title={t.title}
        description={
          <span className="row-actions" style={{ alignItems: 'center' }}>
            <StatusBadge status={t.status} />
            <Badge>{t.kind === 'adhoc' ? 'ad-hoc' : 'scheduled'}</Badge>
            <Badge tone={t.priority === 'urgent' ? 'danger' : t.priority === 'high' ? 'warning' : 'neutral'}>{t.priority} priority</Badge>
          </span>
        }
        actions={<TaskActions task={t} />}
      />
      <div className="grid-2">
        <section className="card" aria-labelledby="task-overview">
          <h2 id="task-overview">Overview</h2>
          <dl className="facts">
            <dt>Agent</dt>
            <dd>{agent ? <Link to={`/agents/${agent.id}`}>{agent.name}</Link> : '…'}</dd>
            <dt>Runs</dt>
            <dd data-testid="task-run-count">{t.runCount}</dd>
            <dt>Last run</dt>
            <dd>{t.lastRunAt ? `${dateTime(t.lastRunAt)} (${relative(t.lastRunAt)})` : 'never'}</dd>
            <dt>Next run</dt>
            <dd data-testid="task-next-run">{t.nextRunAt ? `${dateTime(t.nextRunAt)} (${relative(t.nextRunAt)})` : t.schedule?.paused ? 'paused' : '—'}</dd>
            <dt>Created</dt>
            <dd>{dateTime(t.createdAt)}</dd>
          </dl>
        </section>
        <section className="card" aria-labelledby="task-schedule">
          <h2 id="task-schedule">Schedule</h2>
          {t.schedule ? (
            <dl className="facts">
              <dt>When</dt>
              <dd>
                {t.schedule.description}
                {t.schedule.paused && (
                  <>
                    {' '}
                    <Badge tone="warning">paused</Badge>
                  </>
                )}
              </dd>
              <dt>{t.schedule.cron ? 'Cron' : 'Once at'}</dt>
              <dd>{t.schedule.cron ? <code>{t.schedule.cron}</code> : dateTime(t.schedule.onceAt)}</dd>
              <dt>Time zone</dt>
              <dd>{t.schedule.timezone}</dd>
              <dt>After downtime</dt>
              <dd>{t.schedule.misfire === 'skip' ? 'skip missed fires' : 'run once for missed fires'}</dd>
              <dt>Last fired</dt>
              <dd>{dateTime(t.schedule.lastFireAt)}</dd>
            </dl>
          ) : (
            <p className="muted">Ad-hoc: it runs when someone (or something) asks. Edit it to give it a schedule.</p>
          )}
        </section>
      </div>
      <section className="card" aria-labelledby="task-result">
        <h2 id="task-result">Last result</h2>
        {t.lastError ? (
          <div className="form-error" role="alert">
            {t.lastError.message} <span className="small">({t.lastError.code})</span>
          </div>
        ) : t.lastResult ? (
          <p className="prose-text" data-testid="task-last-result">
            {t.lastResult}
          </p>
        ) : (
          <p className="muted">{t.runCount ? 'No answer yet.' : 'It has not run yet.'}</p>
        )}
      </section>
      <section className="card" aria-labelledby="task-instructions">
        <h2 id="task-instructions">Instructions</h2>
        <p className="prose-text">{t.instructions}</p>
        {Object.keys(t.context).length > 0 && (
          <>
            <h3 className="small muted">Context</h3>
            <CodeBlock label="Context of the task">{json(t.context)}</CodeBlock>
          </>
        )}
      </section>
      <section aria-labelledby="task-history">
        <h2 id="task-history">Execution history</h2>
        <QueryView query={runs} loadingLabel="Loading runs…" isEmpty={(d) => d.items.length === 0} empty={<EmptyState title="No runs yet" />}>
          {(page) => (
            <>
              <RunsTable runs={page.items} caption={`Runs of ${t.title}`} />
              <Pager label="Execution history pages" offset={offset} limit={LIMIT} total={page.total} onChange={setOffset} />
            </>
          )}
        </QueryView>
      </section>
    </>
  );
}

function TaskActions({ task }: { task: Task }) {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [confirming, setConfirming] = useState(false);
  const refresh = () => queryClient.invalidateQueries({ queryKey: ['tasks'] });
  const toggle = useMutation({
    mutationFn: () => (task.schedule!.paused ? tasksApi.resume(task.schedule!.id) : tasksApi.pause(task.schedule!.id)),
    onSuccess: refresh,
  });
  const remove = useMutation({
    mutationFn: () => tasksApi.remove(task.id),
    onSuccess: async () => {
      setConfirming(false);
      queryClient.removeQueries({ queryKey: ['tasks', 'detail', task.id] });
      await refresh();
      void navigate('/tasks');
    },
  });
  if (!can('member'))
    return (
      <Link className="btn btn-secondary" to="/tasks">
        All tasks
      </Link>
    );
  return (
    <>
      <RunNowButton task={task} showResult />
      {task.schedule && (
        <Button busy={toggle.isPending} onClick={() => toggle.mutate()}>
          {task.schedule.paused ? 'Resume schedule' : 'Pause schedule'}
        </Button>
      )}
      <Link className="btn btn-secondary" to={`/tasks/${task.id}/edit`}>
        Edit
      </Link>
      <Button variant="danger" onClick={() => setConfirming(true)}>
        Delete
      </Button>
      {toggle.error && <FormError message={errorMessage(toggle.error)} />}
      <ConfirmDialog
        open={confirming}
        onClose={() => setConfirming(false)}
        title="Delete this task?"
        cancelLabel="Keep it"
        confirmLabel="Delete task"
        onConfirm={() => remove.mutateAsync()}
      >
        <p>
          “{task.title}” and its schedule are deleted. Its {task.runCount} run{task.runCount === 1 ? '' : 's'} stay in the run history.
        </p>
      </ConfirmDialog>
    </>
  );
}

