import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { expectAccessible } from '../../helpers/browser.js';
import { useWebHarness } from './harness.js';

const mainHeading = (page: Page) => page.locator('main h1');
const tabs = (page: Page) => page.getByRole('navigation', { name: 'Events sections' });

describe('dashboard: email inboxes', () => {
  const web = useWebHarness({ env: { TROUPE_SMTP_INBOUND_DOMAIN: 'mail.gym.test' } });

  it('creates an SMTP address and a parse URL to copy, refuses a private IMAP host by field, and switches an inbox off', async () => {
    const user = await web.signUp({ orgName: 'Mail Gym' });
    const page = await web.newPage({ as: user });
    await page.goto('/events');
    await tabs(page).getByRole('link', { name: 'Email' }).click();
    await mainHeading(page).getByText('Email').waitFor();
    await page.getByText('No email inboxes yet').waitFor();
    await expectAccessible(page, 'the empty email page');

    // An SMTP inbox: its address, to copy.
    await page.getByRole('button', { name: 'New inbox' }).first().click();
    let dialog = page.getByRole('dialog', { name: 'New email inbox' });
    await dialog.getByLabel('Name', { exact: true }).fill('Front desk');
    await dialog.getByRole('button', { name: 'Create inbox' }).click();
    let created = page.getByRole('dialog', { name: 'Inbox created' });
    const address = await created.getByLabel('Send or forward mail to').inputValue();
    expect(address).toMatch(/^in-[a-z2-7]{12}@mail\.gym\.test$/);
    await created.getByRole('button', { name: 'Done' }).click();
    await page.locator('tr[data-inbox="Front desk"]').getByText(address).waitFor();

    // An IMAP inbox on a private address: refused, the message under the host field.
    await page.getByRole('button', { name: 'New inbox' }).first().click();
    dialog = page.getByRole('dialog', { name: 'New email inbox' });
    await dialog.getByLabel('Kind').selectOption('imap');
    await dialog.getByLabel('Name', { exact: true }).fill('Support box');
    await dialog.getByLabel('IMAP server').fill('10.0.0.5');
    await dialog.getByLabel('User name').fill('support');
    await dialog.getByLabel('Password', { exact: true }).fill('mail password');
    await expectAccessible(page, 'the IMAP form');
    await dialog.getByRole('button', { name: 'Create inbox' }).click();
    await expect.poll(() => page.locator('[id="new-inbox-host-error"]').textContent()).toMatch(/private address.*TROUPE_PRIVATE_MAIL_HOSTS/);
    await dialog.getByRole('button', { name: 'Cancel' }).click();

    // A Postmark parse inbox: the URL with its token, shown once, takes a post.
    await page.getByRole('button', { name: 'New inbox' }).first().click();
    dialog = page.getByRole('dialog', { name: 'New email inbox' });
    await dialog.getByLabel('Kind').selectOption('parse');
    await dialog.getByLabel('Name', { exact: true }).fill('Postmark');
    await dialog.getByLabel('Provider').selectOption('postmark');
    await dialog.getByRole('button', { name: 'Create inbox' }).click();
    created = page.getByRole('dialog', { name: 'Inbox created' });
    const url = await created.getByLabel(/The URL to give/).inputValue();
    expect(url).toMatch(new RegExp(`^${web.url}/hooks/email/[0-9a-f-]{36}\\?token=eml_`));
    await web.screenshot(page, 'events-email-created');
    await created.getByRole('button', { name: 'Done' }).click();
    const post = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ FromFull: { Email: 'lead@example.com', Name: 'Lead' }, Subject: 'Membership prices?', TextBody: 'Hi', MessageID: 'pm-browser-1' }) });
    expect(post.status).toBe(202);
    expect(await page.content()).not.toContain(url.split('token=')[1]!);

    // Off: the switch, and the address refuses mail (the API says so).
    const row = page.locator('tr[data-inbox="Front desk"]');
    await row.getByRole('switch', { name: 'Front desk enabled' }).click();
    await expect.poll(() => row.getByRole('switch').getAttribute('aria-checked')).toBe('false');
    const inboxes = await web.api<{ items: { name: string; enabled: boolean }[] }>('GET', '/email-inboxes', { token: user.accessToken, orgId: user.orgId });
    expect(inboxes.body.items.find((i) => i.name === 'Front desk')?.enabled).toBe(false);
    await expectAccessible(page, 'the email page');
    await web.screenshot(page, 'events-email');

    // The event the post made is in the log, under the email source.
    await page.goto('/events?source=email');
    await page.getByText('email.received').first().waitFor();
  });
});
