import { keepPreviousData, useMutation, useQuery, useQueryClient, type UseQueryResult } from '@tanstack/react-query';
import { useId, useState, type FormEvent, type ReactNode } from 'react';
import { Link, useParams } from 'react-router';
import { CONTACT_STATUSES, type ContactStatus } from '@server/packs/fitness/crm/enums';
import { ApiError, errorMessage } from '../../../api/errors';
import type { Page } from '../../../api/types';
import { useSession } from '../../../auth/session';
import { Badge } from '../../../components/badge';
import { Button } from '../../../components/button';
import { FormError, SelectField, TextAreaField, TextField } from '../../../components/fields';
import { Breadcrumb, PageHeader } from '../../../components/page-header';
import { ErrorState, Loading } from '../../../components/states';
import { Pager } from '../../runs/pager';
import {
  contactQuery,
  gymApi,
  gymKeys,
  lookups,
  type Booking,
  type CheckIn,
  type Communication,
  type Contact,
  type ContactRecord,
  type Goal,
  type Measurement,
  type Note,
  type Payment,
  type Subscription,
} from '../api';
import { dateTime, day, fullName, label, money, tone } from '../format';
import { SessionName } from '../classes/session-name';
import { Tags } from './members-page';
import { TableScroll } from '../table-scroll';
import '../../../components/data-table.css';
import '../../runs/runs.css';
import '../gym.css';

/** `/gym/members/:id`: one person's record: details and consents, memberships and payments, visits, progress, messages and notes. */
export function ContactPage() {
  const { id = '' } = useParams();
  const contact = useQuery(contactQuery(id));
  if (contact.isPending) return <Loading label="Loading the profile…" />;
  if (contact.isError) {
    return (
      <>
        <Breadcrumb to="/gym/members">Members and leads</Breadcrumb>
        <PageHeader title="Profile" />
        <ErrorState title="Could not load this person" error={contact.error} onRetry={() => void contact.refetch()} />
      </>
    );
  }
  return <Profile contact={contact.data} />;
}

