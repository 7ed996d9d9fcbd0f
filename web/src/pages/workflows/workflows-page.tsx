import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { useListParams } from '../../components/use-list-params';
import { workflowDefinitionSchema } from '@server/workflows/definition';
import { errorMessage } from '../../api/errors';
import { useSession } from '../../auth/session';
import { Badge } from '../../components/badge';
import { Button } from '../../components/button';
import { Dialog } from '../../components/dialog';
import { FormError, SelectField, TextField } from '../../components/fields';
import { Icon } from '../../components/icons';
import { PageHeader } from '../../components/page-header';
import { EmptyState, QueryView } from '../../components/states';
import { useZodForm } from '../../components/use-zod-form';
import { dateTime, money, relative } from '../runs/format';
import { Pager } from '../runs/pager';
import { StatusBadge } from '../runs/status-badge';
import { EDIT_ROLE, workflowKeys, workflowsApi, type WorkflowListQuery, type WorkflowSummary } from './api';
import { blankDefinition } from './builder/model';
import { WorkflowFileInput } from './builder/file-actions';
import '../runs/runs.css';
import './workflows.css';

const LIMIT = 20;

/** `/workflows`: every workflow with its status, version, last run, success rate and cost; create one, or import a file. */
export function WorkflowsPage() {
  const { can } = useSession();
  const [params, set] = useListParams();
  const query: WorkflowListQuery = {
    search: params.get('search') || undefined,
    archived: (params.get('archived') || 'false') as WorkflowListQuery['archived'],
    sortBy: 'updatedAt',
    sortOrder: 'desc',
    offset: Number(params.get('offset')) || 0,
    limit: LIMIT,
  };
  const list = useQuery({ queryKey: workflowKeys.list(query), queryFn: ({ signal }) => workflowsApi.list(query, signal) });
  const [creating, setCreating] = useState(false);
  const filtered = Boolean(query.search) || query.archived !== 'false';

  return (
    <>
      <PageHeader
        title="Workflows"
        description="Chain agents, tools, conditions and people into automations."
        actions={
          can(EDIT_ROLE) && (
            <>
              <ImportButton />
              <Button variant="primary" onClick={() => setCreating(true)}>
                <Icon name="plus" size={16} /> New workflow
              </Button>
            </>
          )
        }
      />
      <form className="filters" aria-label="Filter workflows" onSubmit={(e) => e.preventDefault()}>
        <TextField id="workflows-search" label="Search" type="search" defaultValue={query.search ?? ''} onChange={(e) => set({ search: e.target.value.trim() })} />
        <SelectField
          id="workflows-archived"
          label="Status"
          value={query.archived ?? 'false'}
          onChange={(e) => set({ archived: e.target.value === 'false' ? '' : e.target.value })}
          options={[
            { value: 'false', label: 'Active' },
            { value: 'true', label: 'Archived' },
            { value: 'all', label: 'All' },
          ]}
        />
      </form>
      <QueryView
        query={list}
        loadingLabel="Loading workflows…"
        isEmpty={(d) => d.items.length === 0}
        empty={
          <EmptyState
            title={filtered ? 'No workflows match' : 'No workflows yet'}
            action={
              !filtered &&
              can(EDIT_ROLE) && (
                <Button variant="primary" onClick={() => setCreating(true)}>
                  Create a workflow
                </Button>
              )
            }
          >
            {!filtered && <p>A workflow starts from a trigger and runs agents, tools, conditions, approvals and waits, step by step.</p>}
          </EmptyState>
        }
      >
        {(page) => (
          <>
            <WorkflowsTable workflows={page.items} />
            <Pager label="Workflow pages" offset={query.offset ?? 0} limit={LIMIT} total={page.total} onChange={(o) => set({ offset: o ? String(o) : '' })} />
          </>
        )}
      </QueryView>
      <CreateDialog open={creating} onClose={() => setCreating(false)} />
    </>
  );
}

