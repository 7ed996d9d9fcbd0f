import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import type { z } from 'zod';
import { auditListQuery, type auditEntrySchema } from '@server/audit/dto';
import { api } from '../../api/client';
import { isApiError } from '../../api/errors';
import type { ApiKey, Member, Page } from '../../api/types';
import { useSession } from '../../auth/session';
import { Badge } from '../../components/badge';
import { Button } from '../../components/button';
import { SelectField, TextField } from '../../components/fields';
import { PageHeader } from '../../components/page-header';
import { EmptyState, ErrorState, Loading } from '../../components/states';
import { friendlyMessage } from '../../components/zod-messages';
import '../../components/data-table.css';
import { agentsQuery } from '../runs/api';
import { IdChip } from '../runs/id-chip';
import { SearchBox } from '../runs/search-box';
import '../runs/runs.css';
import './audit.css';

type AuditEntry = z.output<typeof auditEntrySchema>;

const PAGE_SIZE = 25;

/** Actions the server records, offered as suggestions (a prefix ending in "." matches a family). */
const ACTIONS = [
  'agent.', 'agent.created', 'agent.updated', 'agent.deleted', 'agent.enabled', 'agent.disabled', 'agent.version_restored',
  'api_key.', 'api_key.created', 'api_key.revoked', 'api_key.used', 'approval.requested', 'auth.signin', 'budget.threshold_reached',
  'conversation.', 'credential.', 'credential.updated', 'credential.deleted', 'invitation.', 'invitation.created', 'invitation.revoked',
  'member.', 'member.joined', 'member.removed', 'member.role_changed', 'organization.updated', 'queue.', 'run.', 'run.created',
  'run.started', 'run.finished', 'run.canceled', 'schedule.', 'scheduler.', 'task.', 'tool.called', 'tool_settings.',
  'tool_settings.updated', 'tool_settings.webhook_secret_set', 'tool_settings.webhook_secret_removed', 'user.',
];

/** The filters as they are in the address bar (so a filtered view can be linked and reloaded). */
interface Filters {
  actor: string;
  action: string;
  targetType: string;
  targetId: string;
  from: string;
  to: string;
}
const FILTER_KEYS = ['actor', 'action', 'targetType', 'targetId', 'from', 'to'] as const;

/** Local calendar day (YYYY-MM-DD) → the ISO instant it starts at; `plusDays` 1 gives the end of the day (exclusive). */
function dayStart(day: string, plusDays = 0): string | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day);
  if (!m) return undefined;
  return new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]) + plusDays).toISOString();
}

/** The API query of the filters: actor "user:<id>" / "api_key:<id>" / "system"; days inclusive, in local time. */
function toQuery(f: Filters, offset: number, q?: string) {
  const [actorType, actorId] = f.actor ? (f.actor.split(':') as [string, string | undefined]) : [undefined, undefined];
  return {
    limit: PAGE_SIZE,
    offset,
    actorType,
    actorId,
    action: f.action || undefined,
    targetType: f.targetType || undefined,
    targetId: f.targetId || undefined,
    from: f.from ? dayStart(f.from) : undefined,
    to: f.to ? dayStart(f.to, 1) : undefined,
    q: q || undefined,
  };
}

/** Problems with the filters, per field, checked with the API's own query schema. */
function filterProblems(f: Filters): Record<string, string> {
  const out: Record<string, string> = {};
  const parsed = auditListQuery.safeParse(toQuery(f, 0), { error: friendlyMessage });
  if (!parsed.success) for (const i of parsed.error.issues) out[String(i.path[0])] ??= i.message;
  if (f.from && f.to && f.from > f.to) out.to = 'must not be before the first day';
  return out;
}

