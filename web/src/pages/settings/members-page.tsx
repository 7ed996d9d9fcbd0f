import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useRef, useState } from 'react';
import { inviteBody, roleSchema } from '@server/auth/dto';
import { errorMessage } from '../../api/errors';
import type { Invitation, Member, Role } from '../../api/types';
import { useSession } from '../../auth/session';
import { Badge } from '../../components/badge';
import { Button } from '../../components/button';
import { CopyButton } from '../../components/copy-button';
import { FormError, SelectField, TextField } from '../../components/fields';
import { EmptyState, QueryView } from '../../components/states';
import { useZodForm } from '../../components/use-zod-form';
import { settingsApi, settingsKeys, when } from './api';
import { ConfirmDialog } from '../../components/confirm-dialog';

const ROLES = roleSchema.options;
const roleOptions = (max: (r: Role) => boolean) => ROLES.filter(max).map((r) => ({ value: r, label: r }));

/** Members and their roles; invitations (admins). */
export function MembersPage() {
  const { can } = useSession();
  return (
    <>
      <MembersCard />
      {can('admin') && <InvitationsCard />}
    </>
  );
}

const keys = (n: number) => (n === 1 ? '1 API key' : `${n} API keys`);

function MembersCard() {
  const { can, user, role: myRole } = useSession();
  const members = useQuery({ queryKey: settingsKeys.members, queryFn: ({ signal }) => settingsApi.members(signal) });
  const [removing, setRemoving] = useState<Member | null>(null);
  // What a removal or demotion did to the member's API keys (they never outlive their creator).
  const [notice, setNotice] = useState<string | null>(null);
  const queryClient = useQueryClient();
  const admin = can('admin');
  // Admins see, before removing someone, how many live keys that person made (they are revoked too).
  const apiKeys = useQuery({
    queryKey: settingsKeys.apiKeys(false),
    queryFn: ({ signal }) => settingsApi.apiKeys(false, signal),
    enabled: admin && removing !== null,
  });
  const removingKeys = removing && apiKeys.data ? apiKeys.data.items.filter((k) => k.createdBy === removing.userId).length : 0;
  return (
    <section className="card" aria-labelledby="members-heading">
      <div className="card-header">
        <h2 id="members-heading">Members</h2>
        {members.data && <span className="muted">{members.data.total} in this organization</span>}
      </div>
      {notice && (
        <p className="notice" role="status">
          {notice}
        </p>
      )}
      <QueryView query={members} loadingLabel="Loading members…">
        {(data) => (
          <div className="table-scroll">
            <table className="data-table responsive">
              <caption className="visually-hidden">Members and their roles</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">Joined</th>
                  {admin && (
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {data.items.map((m) => {
                  const self = m.userId === user.id;
                  // Only an owner grants the owner role or changes an owner.
                  const editable = admin && !self && (m.role !== 'owner' || myRole === 'owner');
                  return (
                    <tr key={m.userId}>
                      <td data-label="Name">
                        <span>
                          {m.name} {self && <Badge>you</Badge>}
                        </span>
                      </td>
                      <td data-label="Email">{m.email}</td>
                      <td data-label="Role">
                        {editable ? <RoleSelect member={m} onChanged={setNotice} /> : <Badge tone={m.role === 'owner' ? 'info' : 'neutral'}>{m.role}</Badge>}
                      </td>
                      <td data-label="Joined">{when(m.joinedAt)}</td>
                      {admin && (
                        <td className="actions">
                          {editable && (
                            <Button variant="ghost" onClick={() => setRemoving(m)} aria-label={`Remove ${m.name}`}>
                              Remove
                            </Button>
                          )}
                        </td>
                      )}
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
      <ConfirmDialog
        open={removing !== null}
        title="Remove member"
        confirmLabel="Remove"
        onClose={() => setRemoving(null)}
        onConfirm={async () => {
          const who = removing!;
          const { apiKeysRevoked } = await settingsApi.removeMember(who.userId);
          setNotice(`Removed ${who.name}.${apiKeysRevoked ? ` ${keys(apiKeysRevoked)} they created ${apiKeysRevoked === 1 ? 'was' : 'were'} revoked.` : ''}`);
          await queryClient.invalidateQueries({ queryKey: ['settings'] });
        }}
      >
        <p>
          Remove <strong>{removing?.name}</strong> ({removing?.email}) from this organization? They lose access at once.
        </p>
        {removingKeys > 0 && (
          <p>
            The {keys(removingKeys)} they created will be revoked too: scripts using {removingKeys === 1 ? 'it' : 'them'} stop working.
          </p>
        )}
      </ConfirmDialog>
    </section>
  );
}

function RoleSelect({ member, onChanged }: { member: Member; onChanged: (notice: string | null) => void }) {
  const { role: myRole } = useSession();
  const queryClient = useQueryClient();
  const change = useMutation({
    mutationFn: (role: Role) => settingsApi.changeRole(member.userId, role),
    onSuccess: (changed) => {
      const n = changed.apiKeysLowered;
      onChanged(n ? `${member.name} is now ${changed.role}; ${keys(n)} they created ${n === 1 ? 'was' : 'were'} lowered to ${changed.role}.` : null);
      return queryClient.invalidateQueries({ queryKey: ['settings'] });
    },
  });
  const id = `role-${member.userId}`;
  return (
    <div>
      <label htmlFor={id} className="visually-hidden">
        Role of {member.name}
      </label>
      <select
        id={id}
        value={change.isPending ? change.variables : member.role}
        disabled={change.isPending}
        aria-invalid={change.isError || undefined}
        aria-describedby={change.isError ? `${id}-error` : undefined}
        onChange={(e) => change.mutate(e.target.value as Role)}
      >
        {roleOptions((r) => r !== 'owner' || myRole === 'owner').map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
      {change.isError && (
        <p id={`${id}-error`} className="field-error">
          {errorMessage(change.error)}
        </p>
      )}
    </div>
  );
}

function InvitationsCard() {
  const { role: myRole } = useSession();
  const queryClient = useQueryClient();
  const invitations = useQuery({ queryKey: settingsKeys.invitations, queryFn: ({ signal }) => settingsApi.invitations(signal) });
  const [revoking, setRevoking] = useState<Invitation | null>(null);
  const linkRef = useRef<HTMLInputElement>(null);
  const form = useZodForm({
    schema: inviteBody,
    initial: { email: '', role: 'member' },
    idPrefix: 'invite',
    submit: settingsApi.invite,
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: settingsKeys.invitations }),
  });
  return (
    <section className="card" aria-labelledby="invitations-heading">
      <h2 id="invitations-heading">Invitations</h2>
      <form onSubmit={form.handleSubmit} noValidate className="inline-form" aria-label="Invite someone">
        <TextField label="Email" type="email" autoComplete="off" required {...form.field('email')} />
        <SelectField label="Role" options={roleOptions((r) => r !== 'owner' || myRole === 'owner')} {...form.field('role')} />
        <div className="form-actions">
          <Button type="submit" variant="primary" busy={form.submitting}>
            Invite
          </Button>
        </div>
      </form>
      <FormError message={form.formError} />
      {form.result && (
        <div className="secret-once" role="status">
          <h3>Invitation for {form.result.invitation.email}</h3>
          <p>
            {form.result.mailed ? 'We mailed them this link. You can also send it yourself: it' : 'Send this link to them yourself (no mail server is set up, or it refused the mail). It'} is shown
            only now, and works once, until {when(form.result.invitation.expiresAt)}.
          </p>
          <div className="secret-row">
            <label htmlFor="invite-link" className="visually-hidden">
              Invitation link
            </label>
            <input id="invite-link" ref={linkRef} readOnly value={form.result.inviteUrl} onFocus={(e) => e.currentTarget.select()} />
            <CopyButton text={form.result.inviteUrl} label="Copy link" selectTarget={() => linkRef.current} />
            <Button variant="ghost" onClick={form.reset}>
              Done
            </Button>
          </div>
        </div>
      )}
      <h3 className="section-title">Pending</h3>
      <QueryView
        query={invitations}
        loadingLabel="Loading invitations…"
        isEmpty={(d) => d.items.length === 0}
        empty={<EmptyState title="No pending invitations" />}
      >
        {(data) => (
          <div className="table-scroll">
            <table className="data-table responsive">
              <caption className="visually-hidden">Pending invitations</caption>
              <thead>
                <tr>
                  <th scope="col">Email</th>
                  <th scope="col">Role</th>
                  <th scope="col">Expires</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {data.items.map((i) => (
                  <tr key={i.id}>
                    <td data-label="Email">{i.email}</td>
                    <td data-label="Role">
                      <Badge>{i.role}</Badge>
                    </td>
                    <td data-label="Expires">{when(i.expiresAt)}</td>
                    <td className="actions">
                      <Button variant="ghost" onClick={() => setRevoking(i)} aria-label={`Revoke the invitation for ${i.email}`}>
                        Revoke
                      </Button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
      <ConfirmDialog
        open={revoking !== null}
        title="Revoke invitation"
        confirmLabel="Revoke"
        onClose={() => setRevoking(null)}
        onConfirm={async () => {
          await settingsApi.revokeInvitation(revoking!.id);
          await queryClient.invalidateQueries({ queryKey: settingsKeys.invitations });
        }}
      >
        <p>Revoke the invitation for {revoking?.email}? Its link stops working.</p>
      </ConfirmDialog>
    </section>
  );
}
