import { useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import { signUpBody } from '@server/auth/dto';
import { authApi } from '../../api/auth';
import { useAuthActions } from '../../auth/session';
import { Button } from '../../components/button';
import { FormError, TextField } from '../../components/fields';
import { useZodForm } from '../../components/use-zod-form';
import { AuthLayout } from './auth-layout';

export function SignUpPage() {
  const [params] = useSearchParams();
  const next = params.get('next');
  const invitationToken = params.get('invitation') ?? undefined;
  const { startSession } = useAuthActions();
  // With mail configured the server answers every address alike and mails the next step.
  const [mailed, setMailed] = useState<string | null>(null);
  const form = useZodForm({
    schema: signUpBody,
    initial: { name: '', email: '', password: '', organizationName: '', invitationToken },
    idPrefix: 'signup',
    submit: authApi.signUp,
    onSuccess: (result) => {
      if ('tokens' in result) startSession(result.tokens, { orgId: result.organization.id, next });
      else setMailed(result.detail);
    },
  });
  const signInLink = next ? `/signin?next=${encodeURIComponent(next)}` : '/signin';

  if (mailed) {
    return (
      <AuthLayout title="Check your mail">
        <p role="status">{mailed}</p>
        <p className="muted">Nothing arrived within a few minutes? Look in your spam folder, or sign up again.</p>
      </AuthLayout>
    );
  }

  return (
    <AuthLayout
      title="Create your account"
      footer={
        <>
          Already have an account? <Link to={signInLink}>Sign in</Link>
        </>
      }
    >
      {invitationToken && (
        <p className="notice" role="status">
          You are joining an organization by invitation. Use the email address the invitation was sent to.
        </p>
      )}
      <form onSubmit={form.handleSubmit} noValidate className="stack">
        <TextField label="Your name" autoComplete="name" required autoFocus {...form.field('name')} />
        <TextField label="Email" type="email" autoComplete="email" required {...form.field('email')} />
        <TextField label="Password" type="password" autoComplete="new-password" required hint="At least 10 characters." {...form.field('password')} />
        {!invitationToken && (
          <TextField
            label="Organization name"
            autoComplete="organization"
            hint={`Optional. Default: "${form.values.name?.trim() || 'Your name'}'s organization".`}
            {...form.field('organizationName')}
          />
        )}
        <FormError message={form.formError} />
        <Button type="submit" variant="primary" busy={form.submitting}>
          Create account
        </Button>
      </form>
    </AuthLayout>
  );
}
