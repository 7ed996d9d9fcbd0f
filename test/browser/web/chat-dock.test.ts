import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { DESKTOP, PHONE, useWebHarness, type TestUser } from './harness.js';
import { expectAccessible } from '../../helpers/browser.js';

/*
 * The floating chat (web/src/pages/chat/chat-dock.tsx) as a new user meets it: a new agent has
 * its name and initials at once, and the dock, once opened, does not sit over other pages'
 * buttons (playwright's click without `force` fails when another element would get the click).
 */
describe('dashboard: the floating chat', () => {
  // notify_staff asks a person before each call on this server (the approvals page needs one).
  const web = useWebHarness({ stub: true, env: { TROUPE_APPROVAL_TOOLS: 'notify_staff' } });

  const as = (user: TestUser) => ({ token: user.accessToken, orgId: user.orgId });
  const createAgent = async (user: TestUser, name: string, tools: string[] = []) => {
    const res = await web.api<{ id: string }>('POST', '/agents', { ...as(user), body: { name, model: 'openai:gpt-4o-mini', tools } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id;
  };
  const dockOf = (page: Page) => page.getByRole('complementary', { name: 'Chat with agents' });
  // The link's name may go on with a count ("Approvals 1 waiting").
  const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: new RegExp(`^${name}`) }).click();
  /** Opens the dock's window with this agent from its "Start a chat" list. */
  async function openDock(page: Page, agentName: string): Promise<Locator> {
    const dock = dockOf(page);
    await dock.getByRole('button', { name: 'Start a chat' }).click();
    await dock.getByRole('dialog', { name: 'Start a chat' }).getByRole('button', { name: new RegExp(agentName) }).click();
    const win = dock.getByRole('region', { name: `Chat with ${agentName}` });
    await win.getByText('Start a conversation with').waitFor();
    return win;
  }
  /** Fails (after the timeout) when the element is covered: a click's actionability checks, without clicking. */
  const clickable = (target: Locator) => target.click({ trial: true, timeout: 10_000 });

  it('shows a new agent’s name and initials in its first chat and in the dock tab, without a reload', async () => {
    const user = await web.signUp({ orgName: 'New Agent Gym' });
    const page = await web.newPage({ as: user });
    await page.goto('/agents');
    // The dock has loaded its agents: none yet.
    const dock = dockOf(page);
    await dock.getByRole('button', { name: 'Start a chat' }).click();
    await dock.getByText('No agents yet.').waitFor();
    await page.keyboard.press('Escape');
    await dock.getByRole('dialog', { name: 'Start a chat' }).waitFor({ state: 'hidden' });

    // Create one through the form, then chat with it from its page at once.
    await page.getByRole('link', { name: 'New agent' }).click();
    await page.getByLabel('Name', { exact: true }).fill('Night Owl');
    const model = page.getByLabel('Model', { exact: true });
    await expect.poll(() => model.locator('option[value="openai:gpt-4o-mini"]').count()).toBe(1);
    await model.selectOption('openai:gpt-4o-mini');
    await page.getByRole('button', { name: 'Create agent' }).click();
    await page.waitForURL(/\/agents\/[0-9a-f-]{36}$/);
    await page.getByRole('main').getByRole('link', { name: 'Chat', exact: true }).click();
    await page.waitForURL(/\/chat\?agentId=/);
    const header = page.locator('.chat-main-header');
    await header.getByText('Night Owl').waitFor();
    expect(await header.locator('.chat-avatar').textContent()).toBe('NO');
    await page.getByRole('log', { name: 'Conversation with Night Owl' }).getByText('Start a conversation with Night Owl.').waitFor();
    await page.getByLabel('Message Night Owl').waitFor();

    // The dock on another page lists it and names its window and tab.
    await nav(page, 'Agents');
    const win = await openDock(page, 'Night Owl');
    expect(await win.locator('.chat-window-header .chat-avatar').textContent()).toBe('NO');
    await win.getByRole('button', { name: 'Minimize chat' }).click();
    const tab = dock.getByRole('button', { name: 'Chat with Night Owl' });
    expect(await tab.textContent()).toContain('NO');
    expect(await tab.getAttribute('title')).toBe('Night Owl');

    // An agent made elsewhere (here through the API) since the dashboard loaded its list: its
    // chat, opened without a reload, looks it up.
    const otherId = await createAgent(user, 'Quiet Quill');
    await page.evaluate(`history.pushState(null, '', '/chat?agentId=${otherId}'); dispatchEvent(new PopStateEvent('popstate'))`);
    await header.getByText('Quiet Quill').waitFor();
    expect(await header.locator('.chat-avatar').textContent()).toBe('QQ');
    expect(await page.getByText(/^Agent$/).count()).toBe(0);
    expect(web.problems(page)).toEqual([]);
  });

  it('on a desktop (1280×800): minimizes on another page unless kept open, never covers Approve/Reject, closes with Escape', async () => {
    const user = await web.signUp({ orgName: 'Dock Desktop Gym' });
    const agentId = await createAgent(user, 'Front Desk', ['notify_staff']);
    // A run waiting for approval, so the approvals page has its Approve and Reject buttons.
    web.stub!.enqueue({ toolCalls: [{ name: 'notify_staff', args: { title: 'Broken treadmill', body: 'Report it' } }], usage: { input: 100, output: 20 } });
    const run = await web.api<{ id: string }>('POST', `/agents/${agentId}/execute`, { ...as(user), body: { task: 'Report the broken treadmill' } });
    expect(run.status, JSON.stringify(run.body)).toBe(202);
    await expect.poll(async () => (await web.api<{ status: string }>('GET', `/runs/${run.body.id}`, as(user))).body.status, { timeout: 15_000 }).toBe('waiting_approval');

    const page = await web.newPage({ viewport: DESKTOP, as: user });
    await page.goto('/agents');
    const dock = dockOf(page);
    const win = await openDock(page, 'Front Desk');

    // Another page: the window is minimized to its tab; the buttons are free.
    await nav(page, 'Approvals');
    const card = page.getByRole('region', { name: 'Waiting for approval' }).getByRole('article').filter({ hasText: 'Broken treadmill' });
    await card.getByRole('button', { name: 'Approve' }).waitFor();
    await win.waitFor({ state: 'hidden' });
    const tab = dock.getByRole('button', { name: 'Chat with Front Desk' });
    expect(await tab.getAttribute('aria-pressed')).toBe('false');
    await clickable(card.getByRole('button', { name: 'Approve' }));
    await clickable(card.getByRole('button', { name: 'Reject' }));

    // Opened on this page, it takes a column of its own: the page's buttons stay clickable.
    await tab.click();
    await win.getByText('Start a conversation with').waitFor();
    await expectAccessible(page, 'approvals with the chat window open');
    await clickable(card.getByRole('button', { name: 'Approve' }));
    await clickable(card.getByRole('button', { name: 'Reject' }));
    const [winBox, approveBox] = [await win.boundingBox(), await card.getByRole('button', { name: 'Approve' }).boundingBox()];
    expect(approveBox!.x + approveBox!.width).toBeLessThanOrEqual(winBox!.x);
    await web.screenshot(page, 'chat-dock-approvals');

    // Escape (the focus is in the window) minimizes it and gives the focus to its tab.
    await expect.poll(() => page.evaluate('document.activeElement?.tagName')).toBe('TEXTAREA');
    await page.keyboard.press('Escape');
    await win.waitFor({ state: 'hidden' });
    await expect.poll(() => page.evaluate('document.activeElement?.getAttribute("title")')).toBe('Front Desk');

    // Kept open on purpose: it stays open across pages (and a reload), still clear of the buttons.
    await tab.click();
    await win.getByRole('button', { name: 'Keep open on every page' }).click();
    expect(await win.getByRole('button', { name: 'Keep open on every page' }).getAttribute('aria-pressed')).toBe('true');
    await nav(page, 'Runs');
    await page.locator('main h1').getByText('Runs').waitFor();
    await nav(page, 'Approvals');
    await card.getByRole('button', { name: 'Approve' }).waitFor();
    expect(await win.isVisible()).toBe(true);
    await clickable(card.getByRole('button', { name: 'Reject' }));
    await page.reload();
    await win.getByText('Start a conversation with').waitFor();
    await card.getByRole('button', { name: 'Approve' }).waitFor();
    await clickable(card.getByRole('button', { name: 'Approve' }));

    // Not kept open: a reload starts minimized.
    await win.getByRole('button', { name: 'Keep open on every page' }).click();
    await page.reload();
    await tab.waitFor();
    await card.getByRole('button', { name: 'Approve' }).waitFor();
    expect(await win.count()).toBe(0);
    expect(web.problems(page)).toEqual([]);
  });

  it('on a phone (390×844): a full-screen sheet that closes with Escape and does not come back over "Create agent", "Save changes" or "Next"', async () => {
    const user = await web.signUp({ orgName: 'Dock Phone Gym' });
    const agentId = await createAgent(user, 'Coach Bot');
    // More tasks than a page holds, so the tasks page has a "Next" button at its end.
    for (let i = 1; i <= 21; i++) {
      const res = await web.api('POST', '/tasks', { ...as(user), body: { agentId, title: `Task ${String(i).padStart(2, '0')}`, instructions: 'Check the towels.' } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }
    const page = await web.newPage({ viewport: PHONE, as: user });
    await page.goto('/agents');
    const dock = dockOf(page);

    // The sheet fills the screen; Escape minimizes it.
    let win = await openDock(page, 'Coach Bot');
    expect(await win.boundingBox()).toMatchObject({ x: 0, y: 0, width: PHONE.width, height: PHONE.height });
    await page.keyboard.press('Escape');
    await win.waitFor({ state: 'hidden' });

    // Opened, then another page loaded: minimized there; the form's button is free.
    win = await openDock(page, 'Coach Bot');
    await page.goto('/agents/new');
    await page.getByLabel('Name', { exact: true }).fill('Towel Keeper');
    const model = page.getByLabel('Model', { exact: true });
    await expect.poll(() => model.locator('option[value="openai:gpt-4o-mini"]').count()).toBe(1);
    await model.selectOption('openai:gpt-4o-mini');
    await dock.getByRole('button', { name: 'Chat with Coach Bot' }).waitFor();
    expect(await win.count()).toBe(0);
    await page.getByRole('button', { name: 'Create agent' }).click();
    await page.waitForURL(/\/agents\/[0-9a-f-]{36}$/);

    const newId = new URL(page.url()).pathname.split('/').pop()!;

    // Opened on the edit page, then the browser's Back: minimized on the page it goes back to.
    await page.getByRole('main').getByRole('link', { name: 'Edit', exact: true }).click();
    await page.waitForURL(/\/edit$/);
    win = await openDock(page, 'Coach Bot');
    expect(await win.getByRole('button', { name: 'Keep open on every page' }).isVisible()).toBe(false);
    await page.goBack();
    await page.waitForURL(/\/agents\/[0-9a-f-]{36}$/);
    await win.waitFor({ state: 'hidden' });
    await page.getByRole('main').getByRole('link', { name: 'Edit', exact: true }).click();
    await page.getByLabel('Role').fill('keeps the towels');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForURL(/\/agents\/[0-9a-f-]{36}(\?|$)/);
    await expect.poll(async () => (await web.api<{ role: string }>('GET', `/agents/${newId}`, as(user))).body.role).toBe('keeps the towels');

    // The tasks page's "Next", at the end of the page, above the tabs.
    win = await openDock(page, 'Coach Bot');
    await page.goto('/tasks');
    await page.getByRole('navigation', { name: 'Tasks pages' }).waitFor();
    expect(await win.count()).toBe(0);
    const next = page.getByRole('navigation', { name: 'Tasks pages' }).getByRole('button', { name: 'Next' });
    await next.click();
    await page.getByRole('navigation', { name: 'Tasks pages' }).getByText('21–21 of 21').waitFor();
    await web.screenshot(page, 'chat-dock-phone-tasks');
    expect(web.problems(page)).toEqual([]);
  });
});
