import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { displayUsd } from '../../../src/billing/money.js';
import { expectAccessible } from '../../helpers/browser.js';
import { PHONE, useWebHarness, type TestUser } from './harness.js';

const mainHeading = (page: Page) => page.locator('main h1');

interface Run {
  id: string;
  status: string;
  output: string | null;
  billedMicros: number;
}
interface Step {
  kind: string;
  status: string;
  toolName: string | null;
  inputTokens: number;
  outputTokens: number;
  billedMicros: number;
}

describe('dashboard: runs and approvals', () => {
  // notify_staff asks a person before each call on this server.
  const web = useWebHarness({ stub: true, env: { TROUPE_APPROVAL_TOOLS: 'notify_staff' } });

  const as = (user: TestUser) => ({ token: user.accessToken, orgId: user.orgId });
  const stub = () => web.stub!;

  async function startRun(user: TestUser, agentId: string, task: string, title: string) {
    stub().enqueue({ toolCalls: [{ name: 'notify_staff', args: { title, body: `About: ${task}` } }], usage: { input: 120, output: 30 } });
    const res = await web.api<Run>('POST', `/agents/${agentId}/execute`, { ...as(user), body: { task } });
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    await waitFor(user, res.body.id, 'waiting_approval');
    return res.body.id;
  }
  async function waitFor(user: TestUser, runId: string, status: string) {
    await expect.poll(async () => (await web.api<Run>('GET', `/runs/${runId}`, as(user))).body.status, { timeout: 15_000 }).toBe(status);
  }
  // The dashboard shows money by the one rule of src/billing/money.ts.
  const money = (micros: number) => displayUsd(micros);

  it('approves from the inbox, rejects and cancels from the run page; the timeline shows every step', async () => {
    const user = await web.signUp({ orgName: 'Approval Gym' });
    const agent = await web.api<{ id: string }>('POST', '/agents', { ...as(user), body: { name: 'Front desk', model: 'openai:gpt-4o-mini', tools: ['notify_staff'] } });
    expect(agent.status, JSON.stringify(agent.body)).toBe(201);
    const agentId = agent.body.id;

    const approveRun = await startRun(user, agentId, 'Report the broken treadmill', 'Broken treadmill');
    const rejectRun = await startRun(user, agentId, 'Announce free pizza', 'Free pizza');
    const cancelRun = await startRun(user, agentId, 'Tell everyone the gym closes early', 'Closing early');

    // The inbox: everything waiting, with the shell's badge.
    const page = await web.newPage({ as: user });
    await page.goto('/approvals');
    await mainHeading(page).getByText('Approvals').waitFor();
    const inbox = page.getByRole('region', { name: 'Waiting for approval' });
    await expect.poll(() => inbox.getByRole('article').count()).toBe(3);
    const nav = page.getByRole('navigation', { name: 'Main' });
    await nav.getByRole('link', { name: /Approvals/ }).getByText('3').waitFor();
    await expectAccessible(page, 'the approvals inbox');
    await web.screenshot(page, 'approvals');

    // Approve one with a comment: it leaves the inbox, the run continues and succeeds.
    stub().enqueue({ text: 'I told the staff about the treadmill.', usage: { input: 150, output: 12 } });
    const treadmill = inbox.getByRole('article').filter({ hasText: 'Broken treadmill' });
    await treadmill.getByLabel('Comment (optional)').fill('Go ahead');
    await treadmill.getByRole('button', { name: 'Approve' }).click();
    await expect.poll(() => inbox.getByRole('article').count()).toBe(2);
    await nav.getByRole('link', { name: /Approvals/ }).getByText('2').waitFor();
    await waitFor(user, approveRun, 'succeeded');
    const decided = await web.api<{ items: { status: string; comment: string; runId: string }[] }>('GET', `/approvals?runId=${approveRun}`, as(user));
    expect(decided.body.items).toMatchObject([{ status: 'approved', comment: 'Go ahead' }]);

    // The runs list, filtered; the run page's timeline.
    await nav.getByRole('link', { name: 'Runs' }).click();
    await mainHeading(page).getByText('Runs').waitFor();
    const rows = page.getByRole('table', { name: 'Runs' }).locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(3);
    // The agent by its name, the run ids shortened with a copy button.
    await rows.first().getByRole('cell', { name: 'Front desk' }).waitFor();
    await rows.first().getByRole('button', { name: /^Copy the run id [0-9a-f]{8}$/ }).waitFor();
    await expectAccessible(page, 'the runs list');
    const statuses = page.getByRole('group', { name: 'Status' });
    await statuses.getByLabel('Succeeded').check();
    await expect.poll(() => rows.count()).toBe(1);
    await page.waitForURL(/status=succeeded/);
    await statuses.getByLabel('waiting approval').check();
    await expect.poll(() => rows.count()).toBe(3);
    await statuses.getByLabel('Succeeded').uncheck();
    await expect.poll(() => rows.count()).toBe(2);
    await statuses.getByLabel('waiting approval').uncheck();
    await statuses.getByLabel('Succeeded').check();
    await expect.poll(() => rows.count()).toBe(1);
    await web.screenshot(page, 'runs');
    await page.getByRole('link', { name: `Run ${approveRun.slice(0, 8)}` }).click();
    await page.waitForURL(`**/runs/${approveRun}`);
    await page.getByTestId('run-output').getByText('I told the staff about the treadmill.').waitFor();
    const steps = (await web.api<{ items: Step[] }>('GET', `/runs/${approveRun}/steps`, as(user))).body.items;
    expect(steps.map((s) => `${s.kind}:${s.status}`)).toEqual(['model_call:succeeded', 'tool_call:succeeded', 'model_call:succeeded']);
    const timeline = page.getByRole('list', { name: 'Steps of the run' });
    const items = timeline.getByRole('listitem');
    await expect.poll(() => items.count()).toBe(3);
    const first = items.nth(0);
    await first.getByText('120 in / 30 out tokens').waitFor();
    await first.getByText(money(steps[0]!.billedMicros)).waitFor();
    expect(steps[0]!.billedMicros).toBeGreaterThan(0);
    await items.nth(2).getByText('150 in / 12 out tokens').waitFor();
    const tool = items.nth(1);
    await tool.getByText('Tool call · notify_staff').click();
    await tool.getByText('"title": "Broken treadmill"').waitFor();
    await tool.getByText('"notified": "everyone"').waitFor();
    // A long result scrolls in its box, which the keyboard can reach.
    await tool.getByRole('region', { name: /^Result of notify_staff/ }).focus();
    await expectAccessible(page, 'a run’s page with a step open');
    const run = (await web.api<Run>('GET', `/runs/${approveRun}`, as(user))).body;
    await page.getByTestId('run-cost').getByText(money(run.billedMicros)).waitFor();
    await web.screenshot(page, 'run');

    // Reject one on its run page: the comment goes to the model, the run goes on without the call.
    await page.goto(`/runs/${rejectRun}`);
    const waiting = page.getByRole('region', { name: 'Waiting for your approval' });
    await waiting.getByText('"title": "Free pizza"').waitFor();
    await page.locator('main header [data-status="waiting_approval"]').waitFor();
    await expectAccessible(page, 'a run waiting for approval');
    await web.screenshot(page, 'run-waiting');
    stub().enqueue({ text: 'Understood, no announcement.', usage: { input: 160, output: 8 } });
    await waiting.getByLabel('Comment (optional)').fill('Not today');
    await waiting.getByRole('button', { name: 'Reject' }).click();
    await page.getByTestId('run-output').getByText('Understood, no announcement.').waitFor();
    await page.locator('main header [data-status="succeeded"]').waitFor();
    await page.getByRole('list', { name: 'Steps of the run' }).locator('[data-status="rejected"]').waitFor();
    const rejected = await web.api<{ items: { status: string; comment: string }[] }>('GET', `/approvals?runId=${rejectRun}`, as(user));
    expect(rejected.body.items).toMatchObject([{ status: 'rejected', comment: 'Not today' }]);
    const denial = stub().requests.at(-1)!.body as { messages: { role: string; content: unknown }[] };
    expect(JSON.stringify(denial.messages)).toContain('Not today');

    // Cancel a waiting run from its page, after confirming.
    await page.goto(`/runs/${cancelRun}`);
    await page.getByRole('button', { name: 'Cancel run' }).click();
    const dialog = page.getByRole('dialog', { name: 'Cancel this run?' });
    await dialog.getByRole('button', { name: 'Cancel run' }).click();
    await page.locator('main header [data-status="canceled"]').waitFor();
    expect(await page.getByRole('button', { name: 'Cancel run' }).count()).toBe(0);
    await waitFor(user, cancelRun, 'canceled');

    await page.goto('/approvals');
    await page.getByText('Nothing is waiting for you').waitFor();
    await page.getByLabel('Approved').check();
    await page.getByRole('article').getByText('Go ahead').waitFor();
    expect(web.problems(page)).toEqual([]);
  }, 60_000);

  it('searches runs by their words, agent and id, with status chips; the search stays in the address bar', async () => {
    const user = await web.signUp({ orgName: 'Search Gym' });
    const agents: Record<string, string> = {};
    for (const name of ['Front desk', 'Back office']) {
      const res = await web.api<{ id: string }>('POST', '/agents', { ...as(user), body: { name, model: 'openai:gpt-4o-mini' } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      agents[name] = res.body.id;
    }
    const execute = async (agent: string, task: string, answer: string) => {
      stub().enqueue({ text: answer, usage: { input: 20, output: 5 } });
      const res = await web.api<Run>('POST', `/agents/${agents[agent]}/execute`, { ...as(user), body: { task } });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      await waitFor(user, res.body.id, 'succeeded');
      return res.body.id;
    };
    const treadmill = await execute('Front desk', 'Report the broken treadmill', 'Maintenance is booked for Monday.');
    const towels = await execute('Back office', 'Order more towels', 'Ordered 200 towels from Acme.');
    const lockers = await execute('Back office', 'Count the lockers', 'There are 120 lockers.');

    const page = await web.newPage({ as: user });
    await page.goto('/runs');
    const rows = page.getByRole('table', { name: 'Runs' }).locator('tbody tr');
    await expect.poll(() => rows.count()).toBe(3);
    const search = page.getByLabel('Search runs');
    // The answer's words, by their start; debounced into the address bar.
    await search.fill('acme');
    await page.waitForURL(/[?&]q=acme/);
    await expect.poll(() => rows.count()).toBe(1);
    await page.getByRole('link', { name: `Run ${towels.slice(0, 8)}` }).waitFor();
    // A reload (or a shared link) keeps the search.
    await page.reload();
    expect(await search.inputValue()).toBe('acme');
    await page.getByRole('link', { name: `Run ${towels.slice(0, 8)}` }).waitFor();
    expect(await rows.count()).toBe(1);
    // The agent's name; with the agent select.
    await search.fill('office');
    await expect.poll(() => rows.count()).toBe(2);
    await page.getByLabel('Agent', { exact: true }).selectOption({ label: 'Back office' });
    await page.waitForURL(new RegExp(`agentId=${agents['Back office']}`));
    await expect.poll(() => rows.count()).toBe(2);
    await search.fill('locker');
    await expect.poll(() => rows.count()).toBe(1);
    await page.getByRole('link', { name: `Run ${lockers.slice(0, 8)}` }).waitFor();
    await page.getByLabel('Agent', { exact: true }).selectOption({ label: 'All agents' });
    // The run id's start, as the table shows it.
    await search.fill(treadmill.slice(0, 8));
    await page.getByRole('link', { name: `Run ${treadmill.slice(0, 8)}` }).waitFor();
    await expect.poll(() => rows.count()).toBe(1);
    await rows.first().getByRole('cell', { name: 'Front desk' }).waitFor();
    // Status chips combine with the search.
    await page.getByRole('group', { name: 'Status' }).getByLabel('failed').check();
    await page.getByText('No runs match these filters').waitFor();
    await page.getByRole('group', { name: 'Status' }).getByLabel('failed').uncheck();
    await search.fill('');
    await expect.poll(() => rows.count()).toBe(3);
    expect(new URL(page.url()).search).toBe('');
    await expectAccessible(page, 'the runs list, searched');
    expect(web.problems(page)).toEqual([]);
  }, 60_000);

  it('on a phone: the inbox and the run page fit the screen', async () => {
    const user = await web.signUp({ orgName: 'Phone Runs' });
    const agent = await web.api<{ id: string }>('POST', '/agents', { ...as(user), body: { name: 'Pocket desk', model: 'openai:gpt-4o-mini', tools: ['notify_staff'] } });
    const runId = await startRun(user, agent.body.id, 'Tell the staff the sauna is fixed', 'Sauna fixed');
    const page = await web.newPage({ viewport: PHONE, as: user });
    await page.goto('/approvals');
    await page.getByRole('article').getByText('"title": "Sauna fixed"').waitFor();
    const overflow = () => page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(await overflow()).toBeLessThanOrEqual(0);
    await web.screenshot(page, 'approvals-phone');
    await page.goto(`/runs/${runId}`);
    await page.getByRole('list', { name: 'Steps of the run' }).getByRole('listitem').first().waitFor();
    expect(await overflow()).toBeLessThanOrEqual(0);
    await web.screenshot(page, 'run-phone');
    // Leave nothing waiting on the stub queue for others.
    await web.api('POST', `/runs/${runId}/cancel`, as(user));
    expect(web.problems(page)).toEqual([]);
  });
});
