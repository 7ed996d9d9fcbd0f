import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { changePasswordBody, profileBody } from '@server/auth/dto';
import { authApi } from '../../api/auth';
import { sessionStore } from '../../api/client';
import { queryKeys } from '../../api/query-client';
import { useSession } from '../../auth/session';
import { CreateOrgDialog } from '../../app/shell/create-org-dialog';
import { Badge } from '../../components/badge';
import { Button } from '../../components/button';
import { FormError, TextField } from '../../components/fields';
import { PageHeader } from '../../components/page-header';
import { useZodForm } from '../../components/use-zod-form';

/** Your name, password and organizations. */
export function ProfilePage() {
  return (
    <>
      <PageHeader title="Profile" description="Your account and the organizations you belong to." />
      <div className="grid-2">
        <ProfileForm />
        <PasswordForm />
      </div>
      <Organizations />
    </>
  );
}

function ProfileForm() {
  const { user } = useSession();
  const queryClient = useQueryClient();
  const form = useZodForm({
    // The API takes a partial update; this form always sends the name, so it is required here.
    schema: profileBody.required(),
    initial: { name: user.name },
    idPrefix: 'profile',
    submit: authApi.updateProfile,
    onSuccess: () => void queryClient.invalidateQueries({ queryKey: queryKeys.me }),
  });
  return (
    <section className="card" aria-labelledby="profile-heading">
      <h2 id="profile-heading">Account</h2>
      <form onSubmit={form.handleSubmit} noValidate className="stack">
        <TextField id="profile-email" label="Email" value={user.email} readOnly hint="Your sign-in name; it cannot be changed here." />
        <TextField label="Name" autoComplete="name" required {...form.field('name')} />
        <FormError message={form.formError} />
        {form.succeeded && (
          <p className="success" role="status">
            Saved.
          </p>
        )}
        <div className="form-actions">
          <Button type="submit" variant="primary" busy={form.submitting}>
            Save
          </Button>
        </div>
      </form>
    </section>
  );
}

function PasswordForm() {
  const form = useZodForm({
    schema: changePasswordBody,
    initial: { currentPassword: '', newPassword: '' },
    idPrefix: 'password',
    submit: authApi.changePassword,
    // The server signs out every other session and answers with a new pair for this one.
    onSuccess: (tokens) => sessionStore.set(tokens),
  });
  return (
    <section className="card" aria-labelledby="password-heading">
      <h2 id="password-heading">Password</h2>
      <form onSubmit={form.handleSubmit} noValidate className="stack">
        <TextField label="Current password" type="password" autoComplete="current-password" required {...form.field('currentPassword')} />
        <TextField label="New password" type="password" autoComplete="new-password" required hint="At least 10 characters. Signs you out everywhere else." {...form.field('newPassword')} />
        <FormError message={form.formError} />
        {form.succeeded && (
          <p className="success" role="status">
            Password changed. Other sessions are signed out.
          </p>
        )}
        <div className="form-actions">
          <Button type="submit" variant="primary" busy={form.submitting}>
            Change password
          </Button>
        </div>
      </form>
    </section>
  );
}

function Organizations() {
  const { organizations, org, switchOrg } = useSession();
  const [creating, setCreating] = useState(false);
  return (
    <section className="card" aria-labelledby="orgs-heading">
      <div className="card-header">
        <h2 id="orgs-heading">Organizations</h2>
        <Button onClick={() => setCreating(true)}>New organization</Button>
      </div>
      <ul className="list" aria-label="Your organizations">
        {organizations.map((o) => (
          <li key={o.id} className="list-row">
            <span className="list-main">
              <strong>{o.name}</strong> <Badge>{o.role}</Badge>
            </span>
            {o.id === org?.id ? (
              <Badge tone="success">current</Badge>
            ) : (
              <Button onClick={() => switchOrg(o.id)} aria-label={`Switch to ${o.name}`}>
                Switch
              </Button>
            )}
          </li>
        ))}
      </ul>
      <CreateOrgDialog open={creating} onClose={() => setCreating(false)} />
    </section>
  );
}
