import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { setupBody } from '@server/auth/dto';
import { authApi } from '../../api/auth';
import { queryKeys } from '../../api/query-client';
import { useAuthActions } from '../../auth/session';
import { Button } from '../../components/button';
import { FormError, TextField } from '../../components/fields';
import { Loading } from '../../components/states';
import { useZodForm } from '../../components/use-zod-form';
import { AuthLayout } from './auth-layout';

/** First run: create the owner and the first organization with the token Troupe printed at start. */
export function SetupPage() {
  const status = useQuery({ queryKey: queryKeys.setup, queryFn: authApi.setupStatus });
  return (
    <AuthLayout title="Set up Troupe">
      {status.isPending ? (
        <Loading />
      ) : status.data?.required === false ? (
        <p className="notice" role="status">
          This server is already set up. <Link to="/signin">Sign in</Link> or <Link to="/signup">create an account</Link>.
        </p>
      ) : (
        <SetupForm />
      )}
    </AuthLayout>
  );
}

function SetupForm() {
  const { startSession } = useAuthActions();
  const form = useZodForm({
    schema: setupBody,
    initial: { token: '', name: '', email: '', password: '', organizationName: '' },
    idPrefix: 'setup',
    submit: authApi.setup,
    onSuccess: (session) => startSession(session.tokens, { orgId: session.organization.id }),
  });
  return (
    <form onSubmit={form.handleSubmit} noValidate className="stack">
      <p className="muted">Create the first account. It owns the first organization and can invite everyone else.</p>
      <TextField
        label="Setup token"
        required
        autoFocus
        autoComplete="off"
        spellCheck={false}
        hint="Printed once in the terminal where Troupe started for the first time."
        {...form.field('token')}
      />
      <TextField label="Your name" autoComplete="name" required {...form.field('name')} />
      <TextField label="Email" type="email" autoComplete="email" required {...form.field('email')} />
      <TextField label="Password" type="password" autoComplete="new-password" required hint="At least 10 characters." {...form.field('password')} />
      <TextField label="Organization name" autoComplete="organization" required {...form.field('organizationName')} />
      <FormError message={form.formError} />
      <Button type="submit" variant="primary" busy={form.submitting}>
        Create owner account
      </Button>
    </form>
  );
}
