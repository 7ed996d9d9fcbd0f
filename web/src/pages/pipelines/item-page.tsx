import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Link, useParams } from 'react-router';
import { z } from 'zod';
import { updateItemBody } from '@server/pipelines/dto';
import { Button } from '../../components/button';
import { FormError, SelectField, TextField } from '../../components/fields';
import { Breadcrumb, PageHeader } from '../../components/page-header';
import { QueryView } from '../../components/states';
import { useZodForm } from '../../components/use-zod-form';
import { useSession } from '../../auth/session';
import { pipelineKeys, pipelinesApi, PRIORITY_LABELS, READ_ROLE, staffQuery, type ItemWithHistory, type Pipeline } from './api';
import { PriorityBadge, when } from './parts';
import '../runs/runs.css';
import './pipelines.css';

/** `/pipelines/items/:id`: an item, its contact and data, where it is, who has it, and its history. */
export function ItemPage() {
  const { id = '' } = useParams();
  const item = useQuery({ queryKey: pipelineKeys.item(id), queryFn: ({ signal }) => pipelinesApi.item(id, signal) });
  const pipelineId = item.data?.pipelineId ?? '';
  const pipeline = useQuery({ queryKey: pipelineKeys.detail(pipelineId), queryFn: ({ signal }) => pipelinesApi.get(pipelineId, signal), enabled: !!pipelineId });
  return (
    <>
      <Breadcrumb to={pipelineId ? `/pipelines/${pipelineId}` : '/pipelines'}>{item.data?.pipelineName ?? 'Pipelines'}</Breadcrumb>
      <PageHeader title={item.data?.title ?? 'Item'} />
      <QueryView query={item} loadingLabel="Loading the item…">
        {(data) => <ItemDetails item={data} pipeline={pipeline.data} />}
      </QueryView>
    </>
  );
}

function ItemDetails({ item, pipeline }: { item: ItemWithHistory; pipeline: Pipeline | undefined }) {
  const { can } = useSession();
  const stageName = pipeline?.stages.find((s) => s.id === item.stageId)?.name ?? [...item.history].reverse().find((h) => h.toStage)?.toStage?.name ?? '…';
  const contact = [item.contact.name, item.contact.email, item.contact.phone].filter(Boolean).join(' · ');
  return (
    <div className="pipe-item-grid">
      <div className="stack">
        <dl className="facts">
          <dt>Stage</dt>
          <dd data-testid="item-stage">{stageName}</dd>
          <dt>Assignee</dt>
          <dd>{item.assignee ? `${item.assignee.name}${item.assignee.email ? ` <${item.assignee.email}>` : ''}` : 'Unassigned'}</dd>
          <dt>Priority</dt>
          <dd>
            <PriorityBadge priority={item.priority} />
          </dd>
          <dt>Contact</dt>
          <dd>{contact || <span className="muted">—</span>}</dd>
          <dt>Created</dt>
          <dd>
            {when(item.createdAt)} by {item.createdBy.kind}
          </dd>
          {item.sourceEventId && (
            <>
              <dt>From event</dt>
              <dd>
                <Link to={`/events?event=${item.sourceEventId}`}>{item.sourceEventId.slice(0, 8)}</Link>
              </dd>
            </>
          )}
        </dl>
        {item.summary && <p className="pipe-data">{item.summary}</p>}
        {Object.keys(item.data).length > 0 && (
          <details>
            <summary>Data</summary>
            <pre className="pipe-data">{JSON.stringify(item.data, null, 2)}</pre>
          </details>
        )}
        <section aria-labelledby="item-history">
          <h2 id="item-history">History</h2>
          <ol className="pipe-history" aria-label="History, oldest first">
            {item.history.map((h) => (
              <li key={h.id} data-history>
                <span className="small muted">{when(h.at)} · {h.actor.kind}</span>
                <br />
                {h.fromStage === null && h.toStage ? `Created in ${h.toStage.name}` : h.toStage ? `Moved from ${h.fromStage?.name ?? '?'} to ${h.toStage.name}` : null}
                {h.toStage && (h.toAssignee || h.fromAssignee) ? '; ' : null}
                {h.toAssignee ? `assigned to ${h.toAssignee.name}` : h.fromAssignee ? `unassigned from ${h.fromAssignee.name}` : null}
                {h.note && <span className="muted"> — {h.note}</span>}
              </li>
            ))}
          </ol>
        </section>
      </div>
      {can(READ_ROLE) && pipeline && <MoveForm key={`${item.id}-${item.updatedAt}`} item={item} pipeline={pipeline} />}
    </div>
  );
}

const moveSchema = updateItemBody.extend({ priority: z.coerce.number().int().min(1).max(5).optional(), assigneeId: z.string().optional() });
const NOBODY = 'nobody';

/** Move, (re)assign and reprioritize, with a note for the history. */
function MoveForm({ item, pipeline }: { item: ItemWithHistory; pipeline: Pipeline }) {
  const queryClient = useQueryClient();
  const staff = useQuery(staffQuery);
  const form = useZodForm({
    schema: moveSchema,
    initial: { stageId: item.stageId, assigneeId: item.assignee?.id ?? NOBODY, priority: String(item.priority), note: '' },
    idPrefix: 'move',
    submit: ({ assigneeId, ...body }) => pipelinesApi.updateItem(item.id, { ...body, assigneeId: assigneeId === NOBODY || !assigneeId ? null : assigneeId }),
    onSuccess: (saved) => {
      queryClient.setQueryData(pipelineKeys.item(item.id), saved);
      void queryClient.invalidateQueries({ queryKey: ['pipelines', 'items', pipeline.id] });
      void queryClient.invalidateQueries({ queryKey: pipelineKeys.detail(pipeline.id) });
    },
  });
  const people = staff.data?.items.filter((s) => s.active || s.id === item.assignee?.id) ?? [];
  const staffOptions = [{ value: NOBODY, label: 'Nobody' }, ...people.map((s) => ({ value: s.id, label: s.name }))];
  if (item.assignee && !people.some((s) => s.id === item.assignee!.id)) staffOptions.push({ value: item.assignee.id, label: item.assignee.name });
  return (
    <form onSubmit={form.handleSubmit} noValidate aria-label="Move or assign" className="stack">
      <h2>Move or assign</h2>
      <SelectField label="Stage" options={pipeline.stages.map((s) => ({ value: s.id, label: s.name }))} {...form.field('stageId')} />
      <SelectField label="Assignee" options={staffOptions} {...form.field('assigneeId')} />
      <SelectField label="Priority" options={[1, 2, 3, 4, 5].map((n) => ({ value: String(n), label: `${n}: ${PRIORITY_LABELS[n]}` }))} {...form.field('priority')} />
      <TextField label="Note" autoComplete="off" hint="Kept in the history with a stage or assignee change." {...form.field('note')} />
      <FormError message={form.formError} />
      <div className="form-actions">
        <Button type="submit" variant="primary" busy={form.submitting}>
          Save
        </Button>
      </div>
    </form>
  );
}