function Profile({ contact: c }: { contact: Contact }) {
  const { can } = useSession();
  const stages = useQuery(lookups.stages);
  const staff = useQuery(lookups.staff);
  const plans = useQuery(lookups.plans);
  const stage = stages.data?.find((s) => s.id === c.leadStageId);
  const owner = staff.data?.find((s) => s.id === c.ownerStaffId);
  const planName = (id: string) => plans.data?.find((p) => p.id === id)?.name ?? '…';
  return (
    <>
      <Breadcrumb to="/gym/members">Members and leads</Breadcrumb>
      <PageHeader
        title={fullName(c)}
        description={
          <span className="gym-header-meta">
            <Badge tone={tone(c.status)}>{label(c.status)}</Badge> <span>{c.kind === 'lead' ? 'Lead' : 'Member'}</span>
            {stage && <span className="muted">· {stage.name}</span>}
            {c.tags.length > 0 && <Tags tags={c.tags} />}
          </span>
        }
      />
      <div className="grid-2">
        <section className="card" aria-labelledby="contact-details">
          <h2 id="contact-details">Details</h2>
          <dl className="facts">
            <dt>Email</dt>
            <dd>{c.email ? <a href={`mailto:${c.email}`}>{c.email}</a> : '—'}</dd>
            <dt>Phone</dt>
            <dd>{c.phone ?? '—'}</dd>
            <dt>Date of birth</dt>
            <dd>{day(c.dateOfBirth)}</dd>
            <dt>Source</dt>
            <dd>{c.source ? label(c.source) : '—'}</dd>
            <dt>Joined</dt>
            <dd>{day(c.joinedAt)}</dd>
            <dt>Last visit</dt>
            <dd>{dateTime(c.lastVisitAt)}</dd>
            <dt>Visits, 30 days</dt>
            <dd>{c.visits30d}</dd>
            <dt>Looked after by</dt>
            <dd>{owner?.name ?? '—'}</dd>
            {c.externalId && (
              <>
                <dt>External id</dt>
                <dd>
                  <code>{c.externalId}</code>
                </dd>
              </>
            )}
          </dl>
        </section>
        <section className="card" aria-labelledby="contact-consents">
          <h2 id="contact-consents">Consents</h2>
          {c.optedOut && (
            <p className="form-error">Opted out of all messages{c.optedOutAt ? ` on ${day(c.optedOutAt)}` : ''}: no agent may message this person.</p>
          )}
          <ul className="list">
            <Consent label="Email" on={c.emailConsent} at={c.emailConsentAt} />
            <Consent label="SMS" on={c.smsConsent} at={c.smsConsentAt} />
            <Consent label="Marketing" on={c.marketingConsent} at={c.marketingConsentAt} />
          </ul>
        </section>
      </div>
      {can('member') && <EditCard contact={c} />}

      <Records<Subscription>
        title="Subscriptions"
        what="subscriptions"
        contactId={c.id}
        empty="No subscription."
        columns={[
          { label: 'Plan', cell: (s) => planName(s.planId) },
          { label: 'Status', cell: (s) => <Badge tone={tone(s.status)}>{label(s.status)}</Badge> },
          { label: 'Price', num: true, cell: (s) => `${money(s.priceMicros, s.currency)} / ${s.intervalCount > 1 ? `${s.intervalCount} ${s.billingInterval}s` : s.billingInterval}` },
          { label: 'Started', cell: (s) => day(s.startedAt) },
          { label: 'Cancelled', cell: (s) => (s.cancelledAt ? `${day(s.cancelledAt)}${s.cancelReason ? ` (${s.cancelReason})` : ''}` : '—') },
        ]}
      />
      <Records<Payment>
        title="Payments"
        what="payments"
        contactId={c.id}
        empty="No payment."
        columns={[
          { label: 'Date', cell: (p) => day(p.paidAt) },
          { label: 'Amount', num: true, cell: (p) => money(p.amountMicros, p.currency) },
          { label: 'Status', cell: (p) => <Badge tone={tone(p.status)}>{label(p.status)}</Badge> },
          { label: 'Refunded', num: true, cell: (p) => (p.refundedMicros ? money(p.refundedMicros, p.currency) : '—') },
          { label: 'Method', cell: (p) => label(p.method) },
          { label: 'Note', cell: (p) => p.failureReason ?? (p.description || '—') },
        ]}
      />
      <div className="grid-2">
        <Records<Booking>
          title="Bookings"
          what="bookings"
          contactId={c.id}
          empty="No booking."
          columns={[
            { label: 'When', cell: (b) => dateTime(b.startsAt) },
            { label: 'What', cell: (b) => (b.kind === 'facility_tour' ? 'Facility tour' : b.sessionId ? <SessionName id={b.sessionId} trial={b.kind === 'trial'} /> : 'Trial') },
            { label: 'Status', cell: (b) => <Badge tone={tone(b.status)}>{label(b.status)}</Badge> },
          ]}
        />
        <Records<CheckIn>
          title="Check-ins"
          what="check-ins"
          contactId={c.id}
          empty="No visit recorded."
          columns={[
            { label: 'When', cell: (x) => dateTime(x.at) },
            { label: 'Source', cell: (x) => label(x.source) },
          ]}
        />
        <Records<Goal>
          title="Goals"
          what="goals"
          contactId={c.id}
          empty="No goal."
          columns={[
            { label: 'Goal', cell: (g) => g.title || label(g.kind) },
            { label: 'Target', cell: (g) => `${g.startValue ?? '?'} → ${g.targetValue}${g.unit ? ` ${g.unit}` : ''}${g.targetDate ? ` by ${day(g.targetDate)}` : ''}` },
            { label: 'Status', cell: (g) => <Badge tone={tone(g.status)}>{label(g.status)}</Badge> },
          ]}
        />
        <Records<Measurement>
          title="Measurements"
          what="measurements"
          contactId={c.id}
          empty="No measurement."
          columns={[
            { label: 'Date', cell: (m) => day(m.measuredAt) },
            { label: 'Weight', num: true, cell: (m) => (m.weightKg === null ? '—' : `${m.weightKg} kg`) },
            { label: 'Body fat', num: true, cell: (m) => (m.bodyFatPct === null ? '—' : `${m.bodyFatPct}%`) },
            { label: 'Result', cell: (m) => (m.metric ? `${label(m.metric)}: ${m.value ?? '—'}${m.unit ? ` ${m.unit}` : ''}` : '—') },
          ]}
        />
      </div>
      <Records<Communication>
        title="Messages"
        what="communications"
        contactId={c.id}
        empty="No message yet. Messages agents and staff send or log appear here."
        columns={[
          { label: 'When', cell: (m) => dateTime(m.at) },
          { label: 'Channel', cell: (m) => `${label(m.channel)} · ${m.direction}` },
          {
            label: 'Message',
            wrap: true,
            cell: (m) => (
              <>
                {m.subject && <strong>{m.subject} </strong>}
                <span className="gym-excerpt">{m.body || '—'}</span>
              </>
            ),
          },
          { label: 'Status', cell: (m) => <Badge tone={tone(m.status)}>{label(m.status)}</Badge> },
          { label: 'Run', cell: (m) => (m.runId ? <Link to={`/runs/${m.runId}`}>Open run</Link> : '—') },
        ]}
      />
      <NotesCard contactId={c.id} />
    </>
  );
}

