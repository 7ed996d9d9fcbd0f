import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ReactFlowProvider } from '@xyflow/react';
import { useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { useSession } from '../../auth/session';
import { Button } from '../../components/button';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { FormError } from '../../components/fields';
import { Breadcrumb, PageHeader } from '../../components/page-header';
import { ErrorState, Loading } from '../../components/states';
import { errorMessage } from '../../api/errors';
import { EDIT_ROLE, workflowKeys, workflowsApi, type Workflow } from './api';
import { Builder } from './builder/builder';
import './workflows.css';

/** `/workflows/:id`: the builder of one workflow, with archive and unarchive for admins. */
export function WorkflowPage() {
  const { id = '' } = useParams();
  const workflow = useQuery({
    queryKey: workflowKeys.detail(id),
    queryFn: ({ signal }) => workflowsApi.get(id, signal),
    // The builder keeps its own copy while editing: a refetch must not look like someone else's save.
    refetchOnWindowFocus: false,
    staleTime: Infinity,
  });

  if (workflow.isPending) return <Loading label="Loading the workflow…" />;
  if (workflow.isError)
    return (
      <>
        <Breadcrumb to="/workflows">Workflows</Breadcrumb>
        <PageHeader title="Workflow" />
        <ErrorState error={workflow.error} onRetry={() => void workflow.refetch()} title="Could not load this workflow" />
      </>
    );
  const w = workflow.data;
  return (
    <>
      <Breadcrumb to="/workflows">Workflows</Breadcrumb>
      <PageHeader title={w.name} description={w.description || undefined} actions={<ArchiveButton workflow={w} />} />
      <ReactFlowProvider>
        {/* A new identity (another workflow) starts a new builder: nothing of the last one's undo carries over. */}
        <Builder key={w.id} workflow={w} />
      </ReactFlowProvider>
    </>
  );
}

function ArchiveButton({ workflow }: { workflow: Workflow }) {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const unarchive = useMutation({
    mutationFn: () => workflowsApi.unarchive(workflow.id),
    onSuccess: (w) => {
      queryClient.setQueryData(workflowKeys.detail(workflow.id), w);
      void queryClient.invalidateQueries({ queryKey: ['workflows', 'list'] });
    },
  });
  if (!can(EDIT_ROLE)) return null;
  if (workflow.archivedAt !== null)
    return (
      <>
        <Button busy={unarchive.isPending} onClick={() => unarchive.mutate()}>
          Bring back
        </Button>
        {unarchive.isError && <FormError message={errorMessage(unarchive.error)} />}
      </>
    );
  return (
    <>
      <Button variant="danger" onClick={() => setOpen(true)}>
        Archive
      </Button>
      <ConfirmDialog
        open={open}
        title="Archive this workflow?"
        confirmLabel="Archive workflow"
        onClose={() => setOpen(false)}
        onConfirm={async () => {
          await workflowsApi.archive(workflow.id);
          await queryClient.invalidateQueries({ queryKey: workflowKeys.all });
          navigate('/workflows');
        }}
      >
        <p>It leaves the list and cannot be started, and its versions stay. You can bring it back later.</p>
      </ConfirmDialog>
    </>
  );
}
