import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodedMail, startSmtpSink, type Received } from '../../helpers/smtp-sink.js';
import { expectAccessible } from '../../helpers/browser.js';
import { useWebHarness, type TestUser } from './harness.js';

/**
 * Issue 12 items 8-10 in the dashboard: the members page tells what a demotion or removal does to
 * the person's API keys; with mail configured, sign-up answers "check your mail" for every address
 * and the mailed link finishes it.
 */
describe('dashboard: API keys of removed members, sign-up by mailed link', () => {
  // The sink starts before the harness's server, which reads `env` when it starts.
  const env: Record<string, string> = {};
  let sink: Awaited<ReturnType<typeof startSmtpSink>>;
  beforeAll(async () => {
    sink = await startSmtpSink();
    env.SMTP_URL = `smtp://127.0.0.1:${sink.port}`;
  });
  afterAll(() => sink.close());
  const web = useWebHarness({ env });

  const mailTo = async (address: string): Promise<Received> => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const found = sink.messages.find((m) => m.to.includes(address));
      if (found) return found;
      if (Date.now() > deadline) throw new Error(`no mail to ${address}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };

  /** web.signUp, through the mailed link (with SMTP_URL set, sign-up answers 202 and mails it). */
  const signUp = async (name: string, email: string, orgName = `${name}'s organization`): Promise<TestUser> => {
    const password = 'a long password 1';
    expect((await web.api('POST', '/auth/signup', { body: { email, password, name, organizationName: orgName } })).status).toBe(202);
    const token = /token=(trv_[A-Za-z0-9_-]+)/.exec(decodedMail((await mailTo(email)).data))![1];
    const res = await web.api<{ user: { id: string }; organization: { id: string; name: string }; tokens: { accessToken: string; refreshToken: string; expiresIn: number } }>(
      'POST',
      '/auth/signup/confirm',
      { body: { token } },
    );
    expect(res.status).toBe(201);
    return { email, password, name, userId: res.body.user.id, orgId: res.body.organization.id, orgName: res.body.organization.name, ...res.body.tokens };
  };

  it('lowers, then revokes, the API keys of a demoted and removed member, and says so', async () => {
    const owner = await signUp('Olive Owner', 'olive@example.com', 'Keys Org');
    const ada = await signUp('Ada Admin', 'ada.admin@example.com');
    const invite = await web.api<{ inviteUrl: string; mailed: boolean }>('POST', '/invitations', {
      token: owner.accessToken,
      orgId: owner.orgId,
      body: { email: ada.email, role: 'admin' },
    });
    expect(invite.body.mailed).toBe(true);
    const token = new URL(invite.body.inviteUrl).searchParams.get('token');
    expect((await web.api('POST', '/invitations/accept', { token: ada.accessToken, body: { token } })).status).toBe(200);
    const as = { token: ada.accessToken, orgId: owner.orgId };
    const key = await web.api<{ key: string }>('POST', '/api-keys', { ...as, body: { name: 'Ada sync', role: 'admin' } });
    expect(key.status).toBe(201);

    const page = await web.newPage({ as: owner });
    await page.goto('/settings/members');
    await page.getByLabel('Role of Ada Admin').selectOption('member');
    await page.getByText('Ada Admin is now member; 1 API key they created was lowered to member.').waitFor();
    expect((await web.api<{ role: string }>('GET', '/orgs/current', { token: key.body.key })).body.role).toBe('member');

    await page.getByRole('button', { name: 'Remove Ada Admin' }).click();
    const dialog = page.getByRole('dialog', { name: 'Remove member' });
    await dialog.getByText('The 1 API key they created will be revoked too').waitFor();
    await web.screenshot(page, 'members-remove-keys');
    await dialog.getByRole('button', { name: 'Remove' }).click();
    await page.getByText('Removed Ada Admin. 1 API key they created was revoked.').waitFor();
    expect((await web.api('GET', '/orgs/current', { token: key.body.key })).status).toBe(401);
    expect(web.problems(page)).toEqual([]);
  });

  it('signs up by the mailed link; an address with an account gets the same page and a notice', async () => {
    await signUp('Al Ready', 'already@example.com');
    const notices = sink.messages.length;
    const page = await web.newPage();
    const signUpOnPage = async (email: string) => {
      await page.goto('/signup');
      await page.getByLabel('Your name').fill('Mia Mail');
      await page.getByLabel('Email').fill(email);
      await page.getByLabel('Password', { exact: true }).fill('mia pass phrase 7');
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByRole('heading', { name: 'Check your mail' }).waitFor();
      await expectAccessible(page, 'sign-up: check your mail');
      return page.locator('main').textContent();
    };
    const forExisting = await signUpOnPage('already@example.com');
    await expect.poll(() => sink.messages.length, { timeout: 20_000 }).toBe(notices + 1);
    expect(decodedMail(sink.messages.at(-1)!.data)).toContain('already has an account');
    const forNew = await signUpOnPage('mia@example.com');
    expect(forNew).toBe(forExisting);
    await web.screenshot(page, 'signup-check-mail');

    const link = /\/signup\/confirm\?token=(trv_[A-Za-z0-9_-]+)/.exec(decodedMail((await mailTo('mia@example.com')).data));
    expect(link).not.toBeNull();
    await page.goto(`/signup/confirm?token=${link![1]}`);
    await page.waitForURL('**/agents');
    await page.getByText('Your role: owner').waitFor();
    // The link works once.
    const again = await web.newPage();
    await again.goto(`/signup/confirm?token=${link![1]}`);
    await again.getByText('This sign-up link is not valid').waitFor();
    expect(web.problems(page)).toEqual([]);
  });
});
