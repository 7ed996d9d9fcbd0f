import { keepPreviousData, useMutation, useQuery, useQueryClient, type UseQueryResult } from '@tanstack/react-query';
import { useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { Link, useSearchParams } from 'react-router';
import { TICKET_STATUSES } from '@server/tools/enums';
import { errorMessage } from '../../api/errors';
import type { Page } from '../../api/types';
import { useSession } from '../../auth/session';
import { Badge, type BadgeTone } from '../../components/badge';
import { Button } from '../../components/button';
import { CheckboxField, FormError, SelectField } from '../../components/fields';
import { PageHeader } from '../../components/page-header';
import { EmptyState, QueryView } from '../../components/states';
import { Pager } from '../runs/pager';
import { inboxApi, inboxKeys, type FollowUp, type InboxCounts, type Notification, type OutboxEmail, type SmsMessage, type SocialPost, type Ticket } from './api';
import { useInboxCounts } from './use-inbox-counts';
import '../runs/runs.css';
import './inbox.css';

const LIMIT = 20;

const TABS = [
  { id: 'notifications', label: 'Notifications', admin: false },
  { id: 'tickets', label: 'Tickets', admin: false },
  { id: 'follow-ups', label: 'Follow-ups', admin: false },
  { id: 'mail', label: 'Mail', admin: true },
  { id: 'sms', label: 'SMS', admin: true },
  { id: 'social', label: 'Social posts', admin: false },
] as const;
type TabId = (typeof TABS)[number]['id'];

/** The number beside a tab: what waits there. */
function waiting(tab: TabId, c: InboxCounts | undefined): number | null {
  if (!c) return null;
  switch (tab) {
    case 'notifications':
      return c.notifications.unread;
    case 'tickets':
      return c.tickets.open;
    case 'follow-ups':
      return c.followUps.due;
    case 'mail':
      return c.mail?.kept ?? null;
    case 'sms':
      return c.sms?.kept ?? null;
    case 'social':
      return c.socialPosts.scheduled;
  }
}

const WAITING_LABEL: Record<TabId, string> = {
  notifications: 'unread',
  tickets: 'open',
  'follow-ups': 'due',
  mail: 'kept',
  sms: 'kept',
  social: 'scheduled',
};

const when = (iso: string | null | undefined) => (iso ? new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' }) : '—');

const TONES: Record<string, BadgeTone> = {
  kept: 'warning',
  failed: 'danger',
  sent: 'success',
  open: 'warning',
  in_progress: 'info',
  resolved: 'success',
  pending: 'warning',
  done: 'success',
  scheduled: 'info',
  published: 'success',
  urgent: 'danger',
  high: 'warning',
};
const statusTone = (status: string): BadgeTone => TONES[status] ?? 'neutral';
const label = (s: string) => s.replace(/_/g, ' ');

/**
 * `/inbox?tab=…`: what agents did and left for people, one tab per kind: notifications (mark
 * read), support tickets (change their status), follow-ups, mail and SMS kept in the outboxes
 * (admins), and social posts waiting to be published. Every item links to the run that made it.
 */
export function InboxPage() {
  const { can } = useSession();
  const [params, setParams] = useSearchParams();
  const counts = useInboxCounts();
  const tabs = TABS.filter((t) => !t.admin || can('admin'));
  const tab: TabId = tabs.find((t) => t.id === params.get('tab'))?.id ?? 'notifications';
  const refs = useRef<Record<string, HTMLButtonElement | null>>({});
  const select = (next: TabId, focus = false) => {
    setParams(next === 'notifications' ? {} : { tab: next }, { replace: true });
    if (focus) refs.current[next]?.focus();
  };
  const onKey = (e: KeyboardEvent) => {
    const i = tabs.findIndex((t) => t.id === tab);
    const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    if (!step) return;
    e.preventDefault();
    select(tabs[(i + step + tabs.length) % tabs.length]!.id, true);
  };
  return (
    <>
      <PageHeader title="Inbox" description="What your agents did and left for people: notifications, tickets, follow-ups, mail and SMS waiting in the outboxes, and social posts to publish." />
      <div role="tablist" aria-label="Inbox sections" className="inbox-tabs" onKeyDown={onKey}>
        {tabs.map((t) => {
          const n = waiting(t.id, counts);
          return (
            <button
              key={t.id}
              ref={(el) => {
                refs.current[t.id] = el;
              }}
              type="button"
              role="tab"
              id={`inbox-tab-${t.id}`}
              aria-selected={tab === t.id}
              aria-controls="inbox-panel"
              tabIndex={tab === t.id ? 0 : -1}
              className="inbox-tab"
              onClick={() => select(t.id)}
            >
              {t.label}
              {!!n && (
                <span className="inbox-tab-count">
                  {n}
                  <span className="visually-hidden"> {WAITING_LABEL[t.id]}</span>
                </span>
              )}
            </button>
          );
        })}
      </div>
      <div role="tabpanel" id="inbox-panel" aria-labelledby={`inbox-tab-${tab}`} className="inbox-panel">
        {tab === 'notifications' && <NotificationsTab />}
        {tab === 'tickets' && <TicketsTab />}
        {tab === 'follow-ups' && <FollowUpsTab />}
        {tab === 'mail' && <MailTab />}
        {tab === 'sms' && <SmsTab />}
        {tab === 'social' && <SocialTab />}
      </div>
    </>
  );
}

/** A paged list of one kind, with a status filter and the three states. */
function useList<T>(tab: TabId, q: { status?: string; unread?: boolean; offset: number }, fetch: (q: { status?: string; unread?: boolean; offset: number; limit: number }, signal: AbortSignal) => Promise<Page<T>>) {
  return useQuery({ queryKey: inboxKeys.list(tab, q), queryFn: ({ signal }) => fetch({ ...q, limit: LIMIT }, signal), placeholderData: keepPreviousData, refetchInterval: 30_000 });
}

function Items<T extends { id: string }>({ query, empty, offset, setOffset, label: what, children }: {
  query: UseQueryResult<Page<T>>;
  empty: ReactNode;
  offset: number;
  setOffset: (n: number) => void;
  label: string;
  children: (item: T) => ReactNode;
}) {
  return (
    <QueryView query={query} loadingLabel={`Loading ${what.toLowerCase()}…`} isEmpty={(d) => d.items.length === 0} empty={empty}>
      {(page) => (
        <>
          <ul className="inbox-list" aria-label={what}>
            {page.items.map((item) => (
              <li key={item.id} className="inbox-item">
                {children(item)}
              </li>
            ))}
          </ul>
          <Pager label={`${what} pages`} offset={offset} limit={LIMIT} total={page.total} onChange={setOffset} />
        </>
      )}
    </QueryView>
  );
}

function RunLink({ runId }: { runId: string | null }) {
  return runId ? (
    <Link to={`/runs/${runId}`} className="inbox-run">
      Open run
    </Link>
  ) : null;
}

function StatusFilter({ id, value, onChange, options }: { id: string; value: string; onChange: (v: string) => void; options: readonly string[] }) {
  return (
    <div className="inbox-filters">
      <SelectField id={id} label="Status" value={value} onChange={(e) => onChange(e.target.value)} options={[{ value: '', label: 'Any status' }, ...options.map((o) => ({ value: o, label: label(o) }))]} />
    </div>
  );
}

function NotificationsTab() {
  const queryClient = useQueryClient();
  const [unread, setUnread] = useState(false);
  const [offset, setOffset] = useState(0);
  const list = useList<Notification>('notifications', { unread, offset }, (q, s) => inboxApi.notifications(q, s));
  const refresh = () => queryClient.invalidateQueries({ queryKey: inboxKeys.all });
  const read = useMutation({ mutationFn: inboxApi.markRead, onSuccess: refresh });
  const readAll = useMutation({ mutationFn: inboxApi.markAllRead, onSuccess: refresh });
  return (
    <>
      <div className="inbox-filters">
        <CheckboxField
          id="inbox-unread"
          label="Unread only"
          checked={unread}
          onChange={(e) => {
            setUnread(e.target.checked);
            setOffset(0);
          }}
        />
        <Button onClick={() => readAll.mutate()} busy={readAll.isPending}>
          Mark all read
        </Button>
      </div>
      <FormError message={read.error || readAll.error ? errorMessage(read.error ?? readAll.error) : undefined} />
      <Items query={list} offset={offset} setOffset={setOffset} label="Notifications" empty={<EmptyState title={unread ? 'Nothing unread' : 'No notifications yet'}>{!unread && <p>Agents notify staff here (notify_staff), as do budget alerts and approvals.</p>}</EmptyState>}>
        {(n) => (
          <article className={`inbox-card${n.readAt ? '' : ' inbox-unread'}`} aria-label={n.title}>
            <div className="inbox-head">
              <h2 className="inbox-title">{n.title}</h2>
              {n.level !== 'info' && <Badge tone={n.level === 'urgent' ? 'danger' : 'warning'}>{n.level}</Badge>}
              {!n.readAt && <Badge tone="info">unread</Badge>}
            </div>
            {n.body && <p className="inbox-body">{n.body}</p>}
            <div className="inbox-foot">
              <span className="muted small">{when(n.createdAt)}</span>
              {!n.userId && <span className="muted small">for everyone</span>}
              <RunLink runId={n.runId} />
              {!n.readAt && (
                <Button className="btn-small" onClick={() => read.mutate(n.id)} busy={read.isPending && read.variables === n.id} aria-label={`Mark read: ${n.title}`}>
                  Mark read
                </Button>
              )}
            </div>
          </article>
        )}
      </Items>
    </>
  );
}

function TicketsTab() {
  const { can } = useSession();
  const queryClient = useQueryClient();
  const [status, setStatus] = useState('open');
  const [offset, setOffset] = useState(0);
  const list = useList<Ticket>('tickets', { status: status || undefined, offset }, (q, s) => inboxApi.tickets(q, s));
  const update = useMutation({
    mutationFn: ({ id, status: next }: { id: string; status: (typeof TICKET_STATUSES)[number] }) => inboxApi.updateTicket(id, { status: next }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: inboxKeys.all }),
  });
  return (
    <>
      <StatusFilter
        id="inbox-ticket-status"
        value={status}
        onChange={(v) => {
          setStatus(v);
          setOffset(0);
        }}
        options={TICKET_STATUSES}
      />
      <FormError message={update.error ? errorMessage(update.error) : undefined} />
      <Items query={list} offset={offset} setOffset={setOffset} label="Tickets" empty={<EmptyState title={status ? `No ${label(status)} tickets` : 'No tickets yet'}><p>Agents open support tickets here (create_support_ticket).</p></EmptyState>}>
        {(t) => (
          <article className="inbox-card" aria-label={t.subject}>
            <div className="inbox-head">
              <h2 className="inbox-title">{t.subject}</h2>
              <Badge tone={statusTone(t.priority)}>{t.priority}</Badge>
              <Badge tone={statusTone(t.status)}>{label(t.status)}</Badge>
            </div>
            {t.description && <p className="inbox-body">{t.description}</p>}
            <Requester value={t.requester} />
            <div className="inbox-foot">
              <span className="muted small">{when(t.createdAt)}</span>
              <RunLink runId={t.runId} />
              {can('member') && (
                <span className="inbox-inline">
                  <label htmlFor={`ticket-${t.id}`} className="small">
                    Status
                  </label>
                  <select id={`ticket-${t.id}`} value={t.status} disabled={update.isPending && update.variables?.id === t.id} onChange={(e) => update.mutate({ id: t.id, status: e.target.value as Ticket['status'] })}>
                    {TICKET_STATUSES.map((s) => (
                      <option key={s} value={s}>
                        {label(s)}
                      </option>
                    ))}
                  </select>
                </span>
              )}
            </div>
          </article>
        )}
      </Items>
    </>
  );
}

/** Who a ticket or follow-up is about (what the agent wrote: name, email, phone…). */
function Requester({ value }: { value: Record<string, unknown> }) {
  const parts = ['name', 'email', 'phone'].map((k) => value[k]).filter((v): v is string => typeof v === 'string' && v !== '');
  return parts.length ? <p className="muted small">{parts.join(' · ')}</p> : null;
}

function FollowUpsTab() {
  const [status, setStatus] = useState('pending');
  const [offset, setOffset] = useState(0);
  const list = useList<FollowUp>('follow-ups', { status: status || undefined, offset }, (q, s) => inboxApi.followUps(q, s));
  // When the tab opened: what was due then is marked due (the list refreshes every 30 s; the counts too).
  const [now] = useState(() => Date.now());
  return (
    <>
      <StatusFilter
        id="inbox-follow-up-status"
        value={status}
        onChange={(v) => {
          setStatus(v);
          setOffset(0);
        }}
        options={['pending', 'done', 'canceled']}
      />
      <Items query={list} offset={offset} setOffset={setOffset} label="Follow-ups" empty={<EmptyState title={status ? `No ${status} follow-ups` : 'No follow-ups yet'}><p>Agents schedule follow-ups here (schedule_follow_up).</p></EmptyState>}>
        {(f) => (
          <article className="inbox-card" aria-label={f.note.slice(0, 80)}>
            <div className="inbox-head">
              <h2 className="inbox-title">Due {when(f.dueAt)}</h2>
              {f.status === 'pending' && Date.parse(f.dueAt) <= now ? <Badge tone="warning">due</Badge> : <Badge tone={statusTone(f.status)}>{f.status}</Badge>}
            </div>
            <p className="inbox-body">{f.note}</p>
            <Requester value={f.contact} />
            <div className="inbox-foot">
              <span className="muted small">Scheduled {when(f.createdAt)}</span>
              <RunLink runId={f.runId} />
            </div>
          </article>
        )}
      </Items>
    </>
  );
}

function MailTab() {
  const [status, setStatus] = useState('');
  const [offset, setOffset] = useState(0);
  const list = useList<OutboxEmail>('mail', { status: status || undefined, offset }, (q, s) => inboxApi.mail(q, s));
  return (
    <>
      <StatusFilter
        id="inbox-mail-status"
        value={status}
        onChange={(v) => {
          setStatus(v);
          setOffset(0);
        }}
        options={['kept', 'sent', 'failed']}
      />
      <p className="muted small">“Kept” mail waits here because no mail server is configured (SMTP_URL); sent and failed mail is kept as a record.</p>
      <Items query={list} offset={offset} setOffset={setOffset} label="Mail" empty={<EmptyState title="No mail yet"><p>Mail agents send (send_email, reports, messages to members) is recorded here.</p></EmptyState>}>
        {(m) => (
          <article className="inbox-card" aria-label={m.subject}>
            <div className="inbox-head">
              <h2 className="inbox-title">{m.subject}</h2>
              <Badge tone={statusTone(m.status)}>{m.status}</Badge>
            </div>
            <p className="small">To {m.to.join(', ')}</p>
            {m.error && <p className="small inbox-error">{m.error}</p>}
            <details className="inbox-details">
              <summary>Message{m.attachments.length ? ` and ${m.attachments.length} attachment${m.attachments.length === 1 ? '' : 's'}` : ''}</summary>
              <p className="inbox-body">{m.text || '(no text part)'}</p>
              {m.attachments.length > 0 && (
                <ul className="small">
                  {m.attachments.map((a) => (
                    <li key={a.index}>
                      {a.filename} ({a.bytes.toLocaleString('en-US')} bytes)
                    </li>
                  ))}
                </ul>
              )}
            </details>
            <div className="inbox-foot">
              <span className="muted small">{when(m.createdAt)}</span>
              <RunLink runId={m.runId} />
            </div>
          </article>
        )}
      </Items>
    </>
  );
}

function SmsTab() {
  const [status, setStatus] = useState('');
  const [offset, setOffset] = useState(0);
  const list = useList<SmsMessage>('sms', { status: status || undefined, offset }, (q, s) => inboxApi.sms(q, s));
  return (
    <>
      <StatusFilter
        id="inbox-sms-status"
        value={status}
        onChange={(v) => {
          setStatus(v);
          setOffset(0);
        }}
        options={['kept', 'sent', 'failed']}
      />
      <p className="muted small">“Kept” SMS wait here because the organization has no SMS provider (PUT /fitness/sms-settings).</p>
      <Items query={list} offset={offset} setOffset={setOffset} label="SMS" empty={<EmptyState title="No SMS yet"><p>Text messages agents send to members and leads are recorded here.</p></EmptyState>}>
        {(m) => (
          <article className="inbox-card" aria-label={`SMS to ${m.to}`}>
            <div className="inbox-head">
              <h2 className="inbox-title">To {m.to}</h2>
              <Badge tone={statusTone(m.status)}>{m.status}</Badge>
            </div>
            <p className="inbox-body">{m.body}</p>
            {m.error && <p className="small inbox-error">{m.error}</p>}
            <div className="inbox-foot">
              <span className="muted small">{when(m.createdAt)}</span>
              {m.contactId && <Link to={`/gym/members/${m.contactId}`}>Open contact</Link>}
              <RunLink runId={m.runId} />
            </div>
          </article>
        )}
      </Items>
    </>
  );
}

function SocialTab() {
  const [status, setStatus] = useState('scheduled');
  const [offset, setOffset] = useState(0);
  const list = useList<SocialPost>('social', { status: status || undefined, offset }, (q, s) => inboxApi.socialPosts(q, s));
  return (
    <>
      <StatusFilter
        id="inbox-social-status"
        value={status}
        onChange={(v) => {
          setStatus(v);
          setOffset(0);
        }}
        options={['scheduled', 'published', 'canceled']}
      />
      <p className="muted small">No social network is called: a person publishes these posts.</p>
      <Items query={list} offset={offset} setOffset={setOffset} label="Social posts" empty={<EmptyState title={status ? `No ${status} posts` : 'No social posts yet'}><p>Posts agents schedule (schedule_social_post) wait here.</p></EmptyState>}>
        {(p) => (
          <article className="inbox-card" aria-label={`${p.platform} post for ${when(p.scheduledFor)}`}>
            <div className="inbox-head">
              <h2 className="inbox-title">
                {p.platform} · {when(p.scheduledFor)}
              </h2>
              <Badge tone={statusTone(p.status)}>{p.status}</Badge>
            </div>
            <p className="inbox-body">{p.content}</p>
            {p.hashtags.length > 0 && <p className="small muted">{p.hashtags.map((h) => (h.startsWith('#') ? h : `#${h}`)).join(' ')}</p>}
            <div className="inbox-foot">
              <span className="muted small">Scheduled {when(p.createdAt)}</span>
              <RunLink runId={p.runId} />
            </div>
          </article>
        )}
      </Items>
    </>
  );
}
