import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { createPipelineBody } from '@server/pipelines/dto';
import { Button } from '../../components/button';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { FormError, SelectField, TextAreaField, TextField } from '../../components/fields';
import { Breadcrumb, PageHeader } from '../../components/page-header';
import { QueryView } from '../../components/states';
import { useZodForm } from '../../components/use-zod-form';
import { errorMessage } from '../../api/errors';
import { ASSIGNMENT_MODES, KIND_LABELS, MODE_LABELS, pipelineKeys, pipelinesApi, STAGE_KINDS, type Pipeline, type StageKind } from './api';
import './pipelines.css';

interface StageDraft {
  /** Existing stages keep their id (renamed, moved); new ones have none. */
  id?: string;
  /** React's key: stable while rows move. */
  key: string;
  name: string;
  kind: StageKind;
}

const formSchema = createPipelineBody.omit({ stages: true });
const modeOptions = ASSIGNMENT_MODES.map((m) => ({ value: m, label: MODE_LABELS[m] }));
const kindOptions = STAGE_KINDS.map((k) => ({ value: k, label: KIND_LABELS[k] }));
let nextKey = 0;
const draft = (name: string, kind: StageKind = 'open', id?: string): StageDraft => ({ id, key: `s${nextKey++}`, name, kind });
const DEFAULT_STAGES = [draft('New'), draft('Working'), draft('Won', 'done'), draft('Lost', 'lost')];

/** `/pipelines/new`: a new pipeline with its stages and assignment rule. */
export function NewPipelinePage() {
  return (
    <>
      <Breadcrumb to="/pipelines">Pipelines</Breadcrumb>
      <PageHeader title="New pipeline" description="Its stages in board order, and how a new item’s assignee is chosen." />
      <PipelineForm />
    </>
  );
}

/** `/pipelines/:id/edit`: rename, re-rule, add, rename, reorder and remove stages; archive or delete. */
export function EditPipelinePage() {
  const { id = '' } = useParams();
  const pipeline = useQuery({ queryKey: pipelineKeys.detail(id), queryFn: ({ signal }) => pipelinesApi.get(id, signal) });
  return (
    <>
      <Breadcrumb to={`/pipelines/${id}`}>Board</Breadcrumb>
      <PageHeader title={pipeline.data ? `Edit ${pipeline.data.name}` : 'Edit pipeline'} description="A stage that holds items cannot be removed: move its items first." />
      <QueryView query={pipeline} loadingLabel="Loading the pipeline…">
        {(p) => <PipelineForm key={p.id} pipeline={p} />}
      </QueryView>
    </>
  );
}

