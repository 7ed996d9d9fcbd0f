import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { expectAccessible } from '../../helpers/browser.js';
import { PHONE, useWebHarness } from './harness.js';

const mainHeading = (page: Page) => page.locator('main h1');

describe('dashboard: setup, sign-up, organizations, profile, sign-out and sign-in', () => {
  const web = useWebHarness();

  it('first run: the sign-in page points to setup, which takes the printed token and opens the app', async () => {
    expect(web.setupToken, web.server.output()).toMatch(/\S{16,}/);
    const page = await web.newPage();
    await page.goto('/');
    await page.waitForURL('**/signin');
    await page.getByText('This server has no account yet').waitFor();
    await expectAccessible(page, 'sign-in');
    await web.screenshot(page, 'signin');

    await page.getByRole('link', { name: 'Set it up' }).click();
    await page.waitForURL('**/setup');
    await mainHeading(page).getByText('Set up Troupe').waitFor();
    await expectAccessible(page, 'first-start setup');

    // Client-side validation with the server's own schema: each message next to its field.
    await page.getByRole('button', { name: 'Create owner account' }).click();
    await expect.poll(() => page.locator('#setup-token-error').textContent()).toBe('Required');
    await page.getByLabel('Password').fill('short');
    await page.getByRole('button', { name: 'Create owner account' }).click();
    await expect.poll(() => page.locator('#setup-password-error').textContent()).toBe('must be at least 10 characters');
    expect(await page.getByLabel('Password').getAttribute('aria-invalid')).toBe('true');
    await web.screenshot(page, 'setup-errors');

    // A wrong token: the server's answer, for the whole form.
    await page.getByLabel('Setup token').fill('not-the-token');
    await page.getByLabel('Your name').fill('Olivia Owner');
    await page.getByLabel('Email').fill('owner@example.com');
    await page.getByLabel('Password').fill('owner password 1');
    await page.getByLabel('Organization name').fill('Acme Gym');
    await page.getByRole('button', { name: 'Create owner account' }).click();
    await page.getByRole('alert').getByText('The setup token is not valid').waitFor();

    await page.getByLabel('Setup token').fill(web.setupToken!);
    await page.getByRole('button', { name: 'Create owner account' }).click();
    await page.waitForURL('**/agents');
    await mainHeading(page).getByText('Agents').waitFor();
    expect(await page.getByLabel('Organization', { exact: true }).inputValue()).not.toBe('');
    expect(await page.locator('#org-switcher option:checked').textContent()).toBe('Acme Gym');
    await page.getByText('Your role: owner').waitFor();
    expect(web.problems(page)).toEqual([]);
  });

  it('signs up through the form, switches organizations, edits the profile, signs out and in again', async () => {
    await web.signUp({ email: 'taken@example.com' });
    const page = await web.newPage();
    await page.goto('/signup');
    await mainHeading(page).getByText('Create your account').waitFor();
    await expectAccessible(page, 'sign-up');

    // The server's refusal that names no field (the email is taken) shows for the whole form.
    await page.getByLabel('Your name').fill('Sam Signup');
    await page.getByLabel('Email').fill('taken@example.com');
    await page.getByLabel('Password', { exact: true }).fill('short');
    await page.getByRole('button', { name: 'Create account' }).click();
    await expect.poll(() => page.locator('#signup-password-error').textContent()).toBe('must be at least 10 characters');
    await page.getByLabel('Password', { exact: true }).fill('sam password 12');
    await expect.poll(() => page.locator('#signup-password-error').count()).toBe(0);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.getByRole('alert').getByText('An account with this email already exists').waitFor();
    await web.screenshot(page, 'signup');

    await page.getByLabel('Email').fill('Sam@Example.com');
    await page.getByLabel('Organization name').fill('Sam Studio');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL('**/agents');
    await mainHeading(page).getByText('Agents').waitFor();
    const nav = page.getByRole('navigation', { name: 'Main' });
    for (const item of ['Agents', 'Chat', 'Tasks', 'Runs', 'Approvals', 'Usage', 'Audit', 'Settings']) {
      await nav.getByRole('link', { name: item }).waitFor();
    }
    await web.screenshot(page, 'shell');

    // A second organization: created from the switcher, and switched to.
    await page.getByRole('button', { name: 'New organization' }).click();
    const dialog = page.getByRole('dialog', { name: 'New organization' });
    await dialog.getByLabel('Name').fill('Side Project');
    await web.screenshot(page, 'new-org');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await dialog.waitFor({ state: 'hidden' });
    await expect.poll(() => page.locator('#org-switcher option:checked').textContent()).toBe('Side Project');

    // Requests now carry the selected organization.
    const orgHeader = page.waitForRequest((r) => r.url().includes('/api/v1/') && r.headers()['x-org-id'] !== undefined);
    await page.getByLabel('Organization', { exact: true }).selectOption({ label: 'Sam Studio' });
    await nav.getByRole('link', { name: /Sam Signup/ }).click();
    await page.waitForURL('**/profile');
    const sent = await orgHeader;
    const orgs = await web.api<{ items: { id: string; name: string }[] }>('GET', '/orgs', {
      token: JSON.parse((await page.evaluate('localStorage.getItem("troupe.session")')) as string).accessToken,
    });
    expect(sent.headers()['x-org-id']).toBe(orgs.body.items.find((o) => o.name === 'Sam Studio')!.id);

    // Profile: both organizations, switch from here too; rename.
    const orgList = page.getByRole('list', { name: 'Your organizations' });
    await orgList.getByText('Side Project').waitFor();
    await orgList.getByRole('button', { name: 'Switch to Side Project' }).click();
    await expect.poll(() => page.locator('#org-switcher option:checked').textContent()).toBe('Side Project');
    await page.getByLabel('Name', { exact: true }).fill('');
    await page.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => page.locator('#profile-name-error').textContent()).toBe('Required');
    await page.getByLabel('Name', { exact: true }).fill('Samantha Signup');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved.').waitFor();
    await nav.getByText('Samantha Signup').waitFor();
    await web.screenshot(page, 'profile');

    // Sign out, then in again: a wrong password is refused, the right one opens the app.
    await nav.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/signin');
    expect(await page.evaluate('localStorage.getItem("troupe.session")')).toBeNull();
    await page.goto('/profile');
    await page.waitForURL('**/signin?next=%2Fprofile');
    await page.getByLabel('Email').fill('sam@example.com');
    await page.getByLabel('Password').fill('wrong password 1');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').getByText('Invalid email or password').waitFor();
    await page.getByLabel('Password').fill('sam password 12');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/profile');
    await mainHeading(page).getByText('Profile').waitFor();
    await expectAccessible(page, 'the profile');
    expect(web.problems(page)).toEqual([]);
  });

  it('another person signing in on the same browser acts in their own organization, never the last one stored', async () => {
    const first = await web.signUp({ orgName: 'First Org' });
    const second = await web.signUp({ orgName: 'Second Org' });
    const page = await web.newPage({ as: first });
    const notFound: string[] = [];
    page.on('response', (r) => {
      if (r.url().includes('/api/v1/') && r.status() === 404) notFound.push(r.url());
    });
    await page.goto('/agents');
    await page.getByText('Your role: owner').waitFor();
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('Email').fill(second.email);
    await page.getByLabel('Password').fill(second.password);
    const orgOfFirstRequest = page.waitForRequest((r) => r.url().includes('/api/v1/approvals'));
    await page.getByRole('button', { name: 'Sign in' }).click();
    expect((await orgOfFirstRequest).headers()['x-org-id']).toBe(second.orgId);
    expect(await page.locator('#org-switcher option:checked').textContent()).toBe('Second Org');
    expect(notFound).toEqual([]);
    // Only same-site paths are followed after sign-in.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('button', { name: 'Sign out' }).click();
    await page.goto('/signin?next=%2F%5Cexample.com');
    await page.getByLabel('Email').fill(second.email);
    await page.getByLabel('Password').fill(second.password);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${web.url}/agents`);
    expect(web.problems(page)).toEqual([]);
  });

  it('refreshes an expired access token, and sends a revoked session back to sign-in', async () => {
    const user = await web.signUp();
    const page = await web.newPage({ as: { ...user, accessToken: 'expired-or-garbage' } });
    const refreshed = page.waitForResponse((r) => r.url().endsWith('/api/v1/auth/refresh'));
    await page.goto('/profile');
    expect((await refreshed).status()).toBe(200);
    await page.getByRole('list', { name: 'Your organizations' }).getByText(user.orgName).waitFor();
    const stored = JSON.parse((await page.evaluate('localStorage.getItem("troupe.session")')) as string) as { refreshToken: string };
    expect(stored.refreshToken).not.toBe(user.refreshToken);

    // The session ends elsewhere (sign-out with the current refresh token): the page notices.
    await web.api('POST', '/auth/signout', { body: { refreshToken: stored.refreshToken } });
    await page.evaluate(`(() => {
      const s = JSON.parse(localStorage.getItem('troupe.session'));
      localStorage.setItem('troupe.session', JSON.stringify({ ...s, accessToken: 'expired' }));
    })()`);
    await page.goto('/usage');
    await page.waitForURL(/\/signin\?next=%2Fusage&expired=1$/);
    await page.getByText('Your session has ended').waitFor();
    expect(web.problems(page)).toEqual([]);
  });

  it('on a phone, the navigation is a menu: opens, moves focus, closes with Escape and after a link', async () => {
    const user = await web.signUp({ orgName: 'Phone Org' });
    const page = await web.newPage({ viewport: PHONE, as: user });
    await page.goto('/agents');
    await mainHeading(page).getByText('Agents').waitFor();
    const menu = page.getByRole('button', { name: 'Menu' });
    const nav = page.getByRole('navigation', { name: 'Main' });
    expect(await nav.isVisible()).toBe(false);
    await web.screenshot(page, 'phone-shell');

    await menu.click();
    await nav.getByRole('link', { name: 'Runs' }).waitFor();
    expect(await page.getByRole('button', { name: 'Close menu' }).getAttribute('aria-expanded')).toBe('true');
    await web.screenshot(page, 'phone-menu');
    await page.keyboard.press('Escape');
    await nav.waitFor({ state: 'hidden' });
    expect(await page.evaluate('document.activeElement?.getAttribute("aria-controls")')).toBe('app-nav');

    await menu.click();
    await nav.getByRole('link', { name: 'Runs' }).click();
    await page.waitForURL('**/runs');
    await mainHeading(page).getByText('Runs').waitFor();
    await nav.waitFor({ state: 'hidden' });
    expect(web.problems(page)).toEqual([]);
  });

  it('is keyboard reachable: a skip link first, then the page', async () => {
    const user = await web.signUp();
    const page = await web.newPage({ as: user });
    await page.goto('/tasks');
    await mainHeading(page).getByText('Tasks').waitFor();
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement?.textContent')).toBe('Skip to content');
    await page.keyboard.press('Enter');
    expect(await page.evaluate('document.activeElement?.id')).toBe('main');
  });

  it('invitation links: a new person signs up into the inviting organization; a signed-in one accepts', async () => {
    const owner = await web.signUp({ orgName: 'Inviting Org' });
    const invite = async (email: string, role: string) => {
      const res = await web.api<{ inviteUrl: string }>('POST', '/invitations', { token: owner.accessToken, orgId: owner.orgId, body: { email, role } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return new URL(res.body.inviteUrl).searchParams.get('token')!;
    };

    const page = await web.newPage();
    await page.goto(`/invite?token=${encodeURIComponent(await invite('vera@example.com', 'viewer'))}`);
    await page.getByRole('link', { name: 'Create an account' }).click();
    await page.getByText('You are joining an organization by invitation').waitFor();
    expect(await page.getByLabel('Organization name').count()).toBe(0);
    await page.getByLabel('Your name').fill('Vera Viewer');
    await page.getByLabel('Email').fill('vera@example.com');
    await page.getByLabel('Password', { exact: true }).fill('vera password 1');
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL('**/agents');
    expect(await page.locator('#org-switcher option:checked').textContent()).toBe('Inviting Org');
    await page.getByText('Your role: viewer').waitFor();
    // Viewers do not see what only admins may open.
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: 'Usage' }).waitFor();
    expect(await nav.getByRole('link', { name: 'Audit' }).count()).toBe(0);

    // Vera leaves her only organization: the app offers to create one instead of failing pages.
    const token = JSON.parse((await page.evaluate('localStorage.getItem("troupe.session")')) as string).accessToken as string;
    const me = await web.api<{ user: { id: string } }>('GET', '/auth/me', { token });
    expect((await web.api('DELETE', `/members/${me.body.user.id}`, { token, orgId: owner.orgId })).status).toBe(200);
    await page.reload();
    await page.getByText('You are not a member of any organization').waitFor();
    await web.screenshot(page, 'no-organization');
    await page.getByRole('button', { name: 'Create an organization' }).click();
    await page.getByRole('dialog', { name: 'New organization' }).getByLabel('Name').fill('Vera Works');
    await page.getByRole('dialog', { name: 'New organization' }).getByRole('button', { name: 'Create' }).click();
    await mainHeading(page).getByText('Agents').waitFor();
    expect(await page.locator('#org-switcher option:checked').textContent()).toBe('Vera Works');

    const member = await web.signUp({ email: 'max@example.com' });
    const signedIn = await web.newPage({ as: member });
    await signedIn.goto(`/invite?token=${encodeURIComponent(await invite('max@example.com', 'member'))}`);
    await signedIn.getByRole('button', { name: 'Accept invitation' }).click();
    await signedIn.waitForURL('**/agents');
    await expect.poll(() => signedIn.locator('#org-switcher option:checked').textContent()).toBe('Inviting Org');
    expect(await signedIn.locator('#org-switcher option').count()).toBe(2);
    expect([...web.problems(page), ...web.problems(signedIn)]).toEqual([]);
  });
});
