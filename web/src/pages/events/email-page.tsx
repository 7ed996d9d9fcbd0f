import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { Link } from 'react-router';
import { errorMessage } from '../../api/errors';
import { useSession } from '../../auth/session';
import { Button } from '../../components/button';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { CopyButton } from '../../components/copy-button';
import { FormError } from '../../components/fields';
import { Icon } from '../../components/icons';
import { EmptyState, QueryView } from '../../components/states';
import { EDIT_ROLE } from './api';
import { CreatedInbox, CreateInboxDialog } from './email-create-dialog';
import { emailApi, emailKeys, PROVIDER_LABELS, type Inbox, type InboxWithToken } from './email-api';
import { EnabledBadge, EnabledSwitch, EventsHeader } from './parts';

/**
 * `/events/email`: the organization's email inboxes (docs/email.md): an SMTP address to copy, an
 * IMAP mailbox with its last poll and error, an inbound-parse URL; admins create, switch, test,
 * poll and delete them.
 */
export function EmailPage() {
  const { can } = useSession();
  const inboxes = useQuery({ queryKey: emailKeys.inboxes, queryFn: ({ signal }) => emailApi.inboxes(signal) });
  const [creating, setCreating] = useState(false);
  const newButton = (
    <Button variant="primary" onClick={() => setCreating(true)}>
      <Icon name="plus" size={16} /> New inbox
    </Button>
  );
  return (
    <>
      <EventsHeader title="Email" description="Inboxes whose mail becomes events: an address at Troupe, a mailbox Troupe polls, or a mail provider's inbound parse." actions={can(EDIT_ROLE) && newButton} />
      <QueryView
        query={inboxes}
        loadingLabel="Loading email inboxes…"
        isEmpty={(d) => d.items.length === 0}
        empty={
          <EmptyState title="No email inboxes yet" action={can(EDIT_ROLE) && newButton}>
            <p>Give customers an address, connect a support mailbox over IMAP, or point SendGrid, Mailgun or Postmark here: each mail becomes an event your triggers can act on.</p>
          </EmptyState>
        }
      >
        {(data) => <InboxTable inboxes={data.items} editable={can(EDIT_ROLE)} />}
      </QueryView>
      <CreateInboxDialog open={creating} onClose={() => setCreating(false)} />
    </>
  );
}

function where(x: Inbox) {
  if (x.address) return { text: x.address, copy: 'Copy address' };
  if (x.hookUrl) return { text: x.hookUrl, copy: 'Copy URL' };
  return { text: `${x.username}@${x.host}:${x.port} ${x.mailbox}`, copy: null };
}

