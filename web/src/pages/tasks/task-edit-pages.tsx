import { useQuery } from '@tanstack/react-query';
import { useParams, useSearchParams } from 'react-router';
import { PageHeader } from '../../components/page-header';
import { QueryView } from '../../components/states';
import { tasksApi } from './api';
import { TaskForm } from './task-form';
import '../runs/runs.css';

/** `/tasks/new` (`?kind=scheduled` starts with the cron builder open). */
export function NewTaskPage() {
  const [params] = useSearchParams();
  return (
    <>
      <PageHeader title="New task" description="Work for an agent: run it when you like, or on a schedule." />
      <TaskForm initialKind={params.get('kind') === 'scheduled' ? 'scheduled' : 'adhoc'} />
    </>
  );
}

/** `/tasks/:id/edit`. */
export function EditTaskPage() {
  const { id = '' } = useParams();
  const task = useQuery({ queryKey: ['tasks', 'detail', id], queryFn: ({ signal }) => tasksApi.get(id, signal) });
  return (
    <>
      <PageHeader title={task.data ? `Edit ${task.data.title}` : 'Edit task'} />
      <QueryView query={task} loadingLabel="Loading the task…">
        {(t) => <TaskForm key={t.id} task={t} />}
      </QueryView>
    </>
  );
}
