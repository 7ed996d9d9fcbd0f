import { Outlet, type RouteObject } from 'react-router';
import { PublicOnly } from '../../auth/session';
import { ConfirmSignUpPage } from './confirm-sign-up-page';
import { InvitePage } from './invite-page';
import { SetupPage } from './setup-page';
import { SignInPage } from './sign-in-page';
import { SignUpPage } from './sign-up-page';

/**
 * Pages before sign-in, outside the app shell. Loaded with the app (not lazily): they are the
 * first thing most visitors see.
 */
export const authRoutes: RouteObject[] = [
  {
    element: (
      <PublicOnly>
        <Outlet />
      </PublicOnly>
    ),
    children: [
      { path: 'signin', Component: SignInPage },
      { path: 'signup', Component: SignUpPage },
      { path: 'signup/confirm', Component: ConfirmSignUpPage },
      { path: 'setup', Component: SetupPage },
    ],
  },
  { path: 'invite', Component: InvitePage },
];
