import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { expectAccessible } from '../../helpers/browser.js';
import { PHONE, useWebHarness, type TestUser } from './harness.js';

const mainHeading = (page: Page) => page.locator('main h1');
const byId = (page: Page, id: string) => page.locator(`[id="${id}"]`);

describe('dashboard: tasks', () => {
  const web = useWebHarness({ stub: true });

  const as = (user: TestUser) => ({ token: user.accessToken, orgId: user.orgId });
  async function createAgent(user: TestUser, name: string) {
    const res = await web.api<{ id: string }>('POST', '/agents', { ...as(user), body: { name, model: 'openai:gpt-4o-mini', instructions: 'Write short reports.' } });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id;
  }

  it('creates a scheduled task with the cron builder, sees it run live, runs it now, edits, pauses and deletes it', async () => {
    const user = await web.signUp({ orgName: 'Task Gym' });
    await createAgent(user, 'Reporter');
    const page = await web.newPage({ as: user });
    await page.goto('/tasks');
    await mainHeading(page).getByText('Tasks').waitFor();
    await page.getByText('No tasks yet').waitFor();
    await expectAccessible(page, 'the empty tasks list');

    await page.getByRole('link', { name: 'New scheduled task' }).click();
    await page.waitForURL('**/tasks/new?kind=scheduled');
    await mainHeading(page).getByText('New task').waitFor();
    await expect.poll(() => page.getByLabel('Agent').locator('option:checked').textContent()).toBe('Reporter');

    // Client-side validation with the server's schema, and the context's JSON checked.
    await page.getByRole('button', { name: 'Create task' }).click();
    await expect.poll(() => byId(page, 'task-title-error').textContent()).toBe('Required');
    await page.getByLabel('Title').fill('Door count report');
    await page.getByLabel('Instructions').fill('Count the people who came in today.');
    await page.getByLabel('Context (JSON, optional)').fill('{"location": ');
    await page.getByRole('button', { name: 'Create task' }).click();
    await expect.poll(() => byId(page, 'task-context-error').textContent()).toMatch(/^Not valid JSON/);
    await page.getByLabel('Context (JSON, optional)').fill('{"location": "Downtown"}');

    // A new schedule starts as every day at 09:00, without cron.
    const preview = page.getByTestId('cron-preview');
    expect(await page.getByLabel('Repeats').inputValue()).toBe('daily');
    expect(await page.getByLabel('At', { exact: true }).inputValue()).toBe('09:00');
    await preview.getByText('0 9 * * *').waitFor();
    await expectAccessible(page, 'the new task form');

    // Custom cron for experts: the server's words and next fires as you type; its 400 next to the field.
    await page.getByLabel('Repeats').selectOption('custom');
    const cron = page.getByLabel('Cron expression');
    expect(await cron.inputValue()).toBe('0 9 * * *');
    await cron.fill('61 * * * *');
    await expect.poll(() => byId(page, 'task-schedule.cron-error').textContent()).toMatch(/\S/);
    expect(await cron.getAttribute('aria-invalid')).toBe('true');
    await page.getByText('This schedule does not run').waitFor();
    await cron.fill('* * * * *');
    await preview.getByText(/every minute/i).waitFor();
    await expect.poll(() => byId(page, 'task-schedule.cron-error').count()).toBe(0);
    await cron.fill('');
    await cron.pressSequentially('*/3 * * * * *', { delay: 15 });
    await preview.getByText(/every 3 seconds/i).waitFor();
    expect(await preview.getByRole('list', { name: 'Next fire times' }).getByRole('listitem').count()).toBe(5);
    await page.getByLabel('Time zone').selectOption('Europe/Berlin');
    await preview.getByText('Next runs (Europe/Berlin)').waitFor();
    await page.getByLabel('After downtime').selectOption('skip');
    await page.getByLabel('Priority').selectOption('high');
    await web.screenshot(page, 'task-create');

    await page.getByRole('button', { name: 'Create task' }).click();
    await page.waitForURL(/\/tasks\/[0-9a-f-]{36}$/);
    await mainHeading(page).getByText('Door count report').waitFor();
    const taskId = page.url().split('/').pop()!;
    const task = await web.api<{ kind: string; priority: string; context: unknown; schedule: { cron: string; timezone: string; misfire: string } }>('GET', `/tasks/${taskId}`, as(user));
    expect(task.body).toMatchObject({ kind: 'scheduled', priority: 'high', context: { location: 'Downtown' }, schedule: { cron: '*/3 * * * * *', timezone: 'Europe/Berlin', misfire: 'skip' } });
    await page.getByText('Every 3 seconds').first().waitFor();
    await expectAccessible(page, 'a task’s page');

    // It fires on its own: status, result and execution history update without a reload.
    const history = page.getByRole('table', { name: 'Runs of Door count report' });
    await history.getByRole('row').nth(1).waitFor({ timeout: 20_000 });
    await page.getByTestId('task-last-result').getByText('Hello from the stub.').waitFor({ timeout: 20_000 });
    await page.locator('main header [data-status="completed"]').waitFor({ timeout: 20_000 });
    await history.locator('[data-status="succeeded"]').first().waitFor();
    await web.screenshot(page, 'task-details');

    // Pause, so only "run now" runs it from here.
    await page.getByRole('button', { name: 'Pause schedule' }).click();
    await page.getByRole('button', { name: 'Resume schedule' }).waitFor();
    await page.getByTestId('task-next-run').getByText('paused').waitFor();
    expect((await web.api<{ schedule: { paused: boolean } }>('GET', `/tasks/${taskId}`, as(user))).body.schedule.paused).toBe(true);
    const before = (await web.api<{ runCount: number }>('GET', `/tasks/${taskId}`, as(user))).body.runCount;
    await page.getByRole('button', { name: 'Run now' }).click();
    const open = page.getByRole('link', { name: /^Open run / });
    await open.waitFor();
    await expect.poll(async () => Number(await page.getByTestId('task-run-count').textContent())).toBeGreaterThan(before);
    await open.click();
    await page.waitForURL(/\/runs\/[0-9a-f-]{36}$/);
    await page.getByTestId('run-output').getByText('Hello from the stub.').waitFor();
    await page.locator('main header [data-status="succeeded"]').waitFor();
    const runId = page.url().split('/').pop()!;
    const run = await web.api<{ taskId: string; source: string; status: string }>('GET', `/runs/${runId}`, as(user));
    expect(run.body).toMatchObject({ taskId, source: 'task', status: 'succeeded' });

    // The table: stats, status badges, filters and sorting.
    await page.goto('/tasks');
    const row = page.locator('tr[data-task="Door count report"]');
    await row.locator('[data-status="completed"]').waitFor();
    await expect.poll(() => page.locator('[data-stat="total"]').textContent()).toBe('1');
    await expect.poll(async () => Number(await page.locator('[data-stat="completed"]').textContent())).toBe(1);
    await page.getByLabel('Kind').selectOption('adhoc');
    await page.getByText('No tasks match these filters').waitFor();
    await page.getByLabel('Kind').selectOption('scheduled');
    await row.waitFor();
    await page.getByRole('button', { name: /^Title/ }).click();
    await page.waitForURL(/sortBy=title/);
    await expectAccessible(page, 'the tasks list');
    await web.screenshot(page, 'tasks');

    // Edit: now ad-hoc, with a new title.
    await row.getByRole('link', { name: 'Door count report' }).click();
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.waitForURL('**/edit');
    expect(await page.getByLabel('Title').inputValue()).toBe('Door count report');
    // A cron no preset says opens as custom.
    expect(await page.getByLabel('Repeats').inputValue()).toBe('custom');
    expect(await page.getByLabel('Cron expression').inputValue()).toBe('*/3 * * * * *');
    await page.getByLabel('Ad-hoc (run when asked)').check();
    await page.getByLabel('Title').fill('Door count (manual)');
    await page.getByRole('button', { name: 'Save task' }).click();
    await mainHeading(page).getByText('Door count (manual)').waitFor();
    const edited = await web.api<{ kind: string; schedule: unknown }>('GET', `/tasks/${taskId}`, as(user));
    expect(edited.body).toMatchObject({ kind: 'adhoc', schedule: null });

    // Delete with confirmation.
    await page.getByRole('button', { name: 'Delete' }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete this task?' });
    await dialog.getByRole('button', { name: 'Delete task' }).click();
    await page.waitForURL(/\/tasks$/);
    await page.getByText('No tasks yet').waitFor();
    expect((await web.api('GET', `/tasks/${taskId}`, as(user))).status).toBe(404);
    expect(web.problems(page)).toEqual([]);
  }, 60_000);

  it('schedules a task once at a set time, and edits a one-off without losing its time', async () => {
    const user = await web.signUp({ orgName: 'Once Gym' });
    const agentId = await createAgent(user, 'Caller');
    // A one-off as schedule_follow_up makes it: edited in the form, it keeps its time.
    const at = new Date(Math.ceil(Date.now() / 60_000) * 60_000 + 2 * 86_400_000).toISOString();
    const created = await web.api<{ id: string }>('POST', '/tasks', { ...as(user), body: { agentId, title: 'Call back Ada', instructions: 'Ask how the first week went.', schedule: { onceAt: at } } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const page = await web.newPage({ as: user });
    await page.goto(`/tasks/${created.body.id}/edit`);
    // The loaded form's heading names the task ("Edit task" shows only while it loads, which a
    // slow goto can miss entirely).
    await mainHeading(page).getByText('Edit Call back Ada').waitFor();
    expect(await page.getByLabel('Once, at a set time').isChecked()).toBe(true);
    expect(await page.getByLabel('Run at').inputValue()).toBe(await page.evaluate((iso) => {
      const d = new Date(iso);
      const p = (n: number) => String(n).padStart(2, '0');
      return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}`;
    }, at));
    await page.getByLabel('Title').fill('Call back Ada (week 1)');
    await page.getByRole('button', { name: 'Save task' }).click();
    await mainHeading(page).getByText('Call back Ada (week 1)').waitFor();
    const kept = await web.api<{ schedule: { onceAt: string; cron: string | null } }>('GET', `/tasks/${created.body.id}`, as(user));
    expect(kept.body.schedule).toMatchObject({ onceAt: at, cron: null });

    // A new one-off from the form: the time is required, then taken in the browser's zone.
    await page.goto('/tasks/new?kind=scheduled');
    await page.getByLabel('Title').fill('Renewal reminder');
    await page.getByLabel('Instructions').fill('Remind the member that the plan renews.');
    await page.getByLabel('Once, at a set time').check();
    await page.getByRole('button', { name: 'Create task' }).click();
    await expect.poll(() => byId(page, 'task-schedule.onceAt-error').textContent()).toBe('Enter a date and time');
    await page.getByLabel('Run at').fill('2031-05-04T09:30');
    await page.getByRole('button', { name: 'Create task' }).click();
    await mainHeading(page).getByText('Renewal reminder').waitFor();
    const id = page.url().split('/').pop()!;
    const made = await web.api<{ kind: string; schedule: { onceAt: string; cron: string | null } }>('GET', `/tasks/${id}`, as(user));
    expect(made.body).toMatchObject({ kind: 'scheduled', schedule: { cron: null, onceAt: await page.evaluate(() => new Date('2031-05-04T09:30').toISOString()) } });
    expect(web.problems(page)).toEqual([]);
  }, 60_000);

  it('schedules weekly on chosen days at a time without cron, and reopens that choice', async () => {
    const user = await web.signUp({ orgName: 'Weekly Gym' });
    await createAgent(user, 'Planner');
    const page = await web.newPage({ as: user });
    await page.goto('/tasks/new?kind=scheduled');
    await mainHeading(page).getByText('New task').waitFor();
    await page.getByLabel('Title').fill('Class plan');
    await page.getByLabel('Instructions').fill('Plan the week’s classes.');
    await page.getByLabel('Time zone').selectOption('UTC');
    await page.getByLabel('Repeats').selectOption('weekly');
    // Weekdays are ticked by default: keep Monday, Wednesday and Friday.
    const days = page.getByRole('group', { name: 'On' });
    for (const day of ['Tuesday', 'Thursday']) await days.getByLabel(day).uncheck();
    for (const day of ['Monday', 'Wednesday', 'Friday']) expect(await days.getByLabel(day).isChecked()).toBe(true);
    await page.getByLabel('At', { exact: true }).fill('08:30');
    const preview = page.getByTestId('cron-preview');
    await preview.getByTestId('cron-expression').getByText('30 8 * * 1,3,5', { exact: true }).waitFor();
    await preview.getByText(/08:30, only on Monday, Wednesday, and Friday/).waitFor();
    // The next fires: Mondays, Wednesdays and Fridays at 08:30 UTC.
    const fires = await preview.getByRole('list', { name: 'Next fire times' }).locator('time').evaluateAll((els) => els.map((e) => e.getAttribute('datetime')!));
    expect(fires).toHaveLength(5);
    for (const at of fires) {
      const d = new Date(at);
      expect([1, 3, 5]).toContain(d.getUTCDay());
      expect([d.getUTCHours(), d.getUTCMinutes()]).toEqual([8, 30]);
    }
    // No day ticked: the form says so instead of saving.
    for (const day of ['Monday', 'Wednesday', 'Friday']) await days.getByLabel(day).uncheck();
    await page.getByRole('button', { name: 'Create task' }).click();
    await expect.poll(() => byId(page, 'task-schedule.cron-error').textContent()).toBe('Pick at least one day');
    for (const day of ['Monday', 'Wednesday', 'Friday']) await days.getByLabel(day).check();
    await expectAccessible(page, 'the weekly schedule form');
    await page.getByRole('button', { name: 'Create task' }).click();
    await mainHeading(page).getByText('Class plan').waitFor();
    const id = page.url().split('/').pop()!;
    const saved = await web.api<{ schedule: { cron: string; timezone: string } }>('GET', `/tasks/${id}`, as(user));
    expect(saved.body.schedule).toMatchObject({ cron: '30 8 * * 1,3,5', timezone: 'UTC' });

    // Editing it opens the weekly choice again.
    await page.goto(`/tasks/${id}/edit`);
    await mainHeading(page).getByText('Edit Class plan').waitFor();
    expect(await page.getByLabel('Repeats').inputValue()).toBe('weekly');
    expect(await page.getByLabel('At', { exact: true }).inputValue()).toBe('08:30');
    const checked = await Promise.all(['Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday', 'Sunday'].map((d) => page.getByRole('group', { name: 'On' }).getByLabel(d).isChecked()));
    expect(checked).toEqual([true, false, true, false, true, false, false]);
    expect(web.problems(page)).toEqual([]);
  }, 60_000);

  it('works on a phone: the table scrolls, the form fits', async () => {
    const user = await web.signUp({ orgName: 'Phone Tasks' });
    const agentId = await createAgent(user, 'Pocket');
    const created = await web.api('POST', '/tasks', { ...as(user), body: { agentId, title: 'Morning summary', instructions: 'Summarize yesterday.', schedule: { cron: '0 8 * * *', timezone: 'UTC' } } });
    expect(created.status).toBe(201);
    const page = await web.newPage({ viewport: PHONE, as: user });
    await page.goto('/tasks');
    await page.locator('tr[data-task="Morning summary"]').waitFor();
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await web.screenshot(page, 'tasks-phone');
    await page.goto('/tasks/new?kind=scheduled');
    await page.getByTestId('cron-preview').getByText(/09:00/).waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth')).toBeLessThanOrEqual(0);
    await web.screenshot(page, 'task-create-phone');
    expect(web.problems(page)).toEqual([]);
  });
});
