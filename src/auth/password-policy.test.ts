import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedMember, SEED_PASSWORD, type TestApp } from '../../test/helpers/app.js';
import { AppError } from '../shared/errors.js';
import { COMMON_PASSWORDS_REFUSED, passwordProblem } from './password-policy.js';

describe('passwordProblem', () => {
  it('refuses the most common passwords in any case, and the email or its local part', () => {
    expect(passwordProblem('password123', 'a@example.com')).toMatch(/most common/);
    expect(passwordProblem('QWERTYUIOP', 'a@example.com')).toMatch(/most common/);
    expect(passwordProblem(' 1q2w3e4r5t ', 'a@example.com')).toMatch(/most common/);
    expect(passwordProblem('Ada.Lovelace@Example.com', 'ada.lovelace@example.com')).toMatch(/email/);
    expect(passwordProblem('ADA.LOVELACE', 'ada.lovelace@example.com')).toMatch(/email/);
    expect(passwordProblem('correct horse battery', 'ada.lovelace@example.com')).toBeNull();
    expect(passwordProblem('ada.lovelace-1815', 'ada.lovelace@example.com')).toBeNull();
    expect(COMMON_PASSWORDS_REFUSED).toBe(10_000);
  });
});

/** Issue 12 item 10: every place a password is chosen applies the same rule. */
describe('refused passwords, wherever one is chosen', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('postgres');
  });
  afterAll(() => t.close());

  const post = (url: string, payload: object, headers: Record<string, string> = {}) => t.app.inject({ method: 'POST', url: `/api/v1${url}`, payload, headers });

  it('at sign-up: a common password, or the email address', async () => {
    const common = expectProblem(await post('/auth/signup', { email: 'pw1@example.com', password: 'password123', name: 'P' }), 400);
    expect(common.code).toBe('weak_password');
    expect(common.errors).toEqual([{ path: 'body.password', message: expect.stringMatching(/most common/) }]);
    const email = expectProblem(await post('/auth/signup', { email: 'longer.name@example.com', password: 'Longer.Name@example.com', name: 'P' }), 400);
    expect(email.errors![0]).toMatchObject({ path: 'body.password', message: 'must not be your email address' });
    expect((await post('/auth/signup', { email: 'pw1@example.com', password: 'a fine passphrase', name: 'P' })).statusCode).toBe(201);
  });

  it('when joining by invitation', async () => {
    const owner = await seedMember(t.ctx);
    const { inviteUrl } = json<{ inviteUrl: string }>(await post('/invitations', { email: 'joiner@example.com' }, owner.headers));
    const invitationToken = new URL(inviteUrl).searchParams.get('token')!;
    const res = await post('/auth/signup', { email: 'joiner@example.com', password: '1234567890', name: 'J', invitationToken });
    expect(expectProblem(res, 400).errors![0]!.path).toBe('body.password');
    // The invitation is still usable.
    expect((await post('/auth/signup', { email: 'joiner@example.com', password: 'a fine passphrase', name: 'J', invitationToken })).statusCode).toBe(201);
  });

  it('when changing your password', async () => {
    const m = await seedMember(t.ctx);
    const auth = { authorization: `Bearer ${m.token}` };
    const res = expectProblem(await post('/auth/password', { currentPassword: SEED_PASSWORD, newPassword: 'basketball' }, auth), 400);
    expect(res.errors).toEqual([{ path: 'body.newPassword', message: expect.stringMatching(/most common/) }]);
    expect(expectProblem(await post('/auth/password', { currentPassword: SEED_PASSWORD, newPassword: m.email.toUpperCase() }, auth), 400).code).toBe('weak_password');
    // Still the old password.
    expect((await post('/auth/signin', { email: m.email, password: SEED_PASSWORD })).statusCode).toBe(200);
  });

  it('for users made by the CLI (createUser), and the owner from TROUPE_OWNER_PASSWORD', async () => {
    const err = await t.ctx.services.auth.createUser('cli@example.com', 'C', 'qwerty123456').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('weak_password');
    expect(await t.ctx.services.auth.findUserByEmail('cli@example.com')).toBeNull();

    const boot = await createTestApp('postgres', { TROUPE_OWNER_EMAIL: 'boss@example.com', TROUPE_OWNER_PASSWORD: 'boss@example.com' });
    try {
      await expect(boot.ctx.services.auth.bootstrap()).rejects.toThrow(/TROUPE_OWNER_PASSWORD must not be your email address/);
    } finally {
      await boot.close();
    }
  });

  it('at first-run setup', async () => {
    const fresh = await createTestApp('postgres');
    try {
      const { token } = (await fresh.ctx.services.auth.bootstrap()) as { token: string };
      const res = await fresh.app.inject({
        method: 'POST',
        url: '/api/v1/setup',
        payload: { token, email: 'owner@example.com', password: 'harrypotter', name: 'O', organizationName: 'Org' },
      });
      expect(expectProblem(res, 400).errors![0]!.path).toBe('body.password');
      expect(json((await fresh.app.inject({ url: '/api/v1/setup' }))).required).toBe(true);
    } finally {
      await fresh.close();
    }
  });
});
