import { useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type DragEvent } from 'react';
import { Link, useParams } from 'react-router';
import { z } from 'zod';
import { createItemBody } from '@server/pipelines/dto';
import { errorMessage } from '../../api/errors';
import type { Page } from '../../api/types';
import { useSession } from '../../auth/session';
import { Badge } from '../../components/badge';
import { Button } from '../../components/button';
import { Dialog } from '../../components/dialog';
import { FormError, SelectField, TextAreaField, TextField } from '../../components/fields';
import { Icon } from '../../components/icons';
import { Breadcrumb, PageHeader } from '../../components/page-header';
import { ErrorState, Loading, QueryView } from '../../components/states';
import { useZodForm } from '../../components/use-zod-form';
import { EDIT_ROLE, MODE_LABELS, pipelineKeys, pipelinesApi, PRIORITY_LABELS, READ_ROLE, staffQuery, type Item, type Pipeline, type Stage } from './api';
import { PriorityBadge } from './parts';
import '../../components/data-table.css';
import './pipelines.css';

const itemsOf = (pipelineId: string, stageId: string) => ({
  queryKey: pipelineKeys.items(pipelineId, stageId),
  queryFn: ({ signal }: { signal: AbortSignal }) => pipelinesApi.items(pipelineId, stageId, signal),
});

/**
 * `/pipelines/:id`: the board, one column per stage in board order, a card per item. A card moves
 * by dragging it to another column, or with its "Move to" select (keyboard, phone); either PATCHes
 * the item's stage, which goes into its history and is an event.
 */
export function BoardPage() {
  const { id = '' } = useParams();
  const { can } = useSession();
  const [adding, setAdding] = useState(false);
  const pipeline = useQuery({ queryKey: pipelineKeys.detail(id), queryFn: ({ signal }) => pipelinesApi.get(id, signal) });
  const p = pipeline.data;
  return (
    <>
      <Breadcrumb to="/pipelines">Pipelines</Breadcrumb>
      <PageHeader
        title={p?.name ?? 'Pipeline'}
        description={p ? `${p.description ? `${p.description} · ` : ''}${MODE_LABELS[p.assignment.mode]}${p.assignment.role ? ` among “${p.assignment.role}”` : ''}` : undefined}
        actions={
          p && (
            <>
              {can(EDIT_ROLE) && (
                <Link className="btn btn-secondary" to={`/pipelines/${p.id}/edit`}>
                  Edit pipeline
                </Link>
              )}
              {can(READ_ROLE) && !p.archivedAt && (
                <Button variant="primary" onClick={() => setAdding(true)}>
                  <Icon name="plus" size={16} /> Add item
                </Button>
              )}
            </>
          )
        }
      />
      <QueryView query={pipeline} loadingLabel="Loading the board…">
        {(data) => (
          <>
            {data.archivedAt && <p className="notice">This pipeline is archived: it takes no new items.</p>}
            <Board pipeline={data} />
            <AddItemDialog pipeline={data} open={adding} onClose={() => setAdding(false)} />
          </>
        )}
      </QueryView>
    </>
  );
}

interface Move {
  item: Item;
  from: Stage;
  to: Stage;
}