/** The audit log (admins): who did what, when, with filters and pages. */
export function AuditPage() {
  const { can } = useSession();
  const [params, setParams] = useSearchParams();
  const filters = Object.fromEntries(FILTER_KEYS.map((k) => [k, params.get(k) ?? ''])) as unknown as Filters;
  const offset = Math.max(0, Number(params.get('offset') ?? 0) || 0);
  const search = params.get('q') ?? '';

  const entries = useQuery({
    queryKey: ['audit', 'list', filters, offset, search],
    queryFn: ({ signal }) => api.get<Page<AuditEntry>>('/audit', { query: toQuery(filters, offset, search), signal }),
    placeholderData: keepPreviousData,
    enabled: can('admin'),
  });
  const people = useActors(can('admin'));
  const agents = useQuery({ ...agentsQuery, enabled: can('admin') });
  const agentName = (id: string) => agents.data?.items.find((a) => a.id === id)?.name;

  if (!can('admin')) {
    return (
      <>
        <PageHeader title="Audit" />
        <EmptyState title="Admins only">
          <p>The audit log is for administrators of this organization.</p>
        </EmptyState>
      </>
    );
  }

  const apply = (next: Filters, nextOffset = 0) => {
    const out: Record<string, string> = {};
    for (const k of FILTER_KEYS) if (next[k]) out[k] = next[k];
    if (search) out.q = search;
    if (nextOffset) out.offset = String(nextOffset);
    setParams(out);
  };
  const serverErrors = isApiError(entries.error) ? entries.error.fieldErrors() : {};

  return (
    <>
      <PageHeader title="Audit" description="Who changed what, and when: configuration, runs, tool calls, approvals, sign-ins and API key use." />
      <div className="card audit-search">
        <SearchBox id="audit-search" label="Search the audit log" placeholder="An agent's name, a target id, an action like agent.…" />
      </div>
      <FilterForm key={params.toString()} filters={filters} actors={people} serverErrors={serverErrors} onApply={(f) => apply(f)} />
      {entries.isPending ? (
        <Loading label="Loading the audit log…" />
      ) : entries.isError && Object.keys(serverErrors).length === 0 ? (
        <ErrorState error={entries.error} onRetry={() => void entries.refetch()} />
      ) : entries.data ? (
        entries.data.items.length === 0 ? (
          <EmptyState title={Object.values(filters).some(Boolean) || search ? 'Nothing matches these filters' : 'Nothing recorded yet'} />
        ) : (
          <section className="card" aria-labelledby="audit-heading">
            <h2 id="audit-heading" className="visually-hidden">
              Entries
            </h2>
            <AuditTable items={entries.data.items} actors={people} agentName={agentName} />
            <Pager
              offset={offset}
              shown={entries.data.items.length}
              total={entries.data.total}
              busy={entries.isFetching}
              onPage={(o) => apply(filters, o)}
            />
          </section>
        )
      ) : null}
    </>
  );
}

interface Actor {
  value: string;
  label: string;
}

/** Members and API keys, to name who acted (and to filter by them). */
function useActors(enabled: boolean): Map<string, Actor> {
  const members = useQuery({
    queryKey: ['audit', 'members'],
    queryFn: ({ signal }) => api.get<Page<Member>>('/members', { query: { limit: 100 }, signal }),
    enabled,
    staleTime: 60_000,
  });
  const keys = useQuery({
    queryKey: ['audit', 'api-keys'],
    queryFn: ({ signal }) => api.get<Page<ApiKey>>('/api-keys', { query: { limit: 100, includeRevoked: true }, signal }),
    enabled,
    staleTime: 60_000,
  });
  const map = new Map<string, Actor>();
  for (const m of members.data?.items ?? []) map.set(`user:${m.userId}`, { value: `user:${m.userId}`, label: `${m.name} (${m.email})` });
  for (const k of keys.data?.items ?? []) map.set(`api_key:${k.id}`, { value: `api_key:${k.id}`, label: `API key “${k.name}” (${k.prefix}…)` });
  return map;
}

function FilterForm({ filters, actors, serverErrors, onApply }: { filters: Filters; actors: Map<string, Actor>; serverErrors: Record<string, string>; onApply: (f: Filters) => void }) {
  const [values, setValues] = useState(filters);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const shown = { ...serverErrors, ...errors };
  const set = (k: keyof Filters) => (e: { target: { value: string } }) => {
    const value = e.target.value;
    setValues((v) => ({ ...v, [k]: value }));
    setErrors((er) => ({ ...er, [k]: '' }));
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    const problems = filterProblems(values);
    setErrors(problems);
    if (Object.keys(problems).length === 0) onApply(values);
  };
  const actorOptions = [{ value: '', label: 'Anyone' }, ...actors.values(), { value: 'system', label: 'The system' }];
  if (values.actor && !actors.has(values.actor) && values.actor !== 'system') actorOptions.push({ value: values.actor, label: values.actor });
  const err = (k: string) => shown[k] || (k === 'actor' ? shown.actorId || shown.actorType : undefined) || undefined;
  return (
    <form className="card audit-filters" onSubmit={submit} noValidate aria-label="Filters">
      <SelectField id="audit-actor" name="actor" label="Actor" value={values.actor} onChange={set('actor')} options={actorOptions} error={err('actor')} />
      <TextField id="audit-action" name="action" label="Action" list="audit-actions" placeholder="agent.updated or agent." value={values.action} onChange={set('action')} error={err('action')} autoComplete="off" />
      <datalist id="audit-actions">
        {ACTIONS.map((a) => (
          <option key={a} value={a} />
        ))}
      </datalist>
      <TextField id="audit-target-type" name="targetType" label="Target type" placeholder="agent, run, api_key…" value={values.targetType} onChange={set('targetType')} error={err('targetType')} />
      <TextField id="audit-target-id" name="targetId" label="Target id" value={values.targetId} onChange={set('targetId')} error={err('targetId')} />
      <TextField id="audit-from" name="from" label="From day" type="date" value={values.from} onChange={set('from')} error={err('from')} />
      <TextField id="audit-to" name="to" label="To day" type="date" hint="Inclusive, your time zone" value={values.to} onChange={set('to')} error={err('to')} />
      <div className="audit-filter-actions">
        <Button type="submit" variant="primary">
          Apply filters
        </Button>
        <Button
          variant="ghost"
          onClick={() => {
            const empty = { actor: '', action: '', targetType: '', targetId: '', from: '', to: '' };
            setValues(empty);
            setErrors({});
            onApply(empty);
          }}
        >
          Clear
        </Button>
      </div>
    </form>
  );
}

