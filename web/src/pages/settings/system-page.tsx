import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { errorMessage } from '../../api/errors';
import { useSession } from '../../auth/session';
import { Badge } from '../../components/badge';
import { Button } from '../../components/button';
import { FormError } from '../../components/fields';
import { QueryView } from '../../components/states';
import { settingsApi, settingsKeys, when, type SchedulerStatus } from './api';
import { ConfirmDialog } from '../../components/confirm-dialog';

/** How often the status cards refresh themselves. */
const LIVE_MS = 5_000;

/**
 * The scheduler (everyone reads; admins start and stop; instance operators check) and the run
 * queue (admins read their organization's figures; instance operators the install's, and pause).
 */
export function SystemPage() {
  const { can } = useSession();
  return (
    <>
      <SchedulerCard />
      {can('admin') && <QueueCard />}
    </>
  );
}

function SchedulerCard() {
  const { can, isOperator } = useSession();
  const queryClient = useQueryClient();
  const status = useQuery({ queryKey: settingsKeys.scheduler, queryFn: ({ signal }) => settingsApi.scheduler(signal), refetchInterval: LIVE_MS });
  const toggle = useMutation({
    mutationFn: settingsApi.schedulerAction,
    onSuccess: (s) => queryClient.setQueryData(settingsKeys.scheduler, s),
  });
  const check = useMutation({
    mutationFn: settingsApi.schedulerCheck,
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: settingsKeys.scheduler }),
  });
  return (
    <section className="card" aria-labelledby="scheduler-heading">
      <div className="card-header">
        <h2 id="scheduler-heading">Scheduler</h2>
        {status.data && <Badge tone={status.data.running ? 'success' : 'warning'}>{status.data.running ? 'running' : 'stopped'}</Badge>}
      </div>
      <QueryView query={status} loadingLabel="Loading the scheduler…">
        {(s) => (
          <div className="stack">
            <SchedulerFacts s={s} />
            {(can('admin') || isOperator) && (
              <div className="form-actions">
                {can('admin') &&
                  (s.running ? (
                    <Button busy={toggle.isPending} onClick={() => toggle.mutate('stop')}>
                      Stop scheduler
                    </Button>
                  ) : (
                    <Button variant="primary" busy={toggle.isPending} onClick={() => toggle.mutate('start')}>
                      Start scheduler
                    </Button>
                  ))}
                {/* A pass fires every organization's due schedules: the install's, so operators only. */}
                {isOperator && (
                  <Button busy={check.isPending} onClick={() => check.mutate()}>
                    Check now
                  </Button>
                )}
              </div>
            )}
            <FormError message={toggle.error ? errorMessage(toggle.error) : check.error ? errorMessage(check.error) : undefined} />
            {check.data && (
              <p role="status" className={check.data.ran ? 'success' : 'notice'}>
                {check.data.detail}
              </p>
            )}
            <NextFires s={s} />
          </div>
        )}
      </QueryView>
    </section>
  );
}

function SchedulerFacts({ s }: { s: SchedulerStatus }) {
  return (
    <dl className="stat-row">
      <div>
        <dt>Schedules</dt>
        <dd>{s.running ? 'Firing' : `Stopped ${when(s.stoppedAt)}`}</dd>
      </div>
      <div>
        <dt>Leader</dt>
        <dd className="mono" data-testid="scheduler-leader">
          {s.leader ? (s.leader.holder ?? 'A scheduler process') : 'No process leads'}
        </dd>
      </div>
      <div>
        <dt>Leading since</dt>
        <dd>{s.leader ? when(s.leader.since) : '—'}</dd>
      </div>
      <div>
        <dt>This process</dt>
        <dd>{s.process ? (s.process.leader ? 'leads' : s.process.started ? 'follows' : 'not started') : 'runs no scheduler'}</dd>
      </div>
      {s.process && s.process.fireDelays.count > 0 && (
        <div>
          <dt>Fire delay (median)</dt>
          <dd>{Math.round(s.process.fireDelays.medianMs ?? 0)} ms</dd>
        </div>
      )}
    </dl>
  );
}