function Board({ pipeline }: { pipeline: Pipeline }) {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const stages = pipeline.stages;
  const columns = useQueries({ queries: stages.map((s) => itemsOf(pipeline.id, s.id)) });
  const [announce, setAnnounce] = useState('');
  const [dragOver, setDragOver] = useState<string | null>(null);
  const editable = can(READ_ROLE);

  const move = useMutation({
    mutationFn: (m: Move) => pipelinesApi.updateItem(m.item.id, { stageId: m.to.id }),
    onMutate: async (m) => {
      // Optimistic: the card changes column at once; the server's answer (or a refetch) follows.
      await queryClient.cancelQueries({ queryKey: ['pipelines', 'items', pipeline.id] });
      const shift = (stageId: string, change: (page: Page<Item>) => Page<Item>) => queryClient.setQueryData<Page<Item>>(pipelineKeys.items(pipeline.id, stageId), (page) => (page ? change(page) : page));
      shift(m.from.id, (pg) => ({ ...pg, items: pg.items.filter((i) => i.id !== m.item.id), total: pg.total - 1 }));
      shift(m.to.id, (pg) => ({ ...pg, items: [{ ...m.item, stageId: m.to.id }, ...pg.items], total: pg.total + 1 }));
      setAnnounce(`Moving ${m.item.title} to ${m.to.name}…`);
    },
    onSuccess: (updated, m) => {
      queryClient.setQueryData(pipelineKeys.item(updated.id), updated);
      setAnnounce(`Moved ${m.item.title} to ${m.to.name}.`);
    },
    onError: (_err, m) => setAnnounce(`${m.item.title} could not be moved; it stays in ${m.from.name}.`),
    onSettled: (_data, _err, m) => {
      void queryClient.invalidateQueries({ queryKey: pipelineKeys.items(pipeline.id, m.from.id) });
      void queryClient.invalidateQueries({ queryKey: pipelineKeys.items(pipeline.id, m.to.id) });
      void queryClient.invalidateQueries({ queryKey: pipelineKeys.detail(pipeline.id) });
    },
  });

  const onDrop = (e: DragEvent, to: Stage) => {
    e.preventDefault();
    setDragOver(null);
    const [itemId, fromId] = e.dataTransfer.getData('text/plain').split(' ');
    const from = stages.find((s) => s.id === fromId);
    const item = columns[stages.findIndex((s) => s.id === fromId)]?.data?.items.find((i) => i.id === itemId);
    if (!from || !item || from.id === to.id) return;
    move.mutate({ item, from, to });
  };

  return (
    <>
      <p role="status" className="visually-hidden">
        {announce}
      </p>
      <FormError message={move.error ? `Could not move the item: ${errorMessage(move.error)}` : undefined} />
      <div className="pipe-board">
        {stages.map((stage, i) => {
          const column = columns[i]!;
          return (
            <section
              key={stage.id}
              className={`pipe-column${dragOver === stage.id ? ' pipe-drop' : ''}`}
              aria-labelledby={`stage-${stage.id}`}
              data-stage={stage.name}
              onDragOver={
                editable
                  ? (e) => {
                      e.preventDefault();
                      e.dataTransfer.dropEffect = 'move';
                      setDragOver(stage.id);
                    }
                  : undefined
              }
              onDragLeave={(e) => {
                if (!e.currentTarget.contains(e.relatedTarget as Node | null)) setDragOver(null);
              }}
              onDrop={editable ? (e) => onDrop(e, stage) : undefined}
            >
              <h2 id={`stage-${stage.id}`} className="pipe-column-title">
                <span>
                  {stage.name} {stage.kind !== 'open' && <Badge tone={stage.kind === 'done' ? 'success' : 'neutral'}>{stage.kind}</Badge>}
                </span>
                <span className="pipe-column-count">
                  {column.data?.total ?? '…'}
                  <span className="visually-hidden"> {column.data?.total === 1 ? 'item' : 'items'}</span>
                </span>
              </h2>
              {column.isPending ? (
                <Loading quiet label={`Loading ${stage.name}…`} />
              ) : !column.data ? (
                <ErrorState error={column.error} onRetry={() => void column.refetch()} />
              ) : column.data.items.length === 0 ? (
                <p className="muted small">No items</p>
              ) : (
                <ul className="pipe-cards" aria-label={`Items in ${stage.name}`}>
                  {column.data.items.map((item) => (
                    <ItemCard key={item.id} item={item} stage={stage} stages={stages} editable={editable} onMove={(to) => move.mutate({ item, from: stage, to })} />
                  ))}
                </ul>
              )}
              {column.data && column.data.total > column.data.items.length && <p className="small muted">and {column.data.total - column.data.items.length} more (the most recently changed are shown)</p>}
            </section>
          );
        })}
      </div>
    </>
  );
}