function Consent({ label: name, on, at }: { label: string; on: boolean; at: string | null }) {
  return (
    <li className="list-row">
      <span>{name}</span>
      <span>
        <Badge tone={on ? 'success' : 'neutral'}>{on ? 'yes' : 'no'}</Badge>
        {at && <span className="muted small"> since {day(at)}</span>}
      </span>
    </li>
  );
}

/** Status, tags and (for leads) the pipeline stage, changed with one PATCH. */
function EditCard({ contact }: { contact: Contact }) {
  const queryClient = useQueryClient();
  const stages = useQuery(lookups.stages);
  const id = useId();
  const [status, setStatus] = useState<ContactStatus>(contact.status);
  const [tags, setTags] = useState(contact.tags.join(', '));
  const [stageId, setStageId] = useState(contact.leadStageId ?? '');
  const save = useMutation({
    mutationFn: () =>
      gymApi.updateContact(contact.id, {
        status,
        tags: tags
          .split(/[,;]/)
          .map((t) => t.trim())
          .filter(Boolean),
        leadStageId: stageId || null,
      }),
    onSuccess: (updated) => {
      queryClient.setQueryData(gymKeys.contact(contact.id), updated);
      setTags(updated.tags.join(', '));
      void queryClient.invalidateQueries({ queryKey: ['gym', 'contacts'] });
      void queryClient.invalidateQueries({ queryKey: ['gym', 'leads'] });
    },
  });
  const fieldErrors = save.error instanceof ApiError ? save.error.fieldErrors() : {};
  const submit = (e: FormEvent) => {
    e.preventDefault();
    save.mutate();
  };
  return (
    <section className="card" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>Status and tags</h2>
      <form className="gym-edit" onSubmit={submit} noValidate aria-label="Change status and tags">
        <SelectField
          id={`${id}-status`}
          label="Status"
          value={status}
          onChange={(e) => {
            setStatus(e.target.value as ContactStatus);
            save.reset();
          }}
          options={CONTACT_STATUSES.map((s) => ({ value: s, label: label(s) }))}
          error={fieldErrors.status}
        />
        <TextField
          id={`${id}-tags`}
          label="Tags"
          hint="Separated by commas"
          value={tags}
          onChange={(e) => {
            setTags(e.target.value);
            save.reset();
          }}
          error={Object.entries(fieldErrors).find(([k]) => k.startsWith('tags'))?.[1]}
        />
        <SelectField
          id={`${id}-stage`}
          label="Pipeline stage"
          value={stageId}
          onChange={(e) => {
            setStageId(e.target.value);
            save.reset();
          }}
          options={[{ value: '', label: 'None' }, ...(stages.data ?? []).map((s) => ({ value: s.id, label: s.name }))]}
        />
        <div className="form-actions">
          <Button type="submit" variant="primary" busy={save.isPending}>
            Save
          </Button>
        </div>
      </form>
      <p role="status" className={save.isSuccess ? 'success small' : 'visually-hidden'}>
        {save.isSuccess ? 'Saved.' : ''}
      </p>
      <FormError message={save.error && !Object.keys(fieldErrors).length ? errorMessage(save.error) : undefined} />
    </section>
  );
}

