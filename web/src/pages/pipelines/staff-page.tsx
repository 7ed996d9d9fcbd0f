import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { z } from 'zod';
import { createStaffBody } from '@server/staff/dto';
import { useSession } from '../../auth/session';
import { api } from '../../api/client';
import { Badge } from '../../components/badge';
import { Button } from '../../components/button';
import { ConfirmDialog } from '../../components/confirm-dialog';
import { Dialog } from '../../components/dialog';
import { CheckboxField, FormError, SelectField, TextField } from '../../components/fields';
import { Icon } from '../../components/icons';
import { EmptyState, QueryView } from '../../components/states';
import { useZodForm } from '../../components/use-zod-form';
import { EDIT_ROLE, pipelineKeys, pipelinesApi, type Staff, type StaffQuery } from './api';
import { PipelinesHeader } from './parts';

interface Member {
  userId: string;
  name: string;
  email: string;
}

/** `/pipelines/staff`: the people who receive work, their job roles, capacity and dashboard user. */
export function StaffPage() {
  const { can } = useSession();
  const [q, setQ] = useState('');
  const [role, setRole] = useState('');
  const [editing, setEditing] = useState<Staff | 'new' | null>(null);
  const [removing, setRemoving] = useState<Staff | null>(null);
  const queryClient = useQueryClient();
  const query: StaffQuery = { limit: 100, ...(q.trim() ? { q: q.trim() } : {}), ...(role.trim() ? { role: role.trim().toLowerCase() } : {}) };
  const staff = useQuery({ queryKey: pipelineKeys.staff(query), queryFn: ({ signal }) => pipelinesApi.staff(query, signal) });
  const addButton = (
    <Button variant="primary" onClick={() => setEditing('new')}>
      <Icon name="plus" size={16} /> Add staff member
    </Button>
  );
  return (
    <>
      <PipelinesHeader title="Staff" description="The people who receive work. Pipelines assign new items by job role and load, up to each person’s capacity." actions={can(EDIT_ROLE) && addButton} />
      <div className="filters" role="search" aria-label="Filter staff">
        <TextField label="Search" id="staff-q" type="search" value={q} onChange={(e) => setQ(e.target.value)} placeholder="Name, email or phone" />
        <TextField label="Role" id="staff-role" value={role} onChange={(e) => setRole(e.target.value)} placeholder="sales" />
      </div>
      <QueryView
        query={staff}
        loadingLabel="Loading staff…"
        isEmpty={(d) => d.items.length === 0}
        empty={
          <EmptyState title={q || role ? 'Nobody matches' : 'No staff yet'} action={!q && !role && can(EDIT_ROLE) && addButton}>
            <p>Add the people who work on intakes, leads and requests, with their job roles (sales, support, …).</p>
          </EmptyState>
        }
      >
        {(data) => (
          <div className="table-wrap">
            <table className="work-table">
              <caption className="visually-hidden">Staff</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Roles</th>
                  <th scope="col">Contact</th>
                  <th scope="col">Capacity</th>
                  <th scope="col">Status</th>
                  {can(EDIT_ROLE) && (
                    <th scope="col">
                      <span className="visually-hidden">Actions</span>
                    </th>
                  )}
                </tr>
              </thead>
              <tbody>
                {data.items.map((s) => (
                  <tr key={s.id} data-staff={s.name}>
                    <td className="wrap">
                      {s.name}
                      {s.userId && <span className="muted small"> (dashboard user)</span>}
                    </td>
                    <td>{s.roles.length ? s.roles.map((r) => <Badge key={r}>{r}</Badge>) : <span className="muted">—</span>}</td>
                    <td className="wrap">{[s.email, s.phone].filter(Boolean).join(' · ') || <span className="muted">—</span>}</td>
                    <td>{s.capacity ?? <span className="muted">no limit</span>}</td>
                    <td>
                      <Badge tone={s.active ? 'success' : 'neutral'}>{s.active ? 'active' : 'inactive'}</Badge>
                    </td>
                    {can(EDIT_ROLE) && (
                      <td>
                        <Button className="btn-small" onClick={() => setEditing(s)} aria-label={`Edit ${s.name}`}>
                          Edit
                        </Button>{' '}
                        <Button className="btn-small" variant="danger" onClick={() => setRemoving(s)} aria-label={`Remove ${s.name}`}>
                          Remove
                        </Button>
                      </td>
                    )}
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </QueryView>
      {editing && <StaffDialog staff={editing === 'new' ? null : editing} onClose={() => setEditing(null)} />}
      <ConfirmDialog
        open={removing !== null}
        title={`Remove ${removing?.name ?? ''}?`}
        confirmLabel="Remove"
        onClose={() => setRemoving(null)}
        onConfirm={async () => {
          await pipelinesApi.removeStaff(removing!.id);
          void queryClient.invalidateQueries({ queryKey: pipelineKeys.all });
          setRemoving(null);
        }}
      >
        <p>Items assigned to them become unassigned; their history keeps the change. To keep them on record, mark them inactive instead.</p>
      </ConfirmDialog>
    </>
  );
}

/** The server's body, with the form's text for roles (comma-separated) and capacity. */
const staffForm = createStaffBody.extend({
  roles: z.string().max(1_000).optional(),
  capacity: z.coerce.number().int().min(0).max(100_000).optional(),
  userId: z.string().optional(),
  email: z.email().max(254).optional(),
  phone: z.string().trim().max(50).optional(),
});
const splitRoles = (text: string | undefined) => (text ?? '').split(',').map((r) => r.trim()).filter(Boolean);

function StaffDialog({ staff, onClose }: { staff: Staff | null; onClose: () => void }) {
  const queryClient = useQueryClient();
  const members = useQuery({ queryKey: ['pipelines', 'members'], queryFn: ({ signal }) => api.get<{ items: Member[] }>('/members', { query: { limit: 100 }, signal }), staleTime: 60_000 });
  const [active, setActive] = useState(staff?.active ?? true);
  const form = useZodForm({
    schema: staffForm,
    initial: { name: staff?.name ?? '', email: staff?.email ?? '', phone: staff?.phone ?? '', roles: staff?.roles.join(', ') ?? '', capacity: staff?.capacity === null || staff?.capacity === undefined ? '' : String(staff.capacity), userId: staff?.userId ?? '' },
    idPrefix: 'staff',
    submit: (v) => {
      const body = { name: v.name, email: v.email ?? null, phone: v.phone ?? null, roles: splitRoles(v.roles), capacity: v.capacity ?? null, userId: v.userId || null, active };
      return staff ? pipelinesApi.updateStaff(staff.id, body) : pipelinesApi.createStaff(body);
    },
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: pipelineKeys.all });
      onClose();
    },
  });
  const userOptions = [{ value: '', label: 'None' }, ...(members.data?.items.map((m) => ({ value: m.userId, label: `${m.name} <${m.email}>` })) ?? [])];
  // A server error on one role (body.roles.2) belongs to the roles field.
  const rolesError = form.errorFor('roles') ?? Array.from({ length: 20 }, (_, i) => form.errorFor(`roles.${i}`)).find(Boolean);
  return (
    <Dialog open onClose={onClose} title={staff ? `Edit ${staff.name}` : 'New staff member'}>
      <form onSubmit={form.handleSubmit} noValidate aria-label={staff ? `Edit ${staff.name}` : 'New staff member'}>
        <TextField label="Name" required autoFocus autoComplete="off" {...form.field('name')} />
        <TextField label="Job roles" autoComplete="off" placeholder="sales, support" hint="Comma-separated lowercase words: pipelines assign by them." {...form.field('roles')} error={rolesError} />
        <TextField label="Email" type="email" autoComplete="off" {...form.field('email')} />
        <TextField label="Phone" type="tel" autoComplete="off" {...form.field('phone')} />
        <TextField label="Capacity" type="number" min={0} inputMode="numeric" hint="At most this many open items at once; empty: no limit." {...form.field('capacity')} />
        <SelectField label="Dashboard user" options={userOptions} hint="A member of this organization: in-app notifications reach them." {...form.field('userId')} />
        <CheckboxField id="staff-active" label="Active (receives new work)" checked={active} onChange={(e) => setActive(e.target.checked)} />
        <FormError message={form.formError} />
        <div className="form-actions">
          <Button onClick={onClose}>Cancel</Button>
          <Button type="submit" variant="primary" busy={form.submitting}>
            {staff ? 'Save' : 'Add staff member'}
          </Button>
        </div>
      </form>
    </Dialog>
  );
}
