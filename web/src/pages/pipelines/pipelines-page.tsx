import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { useSession } from '../../auth/session';
import { Badge } from '../../components/badge';
import { Icon } from '../../components/icons';
import { EmptyState, QueryView } from '../../components/states';
import { EDIT_ROLE, MODE_LABELS, pipelineKeys, pipelinesApi } from './api';
import { PipelinesHeader } from './parts';

/** `/pipelines`: every pipeline with its stages, how many items each holds, and its assignment rule. */
export function PipelinesPage() {
  const { can } = useSession();
  const [archived, setArchived] = useState<'false' | 'true'>('false');
  const list = useQuery({ queryKey: pipelineKeys.list(archived), queryFn: ({ signal }) => pipelinesApi.list(archived, signal) });
  const newLink = (
    <Link className="btn btn-primary" to="/pipelines/new">
      <Icon name="plus" size={16} /> New pipeline
    </Link>
  );
  return (
    <>
      <PipelinesHeader title="Pipelines" description="Work moving through stages: intakes, leads, requests. New items go to staff by role and load." actions={can(EDIT_ROLE) && newLink} />
      <p className="small">
        <label>
          <input type="checkbox" checked={archived === 'true'} onChange={(e) => setArchived(e.target.checked ? 'true' : 'false')} /> Show archived pipelines instead
        </label>
      </p>
      <QueryView
        query={list}
        loadingLabel="Loading pipelines…"
        isEmpty={(d) => d.items.length === 0}
        empty={
          <EmptyState title={archived === 'true' ? 'No archived pipelines' : 'No pipelines yet'} action={archived === 'false' && can(EDIT_ROLE) && newLink}>
            <p>A pipeline has stages (New, Working, Won, …); agents and people put items into it, and its rule picks who works on each.</p>
          </EmptyState>
        }
      >
        {(data) => (
          <ul className="pipe-list" aria-label="Pipelines">
            {data.items.map((p) => {
              const open = p.stages.filter((s) => s.kind === 'open').reduce((n, s) => n + s.itemCount, 0);
              return (
                <li key={p.id} className="pipe-summary" data-pipeline={p.name}>
                  <h2>
                    <Link to={`/pipelines/${p.id}`}>{p.name}</Link> {p.archivedAt && <Badge tone="neutral">archived</Badge>}
                  </h2>
                  {p.description && <p className="muted small">{p.description}</p>}
                  <ul className="pipe-stage-chips" aria-label={`Stages of ${p.name}`}>
                    {p.stages.map((s) => (
                      <li key={s.id}>
                        <Badge tone={s.kind === 'open' ? 'info' : s.kind === 'done' ? 'success' : 'neutral'}>
                          {s.name} · {s.itemCount}
                        </Badge>
                      </li>
                    ))}
                  </ul>
                  <p className="small muted">
                    {open} open {open === 1 ? 'item' : 'items'} · {MODE_LABELS[p.assignment.mode].split(':')[0]}
                    {p.assignment.role ? ` among “${p.assignment.role}”` : ''}
                  </p>
                  {can(EDIT_ROLE) && (
                    <p className="small">
                      <Link to={`/pipelines/${p.id}/edit`}>Edit {p.name}</Link>
                    </p>
                  )}
                </li>
              );
            })}
          </ul>
        )}
      </QueryView>
    </>
  );
}