function ItemCard({ item, stage, stages, editable, onMove }: { item: Item; stage: Stage; stages: Stage[]; editable: boolean; onMove: (to: Stage) => void }) {
  const selectId = `move-${item.id}`;
  return (
    <li
      className="pipe-card"
      data-item={item.title}
      draggable={editable}
      onDragStart={(e) => {
        e.dataTransfer.setData('text/plain', `${item.id} ${stage.id}`);
        e.dataTransfer.effectAllowed = 'move';
      }}
    >
      <Link to={`/pipelines/items/${item.id}`} className="pipe-card-title">
        {item.title}
      </Link>
      <span className="pipe-card-meta">
        <PriorityBadge priority={item.priority} />
        <span className="small">{item.assignee ? item.assignee.name : <span className="muted">Unassigned</span>}</span>
      </span>
      {(item.contact.name || item.contact.email || item.contact.phone) && <span className="muted small">{[item.contact.name, item.contact.email, item.contact.phone].filter(Boolean).join(' · ')}</span>}
      {editable && (
        <span className="pipe-move">
          <label htmlFor={selectId}>Move to</label>
          <select
            id={selectId}
            value=""
            aria-label={`Move ${item.title} to`}
            onChange={(e) => {
              const to = stages.find((s) => s.id === e.target.value);
              if (to) onMove(to);
            }}
          >
            <option value="">…</option>
            {stages
              .filter((s) => s.id !== stage.id)
              .map((s) => (
                <option key={s.id} value={s.id}>
                  {s.name}
                </option>
              ))}
          </select>
        </span>
      )}
    </li>
  );
}

/** The server's item body, with the form's text for the priority and "nobody" as an assignee choice. */
const addSchema = createItemBody.extend({
  priority: z.coerce.number().int().min(1).max(5),
  assigneeId: z.string().optional(),
});
const NOBODY = 'nobody';

function AddItemDialog({ pipeline, open, onClose }: { pipeline: Pipeline; open: boolean; onClose: () => void }) {
  const queryClient = useQueryClient();
  const staff = useQuery(staffQuery);
  const form = useZodForm({
    schema: addSchema,
    initial: { title: '', summary: '', priority: '3', stageId: '', assigneeId: '', contact: { name: '', email: '', phone: '' } },
    idPrefix: 'new-item',
    submit: ({ assigneeId, ...body }) => pipelinesApi.addItem(pipeline.id, { ...body, ...(assigneeId === NOBODY ? { assigneeId: null } : assigneeId ? { assigneeId } : {}) }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: ['pipelines', 'items', pipeline.id] });
      void queryClient.invalidateQueries({ queryKey: pipelineKeys.detail(pipeline.id) });
      close();
    },
  });
  const close = () => {
    form.reset();
    onClose();
  };
  const stageOptions = [{ value: '', label: 'The first open stage' }, ...pipeline.stages.map((s) => ({ value: s.id, label: s.name }))];
  const staffOptions = [
    { value: '', label: 'The pipeline’s rule chooses' },
    { value: NOBODY, label: 'Nobody for now' },
    ...(staff.data?.items.filter((s) => s.active).map((s) => ({ value: s.id, label: `${s.name}${s.roles.length ? ` (${s.roles.join(', ')})` : ''}` })) ?? []),
  ];
  return (
    <Dialog open={open} onClose={close} title={`Add an item to ${pipeline.name}`}>
      <form onSubmit={form.handleSubmit} noValidate aria-label="New item">
        <TextField label="Title" required autoFocus autoComplete="off" {...form.field('title')} />
        <TextAreaField label="Summary" rows={3} {...form.field('summary')} />
        <SelectField label="Priority" options={[1, 2, 3, 4, 5].map((n) => ({ value: String(n), label: `${n}: ${PRIORITY_LABELS[n]}` }))} {...form.field('priority')} />
        <SelectField label="Stage" options={stageOptions} {...form.field('stageId')} />
        <SelectField label="Assignee" options={staffOptions} {...form.field('assigneeId')} />
        <TextField label="Contact name" autoComplete="off" {...form.field('contact.name')} />
        <TextField label="Contact email" type="email" autoComplete="off" {...form.field('contact.email')} />
        <TextField label="Contact phone" type="tel" autoComplete="off" {...form.field('contact.phone')} />
        <FormError message={form.formError} />
        <div className="form-actions">
          <Button onClick={close}>Cancel</Button>
          <Button type="submit" variant="primary" busy={form.submitting}>
            Add item
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

