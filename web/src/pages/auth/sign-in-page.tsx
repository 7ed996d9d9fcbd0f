import { useQuery } from '@tanstack/react-query';
import { Link, useSearchParams } from 'react-router';
import { signInBody } from '@server/auth/dto';
import { authApi } from '../../api/auth';
import { queryKeys } from '../../api/query-client';
import { useAuthActions } from '../../auth/session';
import { Button } from '../../components/button';
import { FormError, TextField } from '../../components/fields';
import { useZodForm } from '../../components/use-zod-form';
import { AuthLayout } from './auth-layout';

export function SignInPage() {
  const [params] = useSearchParams();
  const next = params.get('next');
  const { startSession } = useAuthActions();
  const setup = useQuery({ queryKey: queryKeys.setup, queryFn: authApi.setupStatus });
  const form = useZodForm({
    schema: signInBody,
    initial: { email: '', password: '' },
    idPrefix: 'signin',
    submit: authApi.signIn,
    onSuccess: (res) => startSession(res.tokens, { next }),
  });
  const signUpLink = next ? `/signup?next=${encodeURIComponent(next)}` : '/signup';

  return (
    <AuthLayout
      title="Sign in"
      footer={
        <>
          New here? <Link to={signUpLink}>Create an account</Link>
        </>
      }
    >
      {params.get('expired') && (
        <p className="notice" role="status">
          Your session has ended. Sign in again to continue.
        </p>
      )}
      {setup.data?.required && (
        <p className="notice" role="status">
          This server has no account yet. <Link to="/setup">Set it up</Link> with the token printed where Troupe started.
        </p>
      )}
      <form onSubmit={form.handleSubmit} noValidate className="stack">
        <TextField label="Email" type="email" autoComplete="username" required autoFocus {...form.field('email')} />
        <TextField label="Password" type="password" autoComplete="current-password" required {...form.field('password')} />
        <FormError message={form.formError} />
        <Button type="submit" variant="primary" busy={form.submitting}>
          Sign in
        </Button>
      </form>
    </AuthLayout>
  );
}
