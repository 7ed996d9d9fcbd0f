import { useMutation, useQueries, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState, type DragEvent } from 'react';
import { Link } from 'react-router';
import { errorMessage } from '../../../api/errors';
import type { Page } from '../../../api/types';
import { useSession } from '../../../auth/session';
import { Badge } from '../../../components/badge';
import { FormError } from '../../../components/fields';
import { PageHeader } from '../../../components/page-header';
import { EmptyState, ErrorState, Loading } from '../../../components/states';
import { gymApi, gymKeys, lookups, type Contact, type LeadStage } from '../api';
import { day, fullName, label, tone } from '../format';
import '../gym.css';

/** Cards shown per column; the rest are a link to the members list filtered by the stage. */
const PER_STAGE = 50;
const leadsOf = (stageId: string) => ({
  queryKey: gymKeys.leads(stageId),
  queryFn: ({ signal }: { signal: AbortSignal }) => gymApi.contacts({ kind: 'lead', leadStageId: stageId, limit: PER_STAGE, sortBy: 'updatedAt', sortOrder: 'desc' }, signal),
});

interface Move {
  contact: Contact;
  from: LeadStage;
  to: LeadStage;
  /** The button that moved it (keyboard): focus goes to the same button on the moved card. */
  via?: 'back' | 'forward';
}

/**
 * `/gym/pipeline`: the lead pipeline as a board, one column per stage in board order, a card per
 * lead (status lead or trial). A card moves with its "back" and "forward" buttons (keyboard) or by
 * dragging it to another column; either PATCHes the lead's stage.
 */
export function PipelinePage() {
  const stages = useQuery(lookups.stages);
  return (
    <>
      <PageHeader title="Lead pipeline" description="Leads and trials by stage. Move a card with its arrow buttons, or drag it to another column." />
      {stages.isPending ? (
        <Loading label="Loading the pipeline…" />
      ) : !stages.data ? (
        <ErrorState error={stages.error} onRetry={() => void stages.refetch()} />
      ) : stages.data.length === 0 ? (
        <EmptyState title="No pipeline stages yet">
          <p>
            Stages are the board's columns (New, Contacted, Trial booked, …). Add them through the API (<code>POST /api/v1/fitness/lead-stages</code>), or fill the organization with the demo gym from{' '}
            <Link to="/gym/members">Members and leads</Link>.
          </p>
        </EmptyState>
      ) : (
        <Board stages={[...stages.data].sort((a, b) => a.position - b.position || a.name.localeCompare(b.name))} />
      )}
    </>
  );
}

