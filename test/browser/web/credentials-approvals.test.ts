import { describe, expect, it } from 'vitest';
import { expectAccessible } from '../../helpers/browser.js';
import { useWebHarness, type TestUser } from './harness.js';

/**
 * Provider credentials are tested before they are trusted ("Test connection", the OpenAI base URL
 * field), and an approval card names the agent, the task and the action, linked from the
 * approver's notification. The stub listens on 127.0.0.1, allowed here for organizations' URLs.
 */
describe('dashboard: test a credential; an approval card people can act on', () => {
  const web = useWebHarness({ stub: true, env: { TROUPE_PRIVATE_MODEL_HOSTS: '127.0.0.1', TROUPE_APPROVAL_TOOLS: 'notify_staff' } });
  const as = (user: TestUser) => ({ token: user.accessToken, orgId: user.orgId });

  it('OpenAI has a base URL field; "Test connection" shows the result or the provider’s own error inline, and saves nothing', async () => {
    const user = await web.signUp({ orgName: 'Key Testers' });
    const page = await web.newPage({ as: user });
    await page.goto('/settings/credentials');
    const openai = page.getByRole('article', { name: 'OpenAI', exact: true });
    const result = openai.getByTestId('credential-test-openai');
    await openai.getByLabel('Base URL (optional)').fill('not a url');
    await openai.getByLabel('API key').fill('sk-candidate-1');
    await openai.getByRole('button', { name: 'Test connection' }).click();
    await result.getByText(/^Not tested: the base URL must be an http/).waitFor();

    await openai.getByLabel('Base URL (optional)').fill(`${web.stub!.url}/v1`);
    await openai.getByRole('button', { name: 'Test connection' }).click();
    await result.getByText(/^Connected in \d+ ms · 3 models available\.$/).waitFor();
    expect(await result.getAttribute('role')).toBe('status');
    await expectAccessible(page, 'settings: a tested credential');
    await web.screenshot(page, 'credentials-tested');

    web.stub!.enqueue({ status: 401, text: 'Incorrect API key provided: sk-candidate-1.' });
    await openai.getByRole('button', { name: 'Test connection' }).click();
    await result.getByText('Failed (HTTP 401): Incorrect API key provided: [redacted].').waitFor();
    expect(await page.content()).not.toContain('sk-candidate-1.');
    const stored = await web.api<{ items: unknown[] }>('GET', '/credentials', as(user));
    expect(stored.body.items).toEqual([]);
    expect(web.problems(page).filter((p) => !p.includes('401'))).toEqual([]);
  }, 60_000);

  it('an approval card names the agent, the task and the action; the notification links to it; approve from there', async () => {
    const user = await web.signUp({ orgName: 'Approvers' });
    const agent = await web.api<{ id: string }>('POST', '/agents', { ...as(user), body: { name: 'Front desk', model: 'openai:gpt-4o-mini', tools: ['notify_staff'] } });
    const task = await web.api<{ id: string }>('POST', '/tasks', { ...as(user), body: { agentId: agent.body.id, title: 'Morning briefing', instructions: 'Tell the staff' } });
    web.stub!.enqueue({ toolCalls: [{ name: 'notify_staff', args: { title: 'Pool closed', body: 'Maintenance' } }] });
    const started = await web.api<{ id: string }>('POST', `/tasks/${task.body.id}/execute`, as(user));
    expect(started.status, JSON.stringify(started.body)).toBeLessThan(300);
    const approval = await expect
      .poll(async () => (await web.api<{ items: { id: string }[] }>('GET', '/approvals?status=pending', as(user))).body.items[0]?.id, { timeout: 20_000 })
      .toBeTruthy()
      .then(async () => (await web.api<{ items: { id: string }[] }>('GET', '/approvals?status=pending', as(user))).body.items[0]!.id);
    const note = await expect
      .poll(async () => (await web.api<{ items: { data: { path?: string } }[] }>('GET', '/notifications', as(user))).body.items.find((n) => n.data.path)?.data.path, { timeout: 20_000 })
      .toBe(`/approvals/${approval}`)
      .then(() => `/approvals/${approval}`);

    const page = await web.newPage({ as: user });
    await page.goto(note);
    const card = page.getByRole('article', { name: "Notify all staff (info): 'Pool closed'" });
    await card.getByRole('link', { name: 'Front desk' }).waitFor();
    await card.getByRole('link', { name: 'Morning briefing' }).waitFor();
    await card.getByText('"title": "Pool closed"').waitFor();
    await expectAccessible(page, 'one approval');
    await web.screenshot(page, 'approval-one');
    web.stub!.enqueue({ text: 'Told them.' });
    await card.getByLabel('Comment (optional)').fill('Fine');
    await card.getByRole('button', { name: 'Approve' }).click();
    await card.getByTestId('approval-decision').getByText(new RegExp(`^Approved by ${user.name}`)).waitFor();
    expect(web.problems(page)).toEqual([]);
  }, 60_000);
});