interface Column<T> {
  label: string;
  cell: (row: T) => ReactNode;
  num?: boolean;
  wrap?: boolean;
}

const PAGE = 10;

/** One kind of record of the contact, newest first, ten at a time. */
function Records<T extends { id: string }>({ title, what, contactId, columns, empty }: { title: string; what: ContactRecord; contactId: string; columns: Column<T>[]; empty: string }) {
  const [offset, setOffset] = useState(0);
  const headingId = useId();
  const rows = useQuery({
    queryKey: gymKeys.records(what, contactId, offset),
    queryFn: ({ signal }) => gymApi.records<T>(what, contactId, { limit: PAGE, offset }, signal),
    placeholderData: keepPreviousData,
  });
  return (
    <section className="card gym-records" aria-labelledby={headingId}>
      <div className="card-header">
        <h2 id={headingId}>{title}</h2>
        {rows.data && rows.data.total > 0 && <span className="muted small">{rows.data.total.toLocaleString('en-US')}</span>}
      </div>
      <RecordsBody rows={rows} columns={columns} empty={empty} title={title} />
      {rows.data && <Pager label={`${title} pages`} offset={offset} limit={PAGE} total={rows.data.total} onChange={setOffset} />}
    </section>
  );
}

function RecordsBody<T extends { id: string }>({ rows, columns, empty, title }: { rows: UseQueryResult<Page<T>>; columns: Column<T>[]; empty: string; title: string }) {
  if (rows.isPending) return <Loading quiet label={`Loading ${title.toLowerCase()}…`} />;
  if (!rows.data) return <ErrorState error={rows.error} onRetry={() => void rows.refetch()} />;
  if (rows.data.items.length === 0) return <p className="muted">{empty}</p>;
  return (
    <TableScroll label={title}>
      <table className="data-table responsive">
        <caption className="visually-hidden">{title}</caption>
        <thead>
          <tr>
            {columns.map((col) => (
              <th key={col.label} scope="col" className={col.num ? 'num' : undefined}>
                {col.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.data.items.map((row) => (
            <tr key={row.id}>
              {columns.map((col) => (
                <td key={col.label} data-label={col.label} className={col.num ? 'num' : col.wrap ? 'gym-wrap' : undefined}>
                  {col.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  );
}

/** The contact's notes, newest first, and a box to add one. */
function NotesCard({ contactId }: { contactId: string }) {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const [body, setBody] = useState('');
  const add = useMutation({
    mutationFn: () => gymApi.addNote(contactId, body),
    onSuccess: async () => {
      setBody('');
      await queryClient.invalidateQueries({ queryKey: ['gym', 'records', 'notes', contactId] });
    },
  });
  return (
    <>
      {can('member') && (
        <section className="card" aria-labelledby="contact-add-note">
          <h2 id="contact-add-note">Add a note</h2>
          <form
            className="stack"
            noValidate
            onSubmit={(e) => {
              e.preventDefault();
              if (body.trim()) add.mutate();
            }}
          >
            <TextAreaField id="contact-note" label="Note" value={body} onChange={(e) => setBody(e.target.value)} rows={3} />
            <div className="form-actions">
              <Button type="submit" variant="primary" busy={add.isPending} disabled={!body.trim()}>
                Add note
              </Button>
            </div>
            <FormError message={add.error ? errorMessage(add.error) : undefined} />
          </form>
        </section>
      )}
      <Records<Note>
        title="Notes"
        what="notes"
        contactId={contactId}
        empty="No note yet."
        columns={[
          { label: 'Written', cell: (n) => dateTime(n.createdAt) },
          { label: 'Note', wrap: true, cell: (n) => <span className="prose-text">{n.body}</span> },
        ]}
      />
    </>
  );
}
