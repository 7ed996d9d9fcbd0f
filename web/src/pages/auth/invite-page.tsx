import { useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, useNavigate, useSearchParams } from 'react-router';
import { authApi } from '../../api/auth';
import { sessionStore } from '../../api/client';
import { errorMessage } from '../../api/errors';
import { queryKeys } from '../../api/query-client';
import { useSignedIn } from '../../auth/session';
import { Button } from '../../components/button';
import { FormError } from '../../components/fields';
import { AuthLayout } from './auth-layout';

/** Where invitation links lead (`/invite?token=…`): accept when signed in, else sign up or sign in first. */
export function InvitePage() {
  const [params] = useSearchParams();
  const token = params.get('token');
  const signedIn = useSignedIn();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const accept = useMutation({
    mutationFn: () => authApi.acceptInvitation({ token: token ?? '' }),
    onSuccess: async (org) => {
      sessionStore.setOrgId(org.id);
      queryClient.removeQueries({ predicate: (q) => q.queryKey[0] !== queryKeys.me[0] });
      await queryClient.invalidateQueries({ queryKey: queryKeys.me });
      navigate('/', { replace: true });
    },
  });

  if (!token) {
    return (
      <AuthLayout title="Invitation">
        <p className="form-error" role="alert">
          This link has no invitation token. Open the whole link from the invitation.
        </p>
      </AuthLayout>
    );
  }
  const here = `/invite?token=${encodeURIComponent(token)}`;
  return (
    <AuthLayout title="You are invited">
      {signedIn ? (
        <div className="stack">
          <p>Join the organization that invited you. The invitation must be for the email address you signed in with.</p>
          <FormError message={accept.error ? errorMessage(accept.error) : undefined} />
          <Button variant="primary" busy={accept.isPending} onClick={() => accept.mutate()}>
            Accept invitation
          </Button>
        </div>
      ) : (
        <div className="stack">
          <p>Create an account with the email address the invitation was sent to, or sign in if you have one.</p>
          <Link className="btn btn-primary" to={`/signup?invitation=${encodeURIComponent(token)}`}>
            Create an account
          </Link>
          <Link className="btn btn-secondary" to={`/signin?next=${encodeURIComponent(here)}`}>
            Sign in
          </Link>
        </div>
      )}
    </AuthLayout>
  );
}
