import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { CONTACT_KINDS, CONTACT_STATUSES, type ContactKind, type ContactStatus } from '@server/packs/fitness/crm/enums';
import { useSession } from '../../../auth/session';
import { Badge } from '../../../components/badge';
import { SelectField } from '../../../components/fields';
import { PageHeader } from '../../../components/page-header';
import { EmptyState, QueryView } from '../../../components/states';
import { Pager } from '../../runs/pager';
import { SearchBox } from '../../runs/search-box';
import { gymApi, gymKeys, lookups, type Contact, type ContactFilters } from '../api';
import { day, fullName, label, tone } from '../format';
import { GymStart } from './gym-start';
import { TableScroll } from '../table-scroll';
import '../../../components/data-table.css';
import '../../runs/runs.css';
import '../gym.css';

const LIMIT = 25;

/** `/gym/members`: members and leads, searched and filtered (all in the address bar); an empty gym offers the demo and an import. */
export function MembersPage() {
  const { can } = useSession();
  const [params, setParams] = useSearchParams();
  const status = params.get('status');
  const kind = params.get('kind');
  const filters: ContactFilters = {
    q: params.get('q') || undefined,
    status: (CONTACT_STATUSES as readonly string[]).includes(status ?? '') ? (status as ContactStatus) : undefined,
    kind: (CONTACT_KINDS as readonly string[]).includes(kind ?? '') ? (kind as ContactKind) : undefined,
    tag: params.get('tag') || undefined,
    leadStageId: params.get('stage') || undefined,
    offset: Number(params.get('offset')) || 0,
    limit: LIMIT,
    sortBy: 'name',
    sortOrder: 'asc',
  };
  const set = (key: string, value: string) =>
    setParams(
      (current) => {
        const next = new URLSearchParams(current);
        if (value) next.set(key, value);
        else next.delete(key);
        if (key !== 'offset') next.delete('offset');
        return next;
      },
      { replace: true },
    );

  // Whether the gym has anyone at all: an empty one gets the start card instead of the list.
  const any = useQuery({ queryKey: gymKeys.contacts({ limit: 1 }), queryFn: ({ signal }) => gymApi.contacts({ limit: 1 }, signal) });
  const contacts = useQuery({ queryKey: gymKeys.contacts(filters), queryFn: ({ signal }) => gymApi.contacts(filters, signal), placeholderData: keepPreviousData });
  const stages = useQuery(lookups.stages);
  const filtered = Boolean(filters.q || filters.status || filters.kind || filters.tag || filters.leadStageId);

  return (
    <>
      <PageHeader
        title="Members and leads"
        description="Everyone the gym knows: members, trials and leads. Open a person for their bookings, payments, messages and notes."
        actions={
          can('member') && any.data?.total ? (
            <Link className="btn btn-secondary" to="/gym/import">
              Import CSV
            </Link>
          ) : undefined
        }
      />
      {any.data?.total === 0 ? (
        <GymStart />
      ) : (
        <>
          <form className="filters" aria-label="Filter members and leads" onSubmit={(e) => e.preventDefault()}>
            <SearchBox id="members-search" label="Search" placeholder="Name, email, phone or member id" />
            <SelectField
              id="members-status"
              label="Status"
              value={filters.status ?? ''}
              onChange={(e) => set('status', e.target.value)}
              options={[{ value: '', label: 'Any status' }, ...CONTACT_STATUSES.map((s) => ({ value: s, label: label(s) }))]}
            />
            <SelectField
              id="members-kind"
              label="Kind"
              value={filters.kind ?? ''}
              onChange={(e) => set('kind', e.target.value)}
              options={[
                { value: '', label: 'Members and leads' },
                { value: 'member', label: 'Members' },
                { value: 'lead', label: 'Leads' },
              ]}
            />
            <SearchBox id="members-tag" label="Tag" param="tag" placeholder="vip" />
            <SelectField
              id="members-stage"
              label="Pipeline stage"
              value={filters.leadStageId ?? ''}
              onChange={(e) => set('stage', e.target.value)}
              options={[{ value: '', label: 'Any stage' }, ...(stages.data ?? []).map((s) => ({ value: s.id, label: s.name }))]}
            />
          </form>
          <QueryView
            query={contacts}
            loadingLabel="Loading members…"
            isEmpty={(d) => d.items.length === 0}
            empty={<EmptyState title={filtered ? 'Nobody matches these filters' : 'Nobody here yet'} />}
          >
            {(page) => (
              <>
                <p className="muted small" role="status">
                  {page.total === 1 ? '1 person' : `${page.total.toLocaleString('en-US')} people`}
                </p>
                <ContactsTable contacts={page.items} stageName={(id) => stages.data?.find((s) => s.id === id)?.name} />
                <Pager label="Members pages" offset={filters.offset ?? 0} limit={LIMIT} total={page.total} onChange={(o) => set('offset', o ? String(o) : '')} />
              </>
            )}
          </QueryView>
        </>
      )}
    </>
  );
}

function ContactsTable({ contacts, stageName }: { contacts: Contact[]; stageName: (id: string) => string | undefined }) {
  return (
    <div className="card gym-table-card">
      <TableScroll label="Members and leads">
        <table className="data-table responsive">
          <caption className="visually-hidden">Members and leads</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Email</th>
              <th scope="col">Phone</th>
              <th scope="col">Tags</th>
              <th scope="col">Last visit</th>
              <th scope="col">Since</th>
            </tr>
          </thead>
          <tbody>
            {contacts.map((c) => (
              <tr key={c.id}>
                <td data-label="Name">
                  <Link to={`/gym/members/${c.id}`}>{fullName(c)}</Link>
                </td>
                <td data-label="Status">
                  <Badge tone={tone(c.status)}>{label(c.status)}</Badge>
                  {c.kind === 'lead' && c.leadStageId && <span className="muted small"> · {stageName(c.leadStageId) ?? 'stage'}</span>}
                </td>
                <td data-label="Email" className="gym-wrap">
                  {c.email ?? '—'}
                </td>
                <td data-label="Phone">{c.phone ?? '—'}</td>
                <td data-label="Tags">{c.tags.length ? <Tags tags={c.tags} /> : '—'}</td>
                <td data-label="Last visit">{day(c.lastVisitAt)}</td>
                <td data-label="Since">{day(c.joinedAt ?? c.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </TableScroll>
    </div>
  );
}

export function Tags({ tags }: { tags: string[] }) {
  return (
    <ul className="gym-tags" aria-label="Tags">
      {tags.map((t) => (
        <li key={t}>
          <Badge>{t}</Badge>
        </li>
      ))}
    </ul>
  );
}