function PipelineForm({ pipeline }: { pipeline?: Pipeline }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [stages, setStages] = useState<StageDraft[]>(pipeline ? pipeline.stages.map((s) => draft(s.name, s.kind, s.id)) : DEFAULT_STAGES);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const form = useZodForm({
    schema: formSchema,
    initial: { name: pipeline?.name ?? '', description: pipeline?.description ?? '', assignment: { mode: pipeline?.assignment.mode ?? 'least_load', role: pipeline?.assignment.role ?? '' } },
    idPrefix: 'pipeline',
    submit: (body) => {
      const list = stages.map((s) => ({ ...(s.id ? { id: s.id } : {}), name: s.name, kind: s.kind }));
      return pipeline ? pipelinesApi.update(pipeline.id, { ...body, stages: list }) : pipelinesApi.create({ ...body, stages: list });
    },
    onSuccess: (saved) => {
      void queryClient.invalidateQueries({ queryKey: pipelineKeys.all });
      void navigate(`/pipelines/${saved.id}`);
    },
  });
  const archive = useMutation({
    mutationFn: (archived: boolean) => pipelinesApi.update(pipeline!.id, { archived }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: pipelineKeys.all }),
  });
  const change = (i: number, patch: Partial<StageDraft>) => setStages((list) => list.map((s, j) => (j === i ? { ...s, ...patch } : s)));
  const move = (i: number, by: -1 | 1) =>
    setStages((list) => {
      const next = [...list];
      [next[i], next[i + by]] = [next[i + by]!, next[i]!];
      return next;
    });
  return (
    <>
      <form onSubmit={form.handleSubmit} noValidate aria-label={pipeline ? `Edit ${pipeline.name}` : 'New pipeline'} className="stack">
        <TextField label="Name" required autoComplete="off" hint="E.g. “Sales Inquiries”: agents name it when they assign work." {...form.field('name')} />
        <TextAreaField label="Description" rows={2} hint="What goes into it: the decision prompt shows this." {...form.field('description')} />
        <fieldset>
          <legend>Stages, in board order</legend>
          <ol className="pipe-stage-rows">
            {stages.map((s, i) => (
              <li key={s.key} className="pipe-stage-row" data-stage-row={i}>
                <TextField label={`Stage ${i + 1} name`} id={`stage-${s.key}-name`} name={`stages.${i}.name`} required value={s.name} error={form.errorFor(`stages.${i}.name`)} onChange={(e) => change(i, { name: e.target.value })} />
                <div className="pipe-stage-kind">
                  <SelectField label={`Stage ${i + 1} kind`} id={`stage-${s.key}-kind`} options={kindOptions} value={s.kind} onChange={(e) => change(i, { kind: e.target.value as StageKind })} />
                </div>
                <Button className="btn-small" disabled={i === 0} onClick={() => move(i, -1)} aria-label={`Move stage ${s.name || i + 1} up`}>
                  ↑
                </Button>
                <Button className="btn-small" disabled={i === stages.length - 1} onClick={() => move(i, 1)} aria-label={`Move stage ${s.name || i + 1} down`}>
                  ↓
                </Button>
                <Button className="btn-small" disabled={stages.length === 1} onClick={() => setStages((list) => list.filter((_, j) => j !== i))} aria-label={`Remove stage ${s.name || i + 1}`}>
                  Remove
                </Button>
              </li>
            ))}
          </ol>
          <Button className="btn-small" onClick={() => setStages((list) => [...list, draft('')])}>
            Add a stage
          </Button>
          <p className="field-hint">Items in open stages count as their assignee’s load; done and lost stages end the work. New items start in the first open stage.</p>
        </fieldset>
        <SelectField label="Assignment" options={modeOptions} hint="Who gets a new item (an explicit assignee always wins; staff at their capacity are passed over)." {...form.field('assignment.mode')} />
        <TextField label="Among staff with the role" autoComplete="off" placeholder="sales" hint="A job role from the staff directory; empty: every active staff member." {...form.field('assignment.role')} />
        {/* A stage's own error shows on its row; the form's message would repeat it. */}
        <FormError message={stages.some((_, i) => form.errorFor(`stages.${i}.name`)) ? undefined : form.formError} />
        <div className="form-actions">
          <Button onClick={() => void navigate(pipeline ? `/pipelines/${pipeline.id}` : '/pipelines')}>Cancel</Button>
          <Button type="submit" variant="primary" busy={form.submitting}>
            {pipeline ? 'Save pipeline' : 'Create pipeline'}
          </Button>
        </div>
      </form>
      {pipeline && (
        <section className="stack" aria-label="Archive or delete">
          <h2>Archive or delete</h2>
          <p className="small muted">An archived pipeline keeps its items but takes no new ones, and agents no longer see it. Deleting it removes its items and their history.</p>
          <div className="form-actions">
            <Button busy={archive.isPending} onClick={() => archive.mutate(!pipeline.archivedAt)}>
              {pipeline.archivedAt ? 'Unarchive' : 'Archive'}
            </Button>
            <Button variant="danger" onClick={() => setConfirmDelete(true)}>
              Delete pipeline
            </Button>
          </div>
          <FormError message={archive.error ? errorMessage(archive.error) : undefined} />
          <ConfirmDialog
            open={confirmDelete}
            title={`Delete ${pipeline.name}?`}
            confirmLabel="Delete pipeline"
            onClose={() => setConfirmDelete(false)}
            onConfirm={async () => {
              await pipelinesApi.remove(pipeline.id);
              queryClient.removeQueries({ queryKey: pipelineKeys.detail(pipeline.id) });
              void queryClient.invalidateQueries({ queryKey: pipelineKeys.all });
              void navigate('/pipelines');
            }}
          >
            <p>Its {pipeline.stages.reduce((n, s) => n + s.itemCount, 0)} items and their history go with it. This cannot be undone.</p>
          </ConfirmDialog>
        </section>
      )}
    </>
  );
}
