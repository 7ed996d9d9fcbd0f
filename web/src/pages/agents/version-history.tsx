import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage } from '../../api/errors';
import { useSession } from '../../auth/session';
import { Badge } from '../../components/badge';
import { Button } from '../../components/button';
import { Dialog } from '../../components/dialog';
import { EmptyState, ErrorState, Loading, QueryView } from '../../components/states';
import { agentKeys, agentsApi, type Agent, type VersionComparison } from './api';
import { formatDateTime, formatMicros } from './format';

/**
 * The agent's versions, newest first. Choosing one shows what changed from the version before it
 * (or between any two); admins restore an older one, which becomes a new version.
 */
export function VersionHistory({ agent }: { agent: Agent }) {
  const versions = useQuery({ queryKey: [...agentKeys.versions(agent.id), agent.version], queryFn: ({ signal }) => agentsApi.versions(agent.id, signal) });
  const [picked, setPicked] = useState<{ from: number; to: number } | null>(null);
  // Default: the latest change (the version before the current one → the current one).
  const to = picked?.to ?? agent.version;
  const from = picked?.from ?? Math.max(1, to - 1);

  return (
    <div className="versions-layout">
      <section className="card" aria-labelledby="versions-heading">
        <h2 id="versions-heading">History</h2>
        <QueryView query={versions} loadingLabel="Loading versions…">
          {({ items, complete }) => (
            <>
              <ol className="version-list" aria-label="Versions">
                {items.map((v) => {
                  const selected = v.version === to && (v.version === 1 ? from === 1 : from === v.version - 1);
                  return (
                    <li key={v.version} className={`version-row${selected ? ' version-row-selected' : ''}`}>
                      <div className="version-main">
                        <strong>v{v.version}</strong>
                        {v.version === agent.version && <Badge tone="success">current</Badge>}
                        <span>{v.changeNote || <span className="muted">No note</span>}</span>
                      </div>
                      <div className="muted small">{formatDateTime(v.createdAt)}</div>
                      {v.changedFields.length > 0 && (
                        <ul className="tag-list" aria-label={`Fields changed in version ${v.version}`}>
                          {v.changedFields.map((f) => (
                            <li key={f}>
                              <Badge>{f}</Badge>
                            </li>
                          ))}
                        </ul>
                      )}
                      {v.version > 1 && (
                        <Button
                          className="btn-small"
                          aria-pressed={selected}
                          aria-label={`Show changes in version ${v.version}`}
                          onClick={() => setPicked({ from: v.version - 1, to: v.version })}
                        >
                          Changes
                        </Button>
                      )}
                      {v.version !== agent.version && <RestoreButton agent={agent} version={v.version} />}
                    </li>
                  );
                })}
              </ol>
              {!complete && <p className="muted small">Older versions are not shown.</p>}
            </>
          )}
        </QueryView>
      </section>
      <section className="card" aria-labelledby="diff-heading">
        <h2 id="diff-heading">
          Changes from v{from} to v{to}
        </h2>
        {agent.version === 1 ? (
          <EmptyState title="Only one version">
            <p>Edit the agent to start its history.</p>
          </EmptyState>
        ) : (
          <>
            <ComparePicker latest={agent.version} from={from} to={to} onChange={setPicked} />
            <VersionDiff agentId={agent.id} from={from} to={to} />
          </>
        )}
      </section>
    </div>
  );
}

function ComparePicker({ latest, from, to, onChange }: { latest: number; from: number; to: number; onChange: (p: { from: number; to: number }) => void }) {
  const numbers = Array.from({ length: latest }, (_, i) => latest - i);
  return (
    <div className="compare-picker">
      <div className="field">
        <label htmlFor="compare-from">From</label>
        <select id="compare-from" value={from} onChange={(e) => onChange({ from: Number(e.target.value), to })}>
          {numbers.map((n) => (
            <option key={n} value={n}>
              v{n}
            </option>
          ))}
        </select>
      </div>
      <div className="field">
        <label htmlFor="compare-to">To</label>
        <select id="compare-to" value={to} onChange={(e) => onChange({ from, to: Number(e.target.value) })}>
          {numbers.map((n) => (
            <option key={n} value={n}>
              v{n}
            </option>
          ))}
        </select>
      </div>
    </div>
  );
}

function VersionDiff({ agentId, from, to }: { agentId: string; from: number; to: number }) {
  const diff = useQuery({ queryKey: agentKeys.compare(agentId, from, to), queryFn: ({ signal }) => agentsApi.compare(agentId, from, to, signal) });
  if (diff.isPending) return <Loading label="Comparing…" />;
  if (diff.isError) return <ErrorState error={diff.error} onRetry={() => void diff.refetch()} />;
  return <DiffTable comparison={diff.data} />;
}

/** A value of a snapshot as people read it. */
function show(field: string, value: unknown): string {
  if (value === null || value === undefined) return field.endsWith('monthlyBudgetMicros') ? 'none' : '(not set)';
  if (field.endsWith('Micros') && typeof value === 'number') return formatMicros(value);
  if (Array.isArray(value)) return value.length ? value.join(', ') : '(none)';
  if (typeof value === 'string') return value === '' ? '(empty)' : value;
  if (typeof value === 'object') return JSON.stringify(value, null, 1);
  return String(value);
}

function DiffTable({ comparison }: { comparison: VersionComparison }) {
  if (comparison.changes.length === 0) return <p className="muted">No differences between these versions.</p>;
  return (
    <table className="diff-table">
      <caption className="visually-hidden">
        Fields changed from version {comparison.from} to version {comparison.to}
      </caption>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">v{comparison.from}</th>
          <th scope="col">v{comparison.to}</th>
        </tr>
      </thead>
      <tbody>
        {comparison.changes.map((c) => (
          <tr key={c.field}>
            <th scope="row">
              <code>{c.field}</code>
            </th>
            <td className="diff-old">
              <del>{show(c.field, c.from)}</del>
            </td>
            <td className="diff-new">
              <ins>{show(c.field, c.to)}</ins>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

function RestoreButton({ agent, version }: { agent: Agent; version: number }) {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const restore = useMutation({
    mutationFn: () => agentsApi.restoreVersion(agent.id, version),
    onSuccess: (updated) => {
      queryClient.setQueryData(agentKeys.detail(agent.id), updated);
      void queryClient.invalidateQueries({ queryKey: agentKeys.all });
      setOpen(false);
    },
  });
  if (!can('admin')) return null;
  return (
    <>
      <Button className="btn-small" aria-label={`Restore version ${version}`} onClick={() => setOpen(true)}>
        Restore
      </Button>
      <Dialog open={open} onClose={() => setOpen(false)} title={`Restore version ${version}?`}>
        <p>
          The agent gets the configuration it had in version {version}, saved as version {agent.version + 1}. Nothing is lost: the current configuration stays in
          the history.
        </p>
        {restore.isError && (
          <p role="alert" className="form-error">
            {errorMessage(restore.error)}
          </p>
        )}
        <div className="form-actions">
          <Button onClick={() => setOpen(false)}>Cancel</Button>
          <Button variant="primary" busy={restore.isPending} onClick={() => restore.mutate()}>
            Restore version {version}
          </Button>
        </div>
      </Dialog>
    </>
  );
}