function InboxTable({ inboxes, editable }: { inboxes: Inbox[]; editable: boolean }) {
  return (
    <div className="table-wrap">
      <table className="work-table">
        <caption className="visually-hidden">Email inboxes</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Where mail goes</th>
            <th scope="col">Status</th>
            {editable && <th scope="col">Actions</th>}
          </tr>
        </thead>
        <tbody>
          {inboxes.map((x) => {
            const w = where(x);
            return (
              <tr key={x.id} data-inbox={x.name}>
                <td className="wrap">
                  {x.name}
                  <div className="muted small">
                    {x.kind === 'parse' && x.provider ? PROVIDER_LABELS[x.provider] : x.kind.toUpperCase()},{' '}
                    <Link to={`/events?source=email&type=${encodeURIComponent(x.eventType)}`} title="Its events in the log">
                      <code>{x.eventType}</code>
                    </Link>
                  </div>
                </td>
                <td className="events-email-where">
                  <span className="events-url">
                    <code title={w.text}>{w.text}</code>
                    {w.copy && <CopyButton text={w.text} label={w.copy} />}
                  </span>
                  {x.kind === 'parse' && <div className="muted small">Add the token shown at creation: ?token=…</div>}
                </td>
                <td className="wrap">
                  {editable ? <InboxSwitch inbox={x} /> : <EnabledBadge enabled={x.enabled} />}
                  {x.kind === 'imap' && (
                    <div className="muted small" data-testid="poll-status">
                      {x.lastPolledAt ? `Polled ${new Date(x.lastPolledAt).toLocaleString()}` : 'Not polled yet'}
                    </div>
                  )}
                  {x.lastError && (
                    <p className="field-error" role="note">
                      {x.lastError}
                    </p>
                  )}
                </td>
                {editable && (
                  <td>
                    <InboxActions inbox={x} />
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function InboxSwitch({ inbox }: { inbox: Inbox }) {
  const queryClient = useQueryClient();
  const toggle = useMutation({
    mutationFn: (enabled: boolean) => emailApi.update(inbox.id, { enabled }),
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: emailKeys.inboxes }),
  });
  return (
    <>
      <EnabledSwitch checked={inbox.enabled} label={`${inbox.name} enabled`} busy={toggle.isPending} onChange={(on) => toggle.mutate(on)} />
      {toggle.isError && <FormError message={errorMessage(toggle.error)} />}
    </>
  );
}

/** An admin's actions: test the sign-in and poll now (IMAP), a new token (parse), delete. */
function InboxActions({ inbox }: { inbox: Inbox }) {
  const queryClient = useQueryClient();
  const [confirm, setConfirm] = useState<'rotate' | 'delete' | null>(null);
  const [rotated, setRotated] = useState<InboxWithToken | null>(null);
  const refresh = () => void queryClient.invalidateQueries({ queryKey: emailKeys.inboxes });
  const test = useMutation({ mutationFn: () => emailApi.testConnection(inbox.id) });
  const poll = useMutation({ mutationFn: () => emailApi.pollNow(inbox.id), onSuccess: refresh });
  const rotate = useMutation({ mutationFn: () => emailApi.rotateToken(inbox.id), onSuccess: (r) => setRotated(r) });
  const remove = useMutation({ mutationFn: () => emailApi.remove(inbox.id), onSuccess: refresh });
  return (
    <div className="events-actions">
      {inbox.kind === 'imap' && (
        <>
          <Button className="btn-small" busy={test.isPending} onClick={() => test.mutate()}>
            Test
          </Button>
          <Button className="btn-small" busy={poll.isPending} onClick={() => poll.mutate()} disabled={!inbox.enabled}>
            Poll now
          </Button>
        </>
      )}
      {inbox.kind === 'parse' && (
        <Button className="btn-small" onClick={() => setConfirm('rotate')}>
          Rotate token
        </Button>
      )}
      <Button className="btn-small" variant="danger" onClick={() => setConfirm('delete')}>
        Delete
      </Button>
      <div role="status">
        {test.data && (
          <p className={test.data.ok ? 'success' : 'field-error'} data-testid="connection-test">
            {test.data.ok ? `Signed in: ${test.data.messages ?? 0} messages in ${inbox.mailbox}.` : test.data.error}
          </p>
        )}
      </div>
      {[test, poll, remove].map((m, i) => m.isError && <FormError key={i} message={errorMessage(m.error)} />)}
      {rotated && (
        <div className="stack">
          <CreatedInbox inbox={rotated} />
          <Button className="btn-small" onClick={() => setRotated(null)}>
            I have stored it
          </Button>
        </div>
      )}
      <ConfirmDialog open={confirm === 'rotate'} title="Rotate the token?" confirmLabel="Rotate token" onClose={() => setConfirm(null)} onConfirm={() => rotate.mutateAsync()}>
        <p>
          The URL {inbox.provider ? PROVIDER_LABELS[inbox.provider] : 'the provider'} posts to stops working at once (401) until you give it the new one.
        </p>
      </ConfirmDialog>
      <ConfirmDialog open={confirm === 'delete'} title={`Delete ${inbox.name}?`} confirmLabel="Delete inbox" onClose={() => setConfirm(null)} onConfirm={() => remove.mutateAsync()}>
        <p>Its mail stops becoming events{inbox.address ? ' and its address refuses mail (550)' : ''}. The events it made stay in the log. This cannot be undone.</p>
      </ConfirmDialog>
    </div>
  );
}
