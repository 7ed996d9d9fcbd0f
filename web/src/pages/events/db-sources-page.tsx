import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { errorMessage } from '../../api/errors';
import { useSession } from '../../auth/session';
import { Badge } from '../../components/badge';
import { Button } from '../../components/button';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { FormError } from '../../components/fields';
import { Icon } from '../../components/icons';
import { EmptyState, QueryView } from '../../components/states';
import { DbSourceDialog } from './db-source-dialog';
import { dbSourceKeys, dbSourcesApi, STATUS_TONE, type DbSource } from './db-sources-api';
import { EnabledSwitch, EventsHeader } from './parts';
import './db-sources.css';

/**
 * `/events/databases`: the organization's PostgreSQL databases whose table changes become events
 * (admins only): each with its table, mode, status and last error, its switch, set-up and delete.
 */
export function DbSourcesPage() {
  const { can } = useSession();
  const admin = can('admin');
  const sources = useQuery({ queryKey: dbSourceKeys.all, queryFn: ({ signal }) => dbSourcesApi.list(signal), enabled: admin, refetchInterval: 5000 });
  const [dialog, setDialog] = useState<{ source: DbSource | null } | null>(null);
  const [warning, setWarning] = useState<string | null>(null);
  const newButton = (
    <Button variant="primary" onClick={() => setDialog({ source: null })}>
      <Icon name="plus" size={16} /> Connect a database
    </Button>
  );
  return (
    <>
      <EventsHeader title="Databases" description="PostgreSQL databases you connect: every insert, update or delete in a table you choose becomes an event db.<table>.<operation>." actions={admin && newButton} />
      {!admin ? (
        <EmptyState title="Admins only">
          <p>Database sources hold a connection to your organization's database; an admin sets them up.</p>
        </EmptyState>
      ) : (
        <>
          {warning && (
            <p className="notice" role="alert">
              {warning}
            </p>
          )}
          <QueryView
            query={sources}
            loadingLabel="Loading databases…"
            isEmpty={(d) => d.items.length === 0}
            empty={
              <EmptyState title="No databases connected" action={newButton}>
                <p>Troupe installs a trigger on the table (or, where it may not, polls an updated_at column) and records each change as an event that triggers can act on.</p>
              </EmptyState>
            }
          >
            {(data) => <SourcesTable sources={data.items} onSetUp={(source) => setDialog({ source })} onWarning={setWarning} />}
          </QueryView>
        </>
      )}
      <DbSourceDialog open={dialog !== null} source={dialog?.source ?? null} onClose={() => setDialog(null)} />
    </>
  );
}

function SourcesTable({ sources, onSetUp, onWarning }: { sources: DbSource[]; onSetUp: (s: DbSource) => void; onWarning: (w: string | null) => void }) {
  return (
    <div className="table-wrap">
      <table className="work-table">
        <caption className="visually-hidden">Database sources</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Database</th>
            <th scope="col">Table and events</th>
            <th scope="col">Status</th>
            <th scope="col">On</th>
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {sources.map((s) => (
            <SourceRow key={s.id} source={s} onSetUp={onSetUp} onWarning={onWarning} />
          ))}
        </tbody>
      </table>
    </div>
  );
}

function SourceRow({ source: s, onSetUp, onWarning }: { source: DbSource; onSetUp: (s: DbSource) => void; onWarning: (w: string | null) => void }) {
  const queryClient = useQueryClient();
  const [confirm, setConfirm] = useState(false);
  const refresh = () => void queryClient.invalidateQueries({ queryKey: dbSourceKeys.all, exact: true });
  const toggle = useMutation({
    mutationFn: (enabled: boolean) => dbSourcesApi.update(s.id, { enabled }),
    onSuccess: (saved) => onWarning(saved.warning ?? null),
    onSettled: refresh,
  });
  const remove = useMutation({
    mutationFn: () => dbSourcesApi.remove(s.id),
    onSuccess: (res) => onWarning(res.warning),
    onSettled: refresh,
  });
  return (
    <tr data-db-source={s.name}>
      <td className="wrap">{s.name}</td>
      <td>
        <code className="events-db-conn" title={s.connection.masked}>
          {s.connection.user}@{s.connection.host}/{s.connection.database}
        </code>
      </td>
      <td>
        {s.tableName ? (
          <>
            <code>{s.tableName}</code> <span className="muted small">({s.mode})</span>
            <br />
            <span className="small" title={s.mode === 'poll' ? `${s.eventTypePrefix}.change` : s.operations.map((o) => `${s.eventTypePrefix}.${o}`).join(', ')}>
              <code>{s.eventTypePrefix}.*</code> <span className="muted">{s.mode === 'poll' ? 'change' : s.operations.join(', ')}</span>
            </span>
          </>
        ) : (
          <span className="muted">no table yet</span>
        )}
      </td>
      <td className="events-error">
        <span className="status-badge" data-status={s.status}>
          <Badge tone={STATUS_TONE[s.status]}>{s.status}</Badge>
        </span>
        {s.lastError && <p className="field-error small">{s.lastError}</p>}
        {s.lastEventAt && <p className="muted small">last change {new Date(s.lastEventAt).toLocaleString()}</p>}
        {toggle.isError && <FormError message={errorMessage(toggle.error)} />}
      </td>
      <td>
        <EnabledSwitch checked={s.enabled} label={`${s.name} on`} busy={toggle.isPending || !s.tableName} onChange={(on) => toggle.mutate(on)} />
      </td>
      <td>
        <div className="events-actions">
          {!s.enabled && <Button onClick={() => onSetUp(s)}>{s.tableName ? 'Change' : 'Choose a table'}</Button>}
          <Button variant="danger" onClick={() => setConfirm(true)}>
            Delete
          </Button>
        </div>
        <ConfirmDialog open={confirm} title={`Delete ${s.name}?`} confirmLabel="Delete database source" onClose={() => setConfirm(false)} onConfirm={() => remove.mutateAsync()}>
          <p>Troupe drops its trigger from the table (if it can reach the database) and forgets the connection. The events it recorded stay in the log.</p>
        </ConfirmDialog>
      </td>
    </tr>
  );
}
