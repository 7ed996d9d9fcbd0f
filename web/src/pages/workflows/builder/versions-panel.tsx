import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Badge } from '../../../components/badge';
import { Button } from '../../../components/button';
import { ConfirmDialog } from '../../../components/confirm-dialog';
import { ErrorState, Loading } from '../../../components/states';
import { dateTime } from '../../runs/format';
import { workflowKeys, workflowsApi, type EditorDefinition, type Workflow } from '../api';

/**
 * The Versions side panel: every save, newest first. "View" puts a version on the canvas, read
 * only, with what changed since; admins restore an older one, which becomes a new version.
 */
export function VersionsPanel({
  workflow,
  canEdit,
  dirty,
  viewing,
  onView,
  onRestored,
}: {
  workflow: Workflow;
  canEdit: boolean;
  dirty: boolean;
  viewing: number | null;
  onView: (v: { version: number; definition: EditorDefinition } | null) => void;
  onRestored: (w: Workflow) => void;
}) {
  const queryClient = useQueryClient();
  const versions = useQuery({
    queryKey: [...workflowKeys.versions(workflow.id), workflow.currentVersion],
    queryFn: ({ signal }) => workflowsApi.versions(workflow.id, signal),
  });
  const [restoring, setRestoring] = useState<number | null>(null);
  const [loading, setLoading] = useState<number | null>(null);

  const view = async (version: number) => {
    if (version === viewing) return onView(null);
    setLoading(version);
    try {
      const v = await queryClient.fetchQuery({ queryKey: workflowKeys.version(workflow.id, version), queryFn: ({ signal }) => workflowsApi.version(workflow.id, version, signal) });
      onView({ version, definition: v.definition });
    } finally {
      setLoading(null);
    }
  };

  return (
    <section aria-labelledby="wf-versions-title">
      <h2 id="wf-versions-title" className="wf-panel-title">
        Versions
      </h2>
      {viewing !== null && <Comparison workflowId={workflow.id} from={viewing} to={workflow.currentVersion} />}
      {versions.isPending ? (
        <Loading label="Loading versions…" />
      ) : versions.isError ? (
        <ErrorState error={versions.error} onRetry={() => void versions.refetch()} />
      ) : (
        <ol className="wf-version-list" aria-label="Versions">
          {versions.data.items.map((v) => (
            <li key={v.version} className={v.version === viewing ? 'wf-version-viewing' : undefined}>
              <div className="wf-run-row">
                <strong>v{v.version}</strong>
                {v.version === workflow.currentVersion && <Badge tone="success">current</Badge>}
                <span>{v.note || <span className="muted">No note</span>}</span>
              </div>
              <div className="muted small">{dateTime(v.createdAt)}</div>
              <div className="row-actions">
                {v.version !== workflow.currentVersion && (
                  <Button className="btn-small" aria-pressed={v.version === viewing} busy={loading === v.version} onClick={() => void view(v.version)}>
                    View<span className="visually-hidden"> version {v.version}</span>
                  </Button>
                )}
                {canEdit && v.version !== workflow.currentVersion && workflow.archivedAt === null && (
                  <Button className="btn-small" onClick={() => setRestoring(v.version)}>
                    Restore<span className="visually-hidden"> version {v.version}</span>
                  </Button>
                )}
              </div>
            </li>
          ))}
        </ol>
      )}
      <ConfirmDialog
        open={restoring !== null}
        title={`Restore version ${restoring}?`}
        confirmLabel={`Restore version ${restoring}`}
        onClose={() => setRestoring(null)}
        onConfirm={async () => {
          const restored = await workflowsApi.restore(workflow.id, restoring!, workflow.currentVersion);
          setRestoring(null);
          void queryClient.invalidateQueries({ queryKey: workflowKeys.all });
          onRestored(restored);
        }}
      >
        <p>
          The workflow gets the definition it had in version {restoring}, saved as version {workflow.currentVersion + 1}. Nothing is lost: the current one stays in the history.
          {dirty && ' Your unsaved changes on the canvas are dropped.'}
        </p>
      </ConfirmDialog>
    </section>
  );
}

/** What changed from the viewed version to the current one. */
function Comparison({ workflowId, from, to }: { workflowId: string; from: number; to: number }) {
  const diff = useQuery({ queryKey: workflowKeys.compare(workflowId, from, to), queryFn: ({ signal }) => workflowsApi.compare(workflowId, from, to, signal) });
  if (diff.isPending) return <Loading label="Comparing…" quiet />;
  if (diff.isError) return <ErrorState error={diff.error} title="Could not compare" />;
  const { nodes, edges, fields } = diff.data;
  const items = [
    ...nodes.added.map((n) => `node ${n.id} added`),
    ...nodes.removed.map((n) => `node ${n.id} removed`),
    ...nodes.changed.map((n) => `node ${n.id}: ${n.changes.map((c) => c.field).join(', ')}`),
    ...edges.added.map((e) => `edge ${e.source} → ${e.target} added`),
    ...edges.removed.map((e) => `edge ${e.source} → ${e.target} removed`),
    ...fields.map((f) => `${f.field} changed`),
  ];
  return (
    <div className="wf-compare" aria-label={`Changes from version ${from} to version ${to}`} role="group">
      <p className="small">
        <strong>
          From v{from} to v{to}
        </strong>
        {items.length === 0 && ': no differences'}
      </p>
      {items.length > 0 && (
        <ul className="small">
          {items.map((t, i) => (
            <li key={i}>{t}</li>
          ))}
        </ul>
      )}
    </div>
  );
}