const time = (iso: string) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'medium' });

function actionTone(action: string) {
  if (/deleted|revoked|removed|canceled|stopped|paused|threshold/.test(action)) return 'warning' as const;
  if (/created|joined|signed_up|started|resumed|enabled/.test(action)) return 'success' as const;
  return 'info' as const;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What an entry is about: an agent by its name, an id shortened with a copy button, other targets as they are. */
function Target({ type, id, agentName }: { type: string; id: string | null; agentName: (id: string) => string | undefined }) {
  if (!id) return <span>{type}</span>;
  const name = type === 'agent' ? agentName(id) : undefined;
  return (
    <span className="audit-target">
      {type}{' '}
      {name && <Link to={`/agents/${id}`}>{name}</Link>}{' '}
      {UUID.test(id) ? <IdChip id={id} what={type.replaceAll('_', ' ')} /> : <span className="mono muted">{id}</span>}
    </span>
  );
}

function AuditTable({ items, actors, agentName }: { items: AuditEntry[]; actors: Map<string, Actor>; agentName: (id: string) => string | undefined }) {
  return (
    <div className="table-scroll">
      <table className="data-table audit-table responsive">
        <caption className="visually-hidden">Audit log entries, newest first</caption>
        <thead>
          <tr>
            <th scope="col">Time</th>
            <th scope="col">Actor</th>
            <th scope="col">Action</th>
            <th scope="col">Target</th>
            <th scope="col">Details</th>
          </tr>
        </thead>
        <tbody>
          {items.map((e) => {
            const actor = e.actorType === 'system' ? 'The system' : (actors.get(`${e.actorType}:${e.actorId}`)?.label ?? `${e.actorType === 'api_key' ? 'API key' : 'User'} ${e.actorId?.slice(0, 8) ?? ''}`);
            const details = Object.entries(e.details);
            return (
              <tr key={e.id}>
                <td data-label="Time" className="nowrap">
                  <time dateTime={e.createdAt}>{time(e.createdAt)}</time>
                </td>
                <td data-label="Actor">{actor}</td>
                <td data-label="Action">
                  <Badge tone={actionTone(e.action)}>{e.action}</Badge>
                </td>
                <td data-label="Target">
                  {e.targetType ? (
                    <Target type={e.targetType} id={e.targetId} agentName={agentName} />
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
                <td data-label="Details">
                  {details.length === 0 ? (
                    <span className="muted">—</span>
                  ) : (
                    <details>
                      <summary>{details.length === 1 ? '1 field' : `${details.length} fields`}</summary>
                      <dl className="audit-details">
                        {details.map(([k, v]) => (
                          <div key={k}>
                            <dt>{k}</dt>
                            <dd className="mono">{typeof v === 'string' ? v : JSON.stringify(v)}</dd>
                          </div>
                        ))}
                        {e.requestId && (
                          <div>
                            <dt>request</dt>
                            <dd className="mono">{e.requestId}</dd>
                          </div>
                        )}
                      </dl>
                    </details>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function Pager({ offset, shown, total, busy, onPage }: { offset: number; shown: number; total: number; busy: boolean; onPage: (offset: number) => void }) {
  return (
    <nav className="pager" aria-label="Pages">
      <span className="muted" aria-live="polite">
        {shown === 0 ? 'None' : `${offset + 1}–${offset + shown} of ${total}`}
      </span>
      <div className="pager-buttons">
        <Button disabled={offset === 0 || busy} onClick={() => onPage(Math.max(0, offset - PAGE_SIZE))}>
          Previous
        </Button>
        <Button disabled={offset + shown >= total || busy} onClick={() => onPage(offset + PAGE_SIZE)}>
          Next
        </Button>
      </div>
    </nav>
  );
}
