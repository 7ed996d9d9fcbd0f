import { useMutation } from '@tanstack/react-query';
import { useEffect, useRef } from 'react';
import { Link, useSearchParams } from 'react-router';
import { authApi } from '../../api/auth';
import { errorMessage } from '../../api/errors';
import { useAuthActions } from '../../auth/session';
import { FormError } from '../../components/fields';
import { AuthLayout } from './auth-layout';

/** Where the mailed sign-up link leads (`/signup/confirm?token=…`): makes the account and signs in. */
export function ConfirmSignUpPage() {
  const [params] = useSearchParams();
  const token = params.get('token');
  const { startSession } = useAuthActions();
  const confirm = useMutation({
    mutationFn: (t: string) => authApi.confirmSignUp({ token: t }),
    onSuccess: (session) => startSession(session.tokens, { orgId: session.organization.id }),
  });
  // Once, even under StrictMode's double effects: the link works only once.
  const sent = useRef(false);
  useEffect(() => {
    if (token && !sent.current) {
      sent.current = true;
      confirm.mutate(token);
    }
  }, [token, confirm]);

  if (!token) {
    return (
      <AuthLayout title="Finish signing up">
        <p className="form-error" role="alert">
          This link has no token. Open the whole link from the mail.
        </p>
      </AuthLayout>
    );
  }
  return (
    <AuthLayout title="Finish signing up">
      {confirm.isError ? (
        <div className="stack">
          <FormError message={errorMessage(confirm.error)} />
          <Link className="btn btn-primary" to="/signup">
            Sign up again
          </Link>
        </div>
      ) : (
        <p role="status">Creating your account…</p>
      )}
    </AuthLayout>
  );
}
