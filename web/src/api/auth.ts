import type { z } from 'zod';
import type { acceptInvitationBody, changePasswordBody, confirmSignUpBody, createOrgBody, profileBody, setupBody, signInBody, signUpBody, signUpMailedSchema } from '@server/auth/dto';
import { api } from './client';
import type { Me, Organization, Session, TokenPair, User } from './types';

/** Sign-up's answer when the server mails a link first (SMTP configured): the same for every address. */
export type SignUpMailed = z.output<typeof signUpMailedSchema>;

/** Endpoints of sign-in, setup, profile and organizations (src/auth/routes.ts, org-routes.ts). */
export const authApi = {
  setupStatus: () => api.get<{ required: boolean }>('/setup', { auth: false }),
  setup: (body: z.output<typeof setupBody>) => api.post<Session>('/setup', body, { auth: false }),
  signUp: (body: z.output<typeof signUpBody>) => api.post<Session | SignUpMailed>('/auth/signup', body, { auth: false }),
  confirmSignUp: (body: z.output<typeof confirmSignUpBody>) => api.post<Session>('/auth/signup/confirm', body, { auth: false }),
  signIn: (body: z.output<typeof signInBody>) => api.post<{ user: User; tokens: TokenPair }>('/auth/signin', body, { auth: false }),
  signOut: (refreshToken: string) => api.post<void>('/auth/signout', { refreshToken }, { auth: false }),
  me: () => api.get<Me>('/auth/me'),
  updateProfile: (body: z.output<typeof profileBody>) => api.patch<User>('/auth/me', body),
  changePassword: (body: z.output<typeof changePasswordBody>) => api.post<TokenPair>('/auth/password', body),
  createOrg: (body: z.output<typeof createOrgBody>) => api.post<Organization>('/orgs', body),
  acceptInvitation: (body: z.output<typeof acceptInvitationBody>) => api.post<Organization>('/invitations/accept', body),
};