function Board({ stages }: { stages: LeadStage[] }) {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const columns = useQueries({ queries: stages.map((s) => leadsOf(s.id)) });
  const allLeads = useQuery({ queryKey: gymKeys.contacts({ kind: 'lead', limit: 1 }), queryFn: ({ signal }) => gymApi.contacts({ kind: 'lead', limit: 1 }, signal) });
  const [announce, setAnnounce] = useState('');
  const [focusRequest, setFocusRequest] = useState<{ contactId: string; via: 'back' | 'forward' } | null>(null);
  const [dragOver, setDragOver] = useState<string | null>(null);
  const editable = can('member');

  const move = useMutation({
    mutationFn: (m: Move) => gymApi.updateContact(m.contact.id, { leadStageId: m.to.id }),
    onMutate: async (m) => {
      // Optimistic: the card changes column at once; the server's answer (or a refetch) follows.
      await queryClient.cancelQueries({ queryKey: ['gym', 'leads'] });
      const shift = (stageId: string, change: (page: Page<Contact>) => Page<Contact>) =>
        queryClient.setQueryData<Page<Contact>>(gymKeys.leads(stageId), (page) => (page ? change(page) : page));
      shift(m.from.id, (p) => ({ ...p, items: p.items.filter((c) => c.id !== m.contact.id), total: p.total - 1 }));
      shift(m.to.id, (p) => ({ ...p, items: [{ ...m.contact, leadStageId: m.to.id }, ...p.items], total: p.total + 1 }));
      if (m.via) setFocusRequest({ contactId: m.contact.id, via: m.via });
      setAnnounce(`Moving ${fullName(m.contact)} to ${m.to.name}…`);
    },
    onSuccess: (updated, m) => {
      queryClient.setQueryData(gymKeys.contact(updated.id), updated);
      setAnnounce(`Moved ${fullName(m.contact)} to ${m.to.name}.`);
    },
    onError: (_err, m) => setAnnounce(`${fullName(m.contact)} could not be moved; it stays in ${m.from.name}.`),
    onSettled: (_data, _err, m) => {
      void queryClient.invalidateQueries({ queryKey: gymKeys.leads(m.from.id) });
      void queryClient.invalidateQueries({ queryKey: gymKeys.leads(m.to.id) });
      void queryClient.invalidateQueries({ queryKey: ['gym', 'contacts'] });
    },
  });

  const onDrop = (e: DragEvent, to: LeadStage) => {
    e.preventDefault();
    setDragOver(null);
    const [contactId, fromId] = e.dataTransfer.getData('text/plain').split(' ');
    const from = stages.find((s) => s.id === fromId);
    const contact = columns[stages.findIndex((s) => s.id === fromId)]?.data?.items.find((c) => c.id === contactId);
    if (!from || !contact || from.id === to.id) return;
    move.mutate({ contact, from, to });
  };

  const inStages = columns.reduce((n, c) => n + (c.data?.total ?? 0), 0);
  const withoutStage = allLeads.data && columns.every((c) => c.data) ? allLeads.data.total - inStages : 0;
  return (
    <>
      <p role="status" className="visually-hidden">
        {announce}
      </p>
      <FormError message={move.error ? `Could not move the lead: ${errorMessage(move.error)}` : undefined} />
      {withoutStage > 0 && (
        <p className="muted small">
          {withoutStage} {withoutStage === 1 ? 'lead has' : 'leads have'} no stage yet: set it on their profile (<Link to="/gym/members?kind=lead">all leads</Link>).
        </p>
      )}
      <div className="gym-board">
        {stages.map((stage, i) => {
          const column = columns[i]!;
          return (
            <section
              key={stage.id}
              className={`gym-column${dragOver === stage.id ? ' gym-drop' : ''}`}
              aria-labelledby={`stage-${stage.id}`}
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
              <h2 id={`stage-${stage.id}`} className="gym-column-title">
                <span>{stage.name}</span>
                <span className="gym-column-count">
                  {column.data?.total ?? '…'}
                  <span className="visually-hidden"> {column.data?.total === 1 ? 'lead' : 'leads'}</span>
                </span>
              </h2>
              {stage.isWon && <p className="muted small gym-column-note">Joined</p>}
              {stage.isLost && <p className="muted small gym-column-note">Not coming</p>}
              {column.isPending ? (
                <Loading quiet label={`Loading ${stage.name}…`} />
              ) : !column.data ? (
                <ErrorState error={column.error} onRetry={() => void column.refetch()} />
              ) : column.data.items.length === 0 ? (
                <p className="muted small gym-column-empty">No leads</p>
              ) : (
                <ul className="gym-cards" aria-label={`Leads in ${stage.name}`}>
                  {column.data.items.map((c) => (
                    <LeadCard
                      key={c.id}
                      contact={c}
                      back={stages[i - 1]}
                      forward={stages[i + 1]}
                      editable={editable}
                      focusRequest={focusRequest?.contactId === c.id ? focusRequest.via : null}
                      onFocused={() => setFocusRequest(null)}
                      onMove={(to, via) => move.mutate({ contact: c, from: stage, to, via })}
                      stageId={stage.id}
                    />
                  ))}
                </ul>
              )}
              {column.data && column.data.total > column.data.items.length && (
                <p className="small">
                  <Link to={`/gym/members?kind=lead&stage=${stage.id}`}>All {column.data.total} in {stage.name}</Link>
                </p>
              )}
            </section>
          );
        })}
      </div>
    </>
  );
}

function LeadCard({
  contact: c,
  back,
  forward,
  editable,
  focusRequest,
  onFocused,
  onMove,
  stageId,
}: {
  contact: Contact;
  back: LeadStage | undefined;
  forward: LeadStage | undefined;
  editable: boolean;
  focusRequest: 'back' | 'forward' | null;
  onFocused: () => void;
  onMove: (to: LeadStage, via: 'back' | 'forward') => void;
  stageId: string;
}) {
  const backRef = useRef<HTMLButtonElement>(null);
  const forwardRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (!focusRequest) return;
    // The same button again where there is one (another step the same way), else the other.
    const target = focusRequest === 'back' ? (backRef.current ?? forwardRef.current) : (forwardRef.current ?? backRef.current);
    target?.focus();
    onFocused();
  }, [focusRequest, onFocused]);
  const name = fullName(c);
  return (
    <li
      className="gym-card"
      draggable={editable}
      onDragStart={(e) => {
        e.dataTransfer.setData('text/plain', `${c.id} ${stageId}`);
        e.dataTransfer.effectAllowed = 'move';
      }}
    >
      <Link to={`/gym/members/${c.id}`} className="gym-card-name">
        {name}
      </Link>
      <span className="gym-card-meta">
        <Badge tone={tone(c.status)}>{label(c.status)}</Badge>
        {c.source && <span className="muted small">{label(c.source)}</span>}
      </span>
      <span className="muted small">Since {day(c.createdAt)}</span>
      {editable && (back || forward) && (
        <span className="gym-card-moves">
          {back ? (
            <button ref={backRef} type="button" className="btn btn-small btn-ghost" aria-label={`Move ${name} back to ${back.name}`} title={`Back to ${back.name}`} onClick={() => onMove(back, 'back')}>
              <span aria-hidden="true">←</span>
            </button>
          ) : (
            <span />
          )}
          {forward && (
            <button ref={forwardRef} type="button" className="btn btn-small btn-ghost" aria-label={`Move ${name} to ${forward.name}`} title={`To ${forward.name}`} onClick={() => onMove(forward, 'forward')}>
              <span aria-hidden="true">→</span>
            </button>
          )}
        </span>
      )}
    </li>
  );
}
