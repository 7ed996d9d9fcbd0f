import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { expectAccessible } from '../../helpers/browser.js';
import { PHONE, useWebHarness, type TestUser } from './harness.js';

interface Member {
  userId: string;
  role: string;
}

const tab = (page: Page, name: string) => page.getByRole('navigation', { name: 'Settings sections' }).getByRole('link', { name });

describe('dashboard: settings and audit log', () => {
  const web = useWebHarness();

  it('invites, changes roles, creates an API key shown once, stores a credential write-only, sets markup and budget, runs the scheduler, and audits it all', async () => {
    // The person who sets the server up is its instance operator (the run queue's switch); Olga,
    // who signs up afterwards, owns only her organization.
    expect(web.setupToken).toBeTruthy();
    const setupBody = { token: web.setupToken, email: 'root@example.com', password: 'operator pass phrase 9', name: 'Rita Root', organizationName: 'Server Org' };
    const setup = await web.api<{ user: { id: string; isOperator: boolean }; organization: { id: string; name: string }; tokens: { accessToken: string; refreshToken: string; expiresIn: number } }>(
      'POST',
      '/setup',
      { body: setupBody },
    );
    expect(setup.status, JSON.stringify(setup.body)).toBe(201);
    expect(setup.body.user.isOperator).toBe(true);
    const operator: TestUser = {
      email: setupBody.email,
      password: setupBody.password,
      name: setupBody.name,
      userId: setup.body.user.id,
      orgId: setup.body.organization.id,
      orgName: setup.body.organization.name,
      ...setup.body.tokens,
    };
    const owner = await web.signUp({ name: 'Olga Owner', orgName: 'Settings Org' });
    const as = { token: owner.accessToken, orgId: owner.orgId };
    const page = await web.newPage({ as: owner });
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: web.url });
    const clipboard = () => page.evaluate<string>('navigator.clipboard.readText()');

    // ---- Members and invitations
    await page.goto('/settings');
    await page.waitForURL('**/settings/members');
    const members = page.getByRole('table', { name: 'Members and their roles' });
    await members.getByRole('cell', { name: owner.email, exact: true }).waitFor();
    await expectAccessible(page, 'settings: members');
    await page.getByLabel('Email').fill('not an email');
    await page.getByRole('button', { name: 'Invite', exact: true }).click();
    await expect.poll(() => page.locator('#invite-email-error').textContent()).toBe('Enter an email address');
    await page.getByLabel('Email').fill('Nina.New@example.com');
    await page.locator('#invite-role').selectOption('admin');
    await page.getByRole('button', { name: 'Invite', exact: true }).click();
    const link = page.getByLabel('Invitation link');
    await expect.poll(() => link.inputValue()).toMatch(/\/invite\?token=\S+$/);
    await page.getByRole('button', { name: 'Copy link' }).click();
    await page.getByText('Copied').waitFor();
    expect(await clipboard()).toBe(await link.inputValue());
    const pending = page.getByRole('table', { name: 'Pending invitations' });
    await pending.getByRole('cell', { name: 'nina.new@example.com', exact: true }).waitFor();
    const invitations = await web.api<{ items: { email: string; role: string }[] }>('GET', '/invitations', as);
    expect(invitations.body.items).toEqual([expect.objectContaining({ email: 'nina.new@example.com', role: 'admin' })]);

    // Someone joins (through the API), and the owner changes their role on the page.
    const max = await web.signUp({ name: 'Max Member', email: 'max@example.com' });
    const invite = await web.api<{ inviteUrl: string }>('POST', '/invitations', { ...as, body: { email: 'max@example.com', role: 'member' } });
    const token = new URL(invite.body.inviteUrl).searchParams.get('token');
    expect((await web.api('POST', '/invitations/accept', { token: max.accessToken, body: { token } })).status).toBe(200);
    await page.reload();
    await members.getByRole('cell', { name: 'max@example.com', exact: true }).waitFor();
    await page.getByLabel('Role of Max Member').selectOption('viewer');
    await expect.poll(async () => (await web.api<{ items: Member[] }>('GET', '/members', as)).body.items.find((m) => m.userId === max.userId)?.role).toBe('viewer');
    // Revoke Nina's invitation (with confirmation).
    await page.getByRole('button', { name: 'Revoke the invitation for nina.new@example.com' }).click();
    await page.getByRole('dialog', { name: 'Revoke invitation' }).getByRole('button', { name: 'Revoke' }).click();
    await page.getByText('No pending invitations').waitFor();
    await web.screenshot(page, 'settings-members');

    // ---- API keys: the key is shown once.
    await tab(page, 'API keys').click();
    await page.waitForURL('**/settings/api-keys');
    await page.getByRole('button', { name: 'Create key' }).click();
    await expect.poll(() => page.locator('#key-name-error').textContent()).toBe('Required');
    await page.getByLabel('Name').fill('CRM sync');
    await page.getByLabel('Expires').fill('2020-01-31');
    await page.getByRole('button', { name: 'Create key' }).click();
    // The API's refusal, next to the field it names.
    await expect.poll(() => page.locator('#key-expiresAt-error').textContent()).toBe('must be in the future');
    await page.getByLabel('Expires').fill('');
    await page.getByRole('button', { name: 'Create key' }).click();
    const secretBox = page.getByLabel('The new API key');
    await page.getByText('This is the only time it is shown.').waitFor();
    const secret = await secretBox.inputValue();
    expect(secret).toMatch(/^trp_/);
    await page.getByRole('button', { name: 'Copy key' }).click();
    await expect.poll(clipboard).toBe(secret);
    expect((await web.api('GET', '/agents', { token: secret })).status).toBe(200);
    await web.screenshot(page, 'settings-api-keys');
    await page.getByRole('button', { name: 'I have stored it' }).click();
    const keys = page.getByRole('table', { name: /API keys/ });
    await keys.getByRole('cell', { name: 'CRM sync', exact: true }).waitFor();
    expect(await page.content()).not.toContain(secret);
    await page.reload();
    await keys.getByRole('cell', { name: 'CRM sync', exact: true }).waitFor();
    await expectAccessible(page, 'settings: API keys');
    expect(await page.content()).not.toContain(secret);

    // ---- Provider credentials: write-only.
    await tab(page, 'Provider credentials').click();
    const groq = page.getByRole('article', { name: 'Groq' });
    await groq.getByText('Not set').waitFor();
    const groqKey = 'gsk-test-secret-4242';
    await groq.getByLabel('API key').fill(groqKey);
    await groq.getByRole('button', { name: 'Save' }).click();
    await groq.getByText('Saved. The key is stored; it is not shown.').waitFor();
    await groq.getByText(/Key set by this organization, updated/).waitFor();
    await expectAccessible(page, 'settings: provider credentials');
    expect(await groq.getByLabel('New API key').inputValue()).toBe('');
    expect(await page.content()).not.toContain(groqKey);
    const creds = await web.api<{ items: { provider: string; hasApiKey: boolean }[] }>('GET', '/credentials', as);
    expect(creds.body.items).toEqual([expect.objectContaining({ provider: 'groq', hasApiKey: true })]);
    expect(JSON.stringify(creds.body)).not.toContain(groqKey);
    await web.screenshot(page, 'settings-credentials');

    // ---- Markup and budget: a validation error next to its field, then saved.
    await tab(page, 'Markup and budgets').click();
    await page.getByLabel('Markup (%)').fill('2000');
    await page.getByLabel('Monthly budget (USD)').fill('12.3.4');
    await page.getByRole('button', { name: 'Save' }).click();
    // Each error next to its field, and what the person typed is still there.
    await expect.poll(() => page.locator('#billing-markupPercent-error').textContent()).toBe('Must be at most 1000');
    await expect.poll(() => page.locator('#billing-monthlyBudgetMicros-error').textContent()).toBe('Must be a number');
    expect(await page.getByLabel('Markup (%)').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('Monthly budget (USD)').inputValue()).toBe('12.3.4');
    // The form moves focus to its first bad field a frame after Save, but not if the person has
    // moved on: keystrokes typed meanwhile stay in the field they were typed in (frames delayed here).
    await page.evaluate(`(() => { const raf = window.requestAnimationFrame.bind(window); window.__raf = raf; window.requestAnimationFrame = (cb) => raf(() => setTimeout(cb, 300)); })()`);
    await page.getByRole('button', { name: 'Save' }).click();
    const budget = page.getByLabel('Monthly budget (USD)');
    await budget.click();
    await budget.press('ControlOrMeta+a');
    await budget.pressSequentially('99', { delay: 450 });
    expect(await budget.inputValue()).toBe('99');
    expect(await page.getByLabel('Markup (%)').inputValue()).toBe('2000');
    await page.evaluate(`window.requestAnimationFrame = window.__raf`);
    await page.getByLabel('Markup (%)').fill('35');
    await page.getByLabel('Monthly budget (USD)').fill('250.50');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByText('Saved. New model calls').waitFor();
    await expectAccessible(page, 'settings: markup and budgets');
    const org = await web.api<{ markupPercent: number; monthlyBudgetMicros: number }>('GET', '/orgs/current', as);
    expect(org.body).toMatchObject({ markupPercent: 35, monthlyBudgetMicros: 250_500_000 });
    await web.screenshot(page, 'settings-billing');

    // ---- Scheduler and queue (a weekly task, so there are next fires to show).
    const agent = await web.api<{ id: string }>('POST', '/agents', { ...as, body: { name: 'Weekly Wendy', model: 'openai:gpt-4o-mini' } });
    expect(agent.status, JSON.stringify(agent.body)).toBe(201);
    const task = await web.api('POST', '/tasks', { ...as, body: { agentId: agent.body.id, title: 'Monday report', instructions: 'Write the report', schedule: { cron: '0 9 * * 1' } } });
    expect(task.status, JSON.stringify(task.body)).toBe(201);
    await tab(page, 'Scheduler and queue').click();
    const scheduler = page.getByRole('region', { name: 'Scheduler' });
    await scheduler.getByText('running', { exact: true }).waitFor();
    await expect.poll(() => page.getByTestId('scheduler-leader').textContent()).not.toBe('No process leads');
    const fires = page.getByRole('table', { name: 'Next fires' });
    await fires.getByRole('link', { name: 'Monday report' }).first().waitFor();
    expect(await fires.locator('tbody tr').count()).toBe(10);
    await page.getByRole('button', { name: 'Stop scheduler' }).click();
    await scheduler.getByText('stopped', { exact: true }).waitFor();
    expect((await web.api<{ running: boolean }>('GET', '/scheduler', as)).body.running).toBe(false);
    await page.getByRole('button', { name: 'Start scheduler' }).click();
    await scheduler.getByText('running', { exact: true }).waitFor();
    const queue = page.getByRole('region', { name: 'Run queue' });
    await queue.getByText('taking runs').waitFor();
    // Olga owns an organization, not the server: her organization's figures, and no switch of
    // the queue every organization shares (nor a scheduler pass for everyone).
    await queue.getByText("Your organization's runs only.", { exact: false }).waitFor();
    await expectAccessible(page, 'settings: scheduler and queue');
    for (const k of ['waiting', 'active', 'delayed', 'failed', 'completed', 'throughputPerMinute']) {
      expect(await page.getByTestId(`queue-${k}`).textContent()).toMatch(/^\d+$/);
    }
    expect(await queue.getByText('Failed (24 h)').count()).toBe(1);
    expect(await page.getByRole('button', { name: /Pause queue|Resume queue/ }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Check now' }).count()).toBe(0);
    expect((await web.api('POST', '/queue/pause', as)).status).toBe(403);
    await web.screenshot(page, 'settings-system');

    // The operator sees the whole server's queue and its switch. Pausing asks first (it stops
    // every organization's runs), then resume; Olga's page shows the pause as it happens.
    const ops = await web.newPage({ as: operator });
    await ops.goto('/settings/system');
    const opsQueue = ops.getByRole('region', { name: 'Run queue' });
    await opsQueue.getByText('The whole server', { exact: false }).waitFor();
    await ops.getByRole('button', { name: 'Check now' }).click();
    await ops.getByRole('region', { name: 'Scheduler' }).getByRole('status').getByText(/Fired \d+ due schedule/).waitFor();
    await ops.getByRole('button', { name: 'Pause queue' }).click();
    await ops.getByRole('dialog', { name: 'Pause the run queue' }).getByRole('button', { name: 'Pause queue' }).click();
    await opsQueue.getByText('paused', { exact: true }).waitFor();
    await web.screenshot(ops, 'settings-system-operator');
    expect((await web.api<{ paused: boolean; scope: string }>('GET', '/queue', as)).body).toMatchObject({ paused: true, scope: 'organization' });
    await queue.getByText('paused', { exact: true }).waitFor({ timeout: 15_000 });
    await ops.getByRole('button', { name: 'Resume queue' }).click();
    await opsQueue.getByText('taking runs').waitFor();
    expect((await web.api<{ paused: boolean }>('GET', '/queue', as)).body.paused).toBe(false);
    const opsAudit = await web.api<{ items: { action: string }[] }>('GET', '/audit?action=queue.', { token: operator.accessToken, orgId: operator.orgId });
    expect(opsAudit.body.items.map((e) => e.action).sort()).toEqual(['queue.paused', 'queue.resumed']);
    expect(web.problems(ops)).toEqual([]);

    // ---- Audit log: what was just done, filtered, in pages of 25.
    for (let i = 0; i < 15; i++) expect((await web.api('PATCH', '/orgs/current', { ...as, body: { name: `Settings Org ${i}` } })).status).toBe(200);
    const all = (await web.api<{ total: number }>('GET', '/audit?limit=1', as)).body.total;
    expect(all).toBeGreaterThan(25);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Audit' }).click();
    await page.waitForURL('**/audit');
    const log = page.getByRole('table', { name: /Audit log entries/ });
    await log.getByText('organization.updated').first().waitFor();
    const pages = page.getByRole('navigation', { name: 'Pages' });
    await pages.getByText(`1–25 of ${all}`).waitFor();
    expect(await log.locator('tbody tr').count()).toBe(25);
    await expectAccessible(page, 'the audit log');
    await pages.getByRole('button', { name: 'Next' }).click();
    await pages.getByText(`26–${all} of ${all}`).waitFor();
    expect(await log.locator('tbody tr').count()).toBe(all - 25);
    await log.getByText('user.signed_up').waitFor();
    await pages.getByRole('button', { name: 'Previous' }).click();
    await pages.getByText(`1–25 of ${all}`).waitFor();
    await page.getByLabel('Action').fill('Not An Action');
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await expect.poll(() => page.locator('#audit-action-error').textContent()).toMatch(/^must be an action like agent.updated/);
    await page.getByLabel('Action').fill('api_key.');
    await page.getByLabel('Actor').selectOption({ label: `Olga Owner (${owner.email})` });
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/action=api_key\./);
    await log.getByText('api_key.created').first().waitFor();
    await web.screenshot(page, 'audit-filtered');
    const actions = await log.locator('tbody .badge').allTextContents();
    expect(actions.length).toBeGreaterThan(0);
    expect(actions.every((a) => a.startsWith('api_key.'))).toBe(true);
    // The API agrees about what the filter holds.
    const created = await web.api<{ items: { action: string }[]; total: number }>('GET', `/audit?action=api_key.created&actorId=${owner.userId}`, as);
    expect(created.body.total).toBe(1);
    expect(await log.getByText('api_key.created').count()).toBe(1);
    await page.getByLabel('Actor').selectOption({ label: 'Anyone' });
    const families: [string, string[]][] = [
      ['invitation.', ['invitation.created', 'invitation.revoked']],
      ['member.', ['member.joined', 'member.role_changed']],
      ['credential.', ['credential.updated']],
      ['scheduler.', ['scheduler.stopped', 'scheduler.started']],
    ];
    for (const [prefix, expected] of families) {
      await page.getByLabel('Action').fill(prefix);
      await page.getByRole('button', { name: 'Apply filters' }).click();
      await page.waitForURL(`**/audit?action=${prefix}`);
      for (const action of expected) await log.getByText(action, { exact: true }).first().waitFor();
      expect((await log.locator('tbody .badge').allTextContents()).every((a) => a.startsWith(prefix))).toBe(true);
    }
    await page.getByRole('button', { name: 'Clear' }).click();
    await page.waitForURL('**/audit');
    await pages.getByText(`1–25 of ${all}`).waitFor();
    // Search (debounced, in the address bar): by the agent's name, the entries about it, named.
    await page.getByLabel('Search the audit log').fill('weekly');
    await page.waitForURL(/[?&]q=weekly/);
    await pages.getByText('1–1 of 1').waitFor();
    await log.getByText('agent.created', { exact: true }).waitFor();
    await log.getByRole('link', { name: 'Weekly Wendy' }).waitFor();
    await log.getByRole('button', { name: /^Copy the agent id / }).waitFor();
    await page.reload();
    await pages.getByText('1–1 of 1').waitFor();
    expect(await page.getByLabel('Search the audit log').inputValue()).toBe('weekly');
    await page.getByLabel('Search the audit log').fill('');
    await page.waitForURL('**/audit');
    await pages.getByText(`1–25 of ${all}`).waitFor();
    await web.screenshot(page, 'audit');
    await page.setViewportSize(PHONE);
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
    await web.screenshot(page, 'audit-phone');
    expect(web.problems(page)).toEqual([]);

    // A viewer sees only what the role allows.
    const viewer = await web.newPage({ as: { ...max, orgId: owner.orgId }, viewport: PHONE });
    await viewer.goto('/settings/members');
    await viewer.getByRole('table', { name: 'Members and their roles' }).getByText(owner.email).waitFor();
    expect(await tab(viewer, 'API keys').count()).toBe(0);
    expect(await tab(viewer, 'Provider credentials').count()).toBe(0);
    expect(await viewer.getByRole('heading', { name: 'Invitations' }).count()).toBe(0);
    expect(await viewer.getByRole('combobox', { name: /Role of/ }).count()).toBe(0);
    expect(await viewer.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
    await web.screenshot(viewer, 'settings-phone');
    await viewer.goto('/settings/billing');
    await viewer.getByText('Only an owner can change these.').waitFor();
    expect(web.problems(viewer)).toEqual([]);
  }, 60_000);
});