function NextFires({ s }: { s: SchedulerStatus }) {
  // The status names tasks by id; their titles come from the task list.
  const tasks = useQuery({ queryKey: settingsKeys.tasks, queryFn: ({ signal }) => settingsApi.tasks(signal), enabled: s.nextFires.length > 0, staleTime: 30_000 });
  const titles = new Map((tasks.data?.items ?? []).map((t) => [t.id, t.title]));
  if (s.nextFires.length === 0) return <p className="muted">No upcoming fires: no active schedule. Create a scheduled task on the Tasks page.</p>;
  return (
    <div className="table-scroll">
      <table className="data-table responsive">
        <caption className="next-fires-caption">Next fires</caption>
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Task</th>
          </tr>
        </thead>
        <tbody>
          {s.nextFires.map((f) => (
            <tr key={`${f.scheduleId}-${f.at}`}>
              <td data-label="When">
                <time dateTime={f.at}>{when(f.at)}</time>
              </td>
              <td data-label="Task">
                {f.taskId ? (
                  <Link to={`/tasks/${f.taskId}`}>{titles.get(f.taskId) ?? <span className="mono">{f.taskId.slice(0, 8)}</span>}</Link>
                ) : (
                  <Link to={`/workflows/${f.workflowId}`}>Workflow {f.workflowId?.slice(0, 8)}</Link>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

type Figure = 'waiting' | 'active' | 'delayed' | 'failed' | 'completed' | 'throughputPerMinute';
const QUEUE_FIGURES: [Figure, string][] = [
  ['waiting', 'Waiting'],
  ['active', 'Active'],
  ['delayed', 'Delayed'],
  ['failed', 'Failed'],
  ['completed', 'Completed'],
  ['throughputPerMinute', 'Per minute'],
];
/** An organization's failed and completed figures count its runs of the last day (GET /queue, scope organization). */
const ORG_LABELS: Partial<Record<Figure, string>> = { failed: 'Failed (24 h)', completed: 'Completed (24 h)' };

function QueueCard() {
  const { isOperator } = useSession();
  const queryClient = useQueryClient();
  const stats = useQuery({ queryKey: settingsKeys.queue, queryFn: ({ signal }) => settingsApi.queue(signal), refetchInterval: LIVE_MS });
  const [pausing, setPausing] = useState(false);
  const resume = useMutation({ mutationFn: () => settingsApi.queueAction('resume'), onSuccess: (s) => queryClient.setQueryData(settingsKeys.queue, s) });
  return (
    <section className="card" aria-labelledby="queue-heading">
      <div className="card-header">
        <h2 id="queue-heading">Run queue</h2>
        {stats.data && <Badge tone={stats.data.paused ? 'warning' : 'success'}>{stats.data.paused ? 'paused' : 'taking runs'}</Badge>}
      </div>
      <QueryView query={stats} loadingLabel="Loading the queue…">
        {(q) => (
          <div className="stack">
            {q.scope === 'instance' ? (
              <p className="muted small" data-testid="queue-scope">
                The whole server: shared by every organization ({q.adapter === 'bullmq' ? 'Redis / BullMQ' : 'in-process'}), so only counts are shown.
              </p>
            ) : (
              <p className="muted small" data-testid="queue-scope">
                Your organization&apos;s runs only. The queue is shared by every organization on this server; its operator pauses and resumes it.
              </p>
            )}
            <dl className="stat-row" aria-label="Queue figures">
              {QUEUE_FIGURES.map(([k, label]) => (
                <div key={k}>
                  <dt>{q.scope === 'organization' ? (ORG_LABELS[k] ?? label) : label}</dt>
                  <dd data-testid={`queue-${k}`}>{String(q[k])}</dd>
                </div>
              ))}
            </dl>
            {isOperator && q.canControl && (
              <div className="form-actions">
                {q.paused ? (
                  <Button variant="primary" busy={resume.isPending} onClick={() => resume.mutate()}>
                    Resume queue
                  </Button>
                ) : (
                  <Button onClick={() => setPausing(true)}>Pause queue</Button>
                )}
              </div>
            )}
            <FormError message={resume.error ? errorMessage(resume.error) : undefined} />
          </div>
        )}
      </QueryView>
      <ConfirmDialog
        open={pausing}
        title="Pause the run queue"
        confirmLabel="Pause queue"
        onClose={() => setPausing(false)}
        onConfirm={async () => queryClient.setQueryData(settingsKeys.queue, await settingsApi.queueAction('pause'))}
      >
        <p>Workers finish the runs they have and take no new ones, for every organization on this server, until the queue is resumed.</p>
      </ConfirmDialog>
    </section>
  );
}
