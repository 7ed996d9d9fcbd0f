import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { expectAccessible } from '../../helpers/browser.js';
import { PHONE, useWebHarness } from './harness.js';

interface Publication {
  id: string;
  publicKey: string;
  title: string;
  allowedOrigins: string[];
  enabled: boolean;
  embedCode: string;
  chatUrl: string;
}

const tab = (page: Page, name: string) => page.getByRole('navigation', { name: 'Settings sections' }).getByRole('link', { name });

describe('dashboard: settings → website chat', () => {
  const web = useWebHarness();

  it('publishes an agent with its allowed websites, copies the embed code, disables and enables it, and unpublishes it', async () => {
    const owner = await web.signUp({ orgName: 'Iron Gym' });
    const as = { token: owner.accessToken, orgId: owner.orgId };
    const agent = await web.api<{ id: string }>('POST', '/agents', { ...as, body: { name: 'Front desk', model: 'openai:gpt-4o-mini' } });
    expect(agent.status, JSON.stringify(agent.body)).toBe(201);

    const page = await web.newPage({ as: owner });
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: web.url });
    await page.goto('/settings');
    await tab(page, 'Website chat').click();
    await page.waitForURL('**/settings/website-chat');
    await page.getByText('No agent is published yet').waitFor();
    await expectAccessible(page, 'website chat, nothing published');

    // Nothing chosen, and a line that is not an origin: each is refused at its field, nothing is sent.
    const form = page.getByRole('form', { name: 'Publish an agent' });
    await form.getByRole('button', { name: 'Publish' }).click();
    await form.getByText('Choose the agent to publish').waitFor();
    await form.getByLabel('Agent').selectOption({ label: 'Front desk' });
    await form.getByLabel('Title').fill('Ask Iron Gym');
    await form.getByLabel('Allowed websites').fill('https://irongym.example\nirongym.example/contact');
    await form.getByRole('button', { name: 'Publish' }).click();
    await form.getByText(/^irongym\.example\/contact: must be an origin/).waitFor();
    expect(await form.getByLabel('Allowed websites').getAttribute('aria-invalid')).toBe('true');
    expect((await web.api<{ items: Publication[] }>('GET', '/chat-publications', as)).body.items).toEqual([]);

    await form.getByLabel('Allowed websites').fill('https://irongym.example\nhttps://www.irongym.example/');
    await form.getByRole('button', { name: 'Publish' }).click();
    await form.getByText('Published “Ask Iron Gym”. Copy its embed code below.').waitFor();
    const list = await web.api<{ items: Publication[] }>('GET', '/chat-publications', as);
    expect(list.body.items).toHaveLength(1);
    const pub = list.body.items[0]!;
    expect(pub).toMatchObject({ title: 'Ask Iron Gym', enabled: true, allowedOrigins: ['https://irongym.example', 'https://www.irongym.example'] });

    const item = page.getByRole('listitem', { name: 'Ask Iron Gym' });
    await item.getByText('https://irongym.example, https://www.irongym.example').waitFor();
    await item.getByText('Front desk').waitFor();
    const code = item.getByLabel('Embed code');
    expect(await code.inputValue()).toBe(pub.embedCode);
    expect(pub.embedCode).toContain(`data-key="${pub.publicKey}"`);
    await item.getByRole('button', { name: 'Copy embed code' }).click();
    await item.getByText('Copied').waitFor();
    expect(await page.evaluate('navigator.clipboard.readText()')).toBe(pub.embedCode);
    expect(await item.getByRole('link', { name: /Open the public chat page/ }).getAttribute('href')).toBe(pub.chatUrl);
    await expectAccessible(page, 'website chat, one published');
    await web.screenshot(page, 'website-chat');

    // Disabled: the public key answers 404 at once; enabled again: it works.
    const publicConfig = async () => (await web.api('GET', `/public/chat/${pub.publicKey}`)).status;
    expect(await publicConfig()).toBe(200);
    await item.getByRole('button', { name: 'Disable Ask Iron Gym' }).click();
    await item.getByText('disabled', { exact: true }).waitFor();
    expect(await publicConfig()).toBe(404);
    await item.getByRole('button', { name: 'Enable Ask Iron Gym' }).click();
    await item.getByText('enabled', { exact: true }).waitFor();
    expect(await publicConfig()).toBe(200);

    // Unpublished, after a confirmation: gone from the list, the key is dead.
    await item.getByRole('button', { name: 'Unpublish Ask Iron Gym' }).click();
    const dialog = page.getByRole('dialog', { name: 'Unpublish this chat' });
    await dialog.getByRole('button', { name: 'Unpublish' }).click();
    await page.getByText('No agent is published yet').waitFor();
    expect(await publicConfig()).toBe(404);
    expect((await web.api<{ items: Publication[] }>('GET', '/chat-publications', as)).body.items).toEqual([]);
    expect(web.problems(page)).toEqual([]);
  });

  it('shows a viewer what is published, without the admin controls, and fits a phone', async () => {
    const owner = await web.signUp({ orgName: 'Viewer Gym' });
    const as = { token: owner.accessToken, orgId: owner.orgId };
    const agent = await web.api<{ id: string }>('POST', '/agents', { ...as, body: { name: 'Front desk', model: 'openai:gpt-4o-mini' } });
    expect((await web.api('POST', '/chat-publications', { ...as, body: { agentId: agent.body.id, title: 'Ask us' } })).status).toBe(201);
    // A viewer of the organization, invited and accepted through the API.
    const viewer = await web.signUp({ orgName: 'Viewer Home' });
    const invite = await web.api<{ inviteUrl: string }>('POST', '/invitations', { ...as, body: { email: viewer.email, role: 'viewer' } });
    expect(invite.status, JSON.stringify(invite.body)).toBe(201);
    const token = new URL(invite.body.inviteUrl).searchParams.get('token');
    const accepted = await web.api('POST', '/invitations/accept', { token: viewer.accessToken, body: { token } });
    expect(accepted.status, JSON.stringify(accepted.body)).toBeLessThan(300);

    const page = await web.newPage({ as: { ...viewer, orgId: owner.orgId }, viewport: PHONE });
    await page.goto('/settings/website-chat');
    const item = page.getByRole('listitem', { name: 'Ask us' });
    await item.getByLabel('Embed code').waitFor();
    expect(await page.getByRole('form', { name: 'Publish an agent' }).count()).toBe(0);
    expect(await item.getByRole('button', { name: /Disable|Unpublish/ }).count()).toBe(0);
    expect(await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth')).toBeLessThanOrEqual(0);
    await expectAccessible(page, 'website chat for a viewer on a phone', { dark: false });
    expect(web.problems(page)).toEqual([]);
  });
});