function WorkflowsTable({ workflows }: { workflows: WorkflowSummary[] }) {
  return (
    <div className="table-wrap">
      <table className="work-table">
        <caption className="visually-hidden">Workflows</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Tags</th>
            <th scope="col" className="num">
              Version
            </th>
            <th scope="col">Status</th>
            <th scope="col">Last run</th>
            <th scope="col" className="num">
              Success (30 days)
            </th>
            <th scope="col" className="num">
              Cost (30 days)
            </th>
            <th scope="col">Updated</th>
          </tr>
        </thead>
        <tbody>
          {workflows.map((w) => {
            const stats = w.stats;
            return (
              <tr key={w.id} data-workflow={w.name}>
                <td className="wrap">
                  <Link to={`/workflows/${w.id}`}>{w.name}</Link>
                  {w.description && <div className="muted small">{w.description}</div>}
                </td>
                <td className="wrap">
                  {w.tags.length > 0 ? (
                    <ul className="wf-tags" aria-label={`Tags of ${w.name}`}>
                      {w.tags.map((t) => (
                        <li key={t}>
                          <Badge>{t}</Badge>
                        </li>
                      ))}
                    </ul>
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
                <td className="num">v{w.currentVersion}</td>
                <td>{w.archivedAt ? <Badge tone="warning">archived</Badge> : <Badge tone="success">active</Badge>}</td>
                <td title={dateTime(stats?.lastRunAt)}>
                  {stats?.lastRunAt ? (
                    <>
                      {stats.lastRunStatus && <StatusBadge status={stats.lastRunStatus} />} {relative(stats.lastRunAt)}
                    </>
                  ) : (
                    <span className="muted">never</span>
                  )}
                </td>
                <td className="num">{stats && stats.runs > 0 ? `${Math.round((stats.succeeded / stats.runs) * 100)}% of ${stats.runs}` : '—'}</td>
                <td className="num">{stats ? money(stats.costMicros) : '—'}</td>
                <td>{relative(w.updatedAt)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

const createSchema = workflowDefinitionSchema.pick({ name: true, description: true });

/** A new workflow: a name (and a description), then the builder with a manual trigger to start from. */
function CreateDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const form = useZodForm({
    schema: createSchema,
    initial: { name: '', description: '' },
    idPrefix: 'new-workflow',
    submit: (v) => workflowsApi.create({ ...blankDefinition(v.name), description: v.description }),
    onSuccess: (w) => {
      void queryClient.invalidateQueries({ queryKey: workflowKeys.all });
      navigate(`/workflows/${w.id}`);
    },
  });
  return (
    <Dialog
      open={open}
      onClose={() => {
        form.reset();
        onClose();
      }}
      title="New workflow"
    >
      <form onSubmit={form.handleSubmit} noValidate>
        <TextField label="Name" required autoFocus {...form.field('name')} />
        <TextField label="Description (optional)" {...form.field('description')} />
        <FormError message={form.formError} />
        <div className="form-actions">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={form.submitting}>
            Create workflow
          </Button>
        </div>
      </form>
    </Dialog>
  );
}

/** Creates a workflow from an exported file (JSON or YAML) and opens it. */
function ImportButton() {
  const input = useRef<HTMLInputElement>(null);
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const importing = useMutation({
    mutationFn: async (file: File) => workflowsApi.importFile(await file.text()),
    onSuccess: (w) => {
      void queryClient.invalidateQueries({ queryKey: workflowKeys.all });
      navigate(`/workflows/${w.id}`);
    },
  });
  return (
    <>
      <Button busy={importing.isPending} onClick={() => input.current?.click()}>
        Import file…
      </Button>
      <WorkflowFileInput inputRef={input} onFile={(file) => importing.mutate(file)} />
      {importing.isError && <FormError message={`Not imported: ${errorMessage(importing.error)}`} />}
    </>
  );
}
