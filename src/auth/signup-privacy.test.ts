import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedMember, SEED_PASSWORD, type TestApp } from '../../test/helpers/app.js';
import { decodedMail, startSmtpSink, type Received } from '../../test/helpers/smtp-sink.js';
import { signupRequests } from './schema.js';

interface Session {
  user: { id: string; email: string };
  organization: { id: string; name: string; role: string };
  tokens: { accessToken: string };
}

/** Issue 12 item 10: sign-up does not tell whether an address has an account (decision 35). */
describe('sign-up with SMTP_URL: one answer for every address', () => {
  let t: TestApp;
  let sink: Awaited<ReturnType<typeof startSmtpSink>>;
  beforeAll(async () => {
    sink = await startSmtpSink();
    t = await createTestApp('postgres', { SMTP_URL: `smtp://127.0.0.1:${sink.port}`, TROUPE_PUBLIC_URL: 'https://troupe.example.com' });
  });
  afterAll(async () => {
    await t.close();
    await sink.close();
  });

  const post = (url: string, payload: object) => t.app.inject({ method: 'POST', url: `/api/v1${url}`, payload });
  const mailTo = async (address: string): Promise<Received> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const found = sink.messages.find((m) => m.to.includes(address));
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no mail to ${address}`);
      await new Promise((r) => setTimeout(r, 25));
    }
  };

  it('answers a new address and an address with an account identically, and mails each', async () => {
    const existing = await seedMember(t.ctx);
    const asNew = await post('/auth/signup', { email: 'newcomer@example.com', password: 'a fine passphrase', name: 'New' });
    const asExisting = await post('/auth/signup', { email: existing.email.toUpperCase(), password: 'a fine passphrase', name: 'Impostor' });
    expect(asNew.statusCode).toBe(202);
    expect(asExisting.statusCode).toBe(202);
    expect(asExisting.body).toBe(asNew.body);
    expect(json(asNew)).toMatchObject({ status: 'mailed' });
    expect(asExisting.headers['cache-control']).toBe('no-store');

    // The existing account is told someone tried, with no link, and nothing about it changed.
    const notice = decodedMail((await mailTo(existing.email)).data);
    expect(notice).toContain('already has an account');
    expect(notice).toContain('https://troupe.example.com/signin');
    expect(notice).not.toContain('token=');
    expect((await post('/auth/signin', { email: existing.email, password: SEED_PASSWORD })).statusCode).toBe(200);
    expectProblem(await post('/auth/signin', { email: existing.email, password: 'a fine passphrase' }), 401);

    // The new address has no account until its link is opened.
    expectProblem(await post('/auth/signin', { email: 'newcomer@example.com', password: 'a fine passphrase' }), 401);
    const link = /https:\/\/troupe\.example\.com\/signup\/confirm\?token=(trv_[A-Za-z0-9_-]+)/.exec(decodedMail((await mailTo('newcomer@example.com')).data));
    expect(link).not.toBeNull();
    const confirmed = await post('/auth/signup/confirm', { token: link![1]! });
    expect(confirmed.statusCode, confirmed.body).toBe(201);
    expect(confirmed.headers['cache-control']).toBe('no-store');
    const session = json<Session>(confirmed);
    expect(session.user.email).toBe('newcomer@example.com');
    expect(session.organization).toMatchObject({ name: "New's organization", role: 'owner' });
    expect((await t.app.inject({ url: '/api/v1/auth/me', headers: { authorization: `Bearer ${session.tokens.accessToken}` } })).statusCode).toBe(200);
    expect((await post('/auth/signin', { email: 'newcomer@example.com', password: 'a fine passphrase' })).statusCode).toBe(200);
    // A link works once.
    expect(expectProblem(await post('/auth/signup/confirm', { token: link![1]! }), 404).code).toBe('signup_link_invalid');
  });

  it('refuses unknown and expired links, and prunes expired requests', async () => {
    expect(expectProblem(await post('/auth/signup/confirm', { token: 'trv_nope' }), 404).code).toBe('signup_link_invalid');
    expect(expectProblem(await post('/auth/signup/confirm', { token: '' }), 400).errors![0]!.path).toBe('body.token');
    await post('/auth/signup', { email: 'late@example.com', password: 'a fine passphrase', name: 'Late', organizationName: 'Late Inc' });
    const link = /token=(trv_[A-Za-z0-9_-]+)/.exec(decodedMail((await mailTo('late@example.com')).data))![1]!;
    await t.ctx.database.system((tx) => tx.update(signupRequests).set({ expiresAt: new Date(Date.now() - 1000) }).where(eq(signupRequests.email, 'late@example.com')));
    expectProblem(await post('/auth/signup/confirm', { token: link }), 404);
    expect(await t.ctx.services.auth.signupRequests.prune()).toBeGreaterThanOrEqual(1);
  });

  it('mails one address at most three times an hour, answering the same after that', async () => {
    const target = await seedMember(t.ctx);
    const bodies = [];
    for (let i = 0; i < 4; i++) bodies.push((await post('/auth/signup', { email: target.email, password: 'a fine passphrase', name: 'Spam' })).body);
    expect(new Set(bodies).size).toBe(1);
    // A mail to another address, sent after the fourth request, marks the end of what was sent.
    await post('/auth/signup', { email: 'sentinel@example.com', password: 'a fine passphrase', name: 'S' });
    await mailTo('sentinel@example.com');
    await expect.poll(() => sink.messages.filter((m) => m.to.includes(target.email)).length, { timeout: 20_000 }).toBe(3);
    expect(sink.messages.filter((m) => m.to.includes(target.email))).toHaveLength(3);
  });

  it('an invitation still makes the account at once (the invitation stands for the address)', async () => {
    const owner = await seedMember(t.ctx);
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/invitations', headers: owner.headers, payload: { email: 'guest@example.com' } });
    const invitationToken = new URL(json<{ inviteUrl: string }>(res).inviteUrl).searchParams.get('token')!;
    const joined = await post('/auth/signup', { email: 'guest@example.com', password: 'a fine passphrase', name: 'Guest', invitationToken });
    expect(joined.statusCode).toBe(201);
    expect(json<Session>(joined).organization.id).toBe(owner.orgId);
  });
});

describe('sign-up without SMTP_URL', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('postgres');
  });
  afterAll(() => t.close());

  const post = (url: string, payload: object) => t.app.inject({ method: 'POST', url: `/api/v1${url}`, payload });

  it('makes the account at once; an address with an account answers 409 (the documented trade-off without mail)', async () => {
    expect((await post('/auth/signup', { email: 'at-once@example.com', password: 'a fine passphrase', name: 'A' })).statusCode).toBe(201);
    expect(expectProblem(await post('/auth/signup', { email: 'at-once@example.com', password: 'a fine passphrase', name: 'A' }), 409).code).toBe('email_taken');
  });

  it('does not let a made-up invitation token probe whether an address has an account', async () => {
    const existing = await seedMember(t.ctx);
    const probe = await post('/auth/signup', { email: existing.email, password: 'a fine passphrase', name: 'X', invitationToken: 'tri_made_up' });
    expect(expectProblem(probe, 404).code).toBe('invitation_not_found');
    // A real invitation for another address does not either.
    const owner = await seedMember(t.ctx);
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/invitations', headers: owner.headers, payload: { email: 'someone-else@example.com' } });
    const invitationToken = new URL(json<{ inviteUrl: string }>(res).inviteUrl).searchParams.get('token')!;
    const other = await post('/auth/signup', { email: existing.email, password: 'a fine passphrase', name: 'X', invitationToken });
    expect(expectProblem(other, 403).code).toBe('invitation_email_mismatch');
  });

  it('has no mailed sign-up links to confirm', async () => {
    expectProblem(await post('/auth/signup/confirm', { token: 'trv_anything' }), 404);
  });
});
