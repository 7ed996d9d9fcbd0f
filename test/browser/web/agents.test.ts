import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { expectAccessible } from '../../helpers/browser.js';
import { PHONE, useWebHarness, type TestUser } from './harness.js';

const mainHeading = (page: Page) => page.locator('main h1');
/** A field's error paragraph (ids hold dots: `agent-limits.maxSteps-error`). */
const fieldError = (page: Page, name: string) => page.locator(`[id="agent-${name}-error"]`);

interface AgentBody {
  id: string;
  name: string;
  version: number;
  status: string;
  model: string;
  tools: string[];
  instructions: string;
  personality: { traits: string[]; tone?: string };
  limits: { maxSteps: number; timeoutSeconds: number; actionsPerMinute: number | null; monthlyBudgetMicros: number | null };
}

describe('dashboard: agents', () => {
  const web = useWebHarness();
  const api = <T = AgentBody>(user: TestUser, method: string, path: string, body?: unknown) =>
    web.api<T>(method, path, { token: user.accessToken, orgId: user.orgId, body });

  it('creates an agent through the form, edits it, compares and restores versions, previews the prompt, disables, enables and deletes it', async () => {
    const user = await web.signUp({ orgName: 'Agents Gym' });
    const page = await web.newPage({ as: user });
    await page.goto('/agents');
    await mainHeading(page).getByText('Agents').waitFor();
    await page.getByText('No agents yet').waitFor();
    await expect.poll(() => page.getByTestId('stat-Agents').textContent()).toBe('0');
    await expectAccessible(page, 'the empty agents list');
    expect(await page.getByTestId('stat-Cost this month').textContent()).toBe('$0.00');

    // Another agent exists already (its name will be refused for the new one).
    const other = await api(user, 'POST', '/agents', { name: 'Front Desk', model: 'rules:default', tags: ['desk'] });
    expect(other.status).toBe(201);

    await page.getByRole('link', { name: 'New agent' }).click();
    await page.waitForURL('**/agents/new');
    await mainHeading(page).getByText('New agent').waitFor();

    // Nothing filled: the schema's messages, next to their fields.
    await page.getByRole('button', { name: 'Create agent' }).click();
    await expect.poll(() => fieldError(page, 'name').textContent()).toBe('Required');
    expect(await fieldError(page, 'model').textContent()).toBe('Required');

    await page.getByLabel('Name', { exact: true }).fill('Front Desk');
    await page.getByLabel('Role').fill('the receptionist of Agents Gym');
    // The model picker shows the catalog with context size and prices.
    const model = page.getByLabel('Model', { exact: true });
    // The catalog loads after the form: wait for its option, then count it.
    await expect.poll(() => model.locator('option', { hasText: 'GPT-4o mini — 128K context, $0.15 / $0.60 per 1M tokens' }).count()).toBe(1);
    await model.selectOption('openai:gpt-4o-mini');
    await page.locator('#agent-model-hint').getByText('128K tokens context').waitFor();
    await page.getByLabel('Instructions').fill('Greet members warmly. Answer questions about opening hours.');
    await page.getByLabel('Personality traits').fill('warm, concise');
    await page.getByLabel('Tone').fill('friendly');
    await page.getByRole('checkbox', { name: /calculator/ }).check();
    await page.locator('#agent-tool-current_time-desc').waitFor();
    await expectAccessible(page, 'the new agent form');
    await page.getByRole('checkbox', { name: /current_time/ }).check();
    // A tool that does not always ask can be made to ask a person, for this agent.
    await page.getByRole('checkbox', { name: 'Ask a person before each calculator call' }).check();
    // A limit out of range, and a budget in dollars.
    await page.getByLabel('Max steps').fill('500');
    await page.getByLabel('Monthly budget (USD)').fill('12.50');
    await page.getByLabel('Runs per minute').fill('abc');
    await page.getByRole('button', { name: 'Create agent' }).click();
    await expect.poll(() => fieldError(page, 'limits.maxSteps').textContent()).toBe('Must be at most 200');
    expect(await fieldError(page, 'limits.actionsPerMinute').textContent()).toBe('Must be a number');
    expect(await page.getByLabel('Max steps').getAttribute('aria-invalid')).toBe('true');
    await expect.poll(() => page.evaluate('document.activeElement?.id')).toBe('agent-limits.maxSteps');
    await page.evaluate('window.scrollTo(0, 0)');
    await web.screenshot(page, 'agents-form');

    // Valid for the schema, refused by the server: the taken name, shown next to the name field.
    await page.getByLabel('Max steps').fill('20');
    await page.getByLabel('Runs per minute').fill('30');
    await page.getByRole('button', { name: 'Create agent' }).click();
    await expect.poll(() => fieldError(page, 'name').textContent()).toContain('already named "Front Desk"');
    expect(await page.getByLabel('Name', { exact: true }).getAttribute('aria-invalid')).toBe('true');

    await page.getByLabel('Name', { exact: true }).fill('Receptionist');
    // The draft's system prompt, before saving.
    await page.getByRole('button', { name: 'Preview system prompt' }).click();
    const previewDialog = page.getByRole('dialog', { name: 'System prompt preview' });
    await expect
      .poll(() => previewDialog.getByTestId('draft-prompt').textContent())
      .toBe(
        'You are Receptionist, the receptionist of Agents Gym.\n\n# Instructions\nGreet members warmly. Answer questions about opening hours.\n\n# Personality\n- Traits: warm, concise\n- Tone: friendly',
      );
    await previewDialog.getByRole('button', { name: 'Close' }).click();
    await previewDialog.waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'Create agent' }).click();
    await page.waitForURL(/\/agents\/[0-9a-f-]{36}$/);
    await mainHeading(page).getByText('Receptionist').waitFor();
    const id = new URL(page.url()).pathname.split('/').pop()!;
    await expectAccessible(page, 'an agent’s page');
    const created = await api(user, 'GET', `/agents/${id}`);
    expect(created.body).toMatchObject({
      name: 'Receptionist',
      model: 'openai:gpt-4o-mini',
      version: 1,
      tools: ['calculator', 'current_time'],
      approvalTools: ['calculator'],
      personality: { traits: ['warm', 'concise'], tone: 'friendly' },
      limits: { maxSteps: 20, timeoutSeconds: 300, actionsPerMinute: 30, monthlyBudgetMicros: 12_500_000 },
    });
    await page.getByText('$12.50').waitFor();
    const main = page.getByRole('main');
    expect(await main.getByRole('link', { name: 'Chat' }).getAttribute('href')).toBe(`/chat?agentId=${id}`);
    expect(await main.getByRole('link', { name: 'Runs', exact: true }).getAttribute('href')).toBe(`/runs?agentId=${id}`);
    await web.screenshot(page, 'agents-detail');

    // The grid: both agents, the figures, and filters.
    await page.getByRole('main').getByRole('link', { name: 'Agents', exact: true }).click();
    await page.waitForURL('**/agents');
    const grid = page.getByRole('list', { name: 'Agents' });
    await grid.getByRole('link', { name: 'Receptionist' }).waitFor();
    await grid.getByRole('link', { name: 'Front Desk' }).waitFor();
    await expect.poll(() => page.getByTestId('stat-Agents').textContent()).toBe('2');
    await expectAccessible(page, 'the agents list');
    expect(await page.getByTestId('stat-Runs this month').textContent()).toBe('0');
    const card = grid.locator(':scope > li').filter({ has: page.getByRole('link', { name: 'Receptionist' }) });
    expect(await card.getByText('OpenAI').count()).toBe(1);
    await card.getByText('enabled').waitFor();
    await web.screenshot(page, 'agents-grid');

    await page.getByLabel('Tool').selectOption('calculator');
    await expect.poll(() => grid.locator(':scope > li').count()).toBe(1);
    await page.getByLabel('Tool').selectOption('');
    await page.getByLabel('Provider').selectOption('rules');
    await expect.poll(() => grid.getByRole('link').allTextContents()).toEqual(['Front Desk']);
    await page.getByLabel('Provider').selectOption('');
    await page.getByLabel('Search').fill('recept');
    await page.waitForURL('**/agents?q=recept');
    await expect.poll(() => grid.getByRole('link').allTextContents()).toEqual(['Receptionist']);
    await page.getByLabel('Search').fill('nobody');
    await page.getByText('No agent matches').waitFor();
    await page.getByRole('button', { name: 'Clear filters' }).click();
    await expect.poll(() => grid.locator(':scope > li').count()).toBe(2);

    // Edit: a new version with a note.
    await grid.getByRole('link', { name: 'Receptionist' }).click();
    await page.getByRole('link', { name: 'Edit' }).click();
    await page.waitForURL(`**/agents/${id}/edit`);
    await mainHeading(page).getByText('Edit Receptionist').waitFor();
    expect(await page.getByLabel('Monthly budget (USD)').inputValue()).toBe('12.5');
    expect(await page.locator('#agent-tool-calculator').isChecked()).toBe(true);
    expect(await page.getByRole('checkbox', { name: 'Ask a person before each calculator call' }).isChecked()).toBe(true);
    await page.getByLabel('Max steps').fill('0');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expect.poll(() => fieldError(page, 'limits.maxSteps').textContent()).toBe('Must be at least 1');
    await page.getByLabel('Max steps').fill('15');
    await page.getByLabel('Instructions').fill('Greet members warmly. Opening hours are 6 to 22.');
    await page.locator('#agent-tool-current_time').uncheck();
    await page.getByLabel('Change note').fill('Tighter limits');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForURL(`**/agents/${id}?tab=versions`);

    // History: v2 is current, with its note; the diff shows what changed.
    const versions = page.getByRole('list', { name: 'Versions' });
    await versions.getByText('Tighter limits').waitFor();
    await expect.poll(() => versions.locator(':scope > li').count()).toBe(2);
    const diff = page.locator('table.diff-table');
    await diff.waitFor();
    const rows = await diff.locator('tbody tr').allTextContents();
    expect(rows).toEqual(
      expect.arrayContaining([
        'limits.maxSteps2015',
        'toolscalculator, current_timecalculator',
        'instructionsGreet members warmly. Answer questions about opening hours.Greet members warmly. Opening hours are 6 to 22.',
      ]),
    );
    await web.screenshot(page, 'agents-history');

    // Restore version 1 (it becomes version 3).
    await versions.getByRole('button', { name: 'Restore version 1' }).click();
    const restoreDialog = page.getByRole('dialog', { name: 'Restore version 1?' });
    await restoreDialog.getByRole('button', { name: 'Restore version 1' }).click();
    await restoreDialog.waitFor({ state: 'hidden' });
    await page.getByText('version 3', { exact: true }).waitFor();
    await expect.poll(() => versions.locator(':scope > li').count()).toBe(3);
    await expect.poll(() => diff.locator('tbody tr').allTextContents()).toEqual(expect.arrayContaining(['limits.maxSteps1520']));
    const restored = await api(user, 'GET', `/agents/${id}`);
    expect(restored.body).toMatchObject({ version: 3, limits: { maxSteps: 20 }, tools: ['calculator', 'current_time'] });

    // The system prompt.
    await page.getByRole('tab', { name: 'System prompt' }).click();
    await page.getByRole('heading', { name: 'System prompt' }).waitFor();
    const prompt = await api<{ systemPrompt: string }>(user, 'GET', `/agents/${id}/prompt`);
    expect(await page.getByTestId('system-prompt').textContent()).toBe(prompt.body.systemPrompt);
    expect(prompt.body.systemPrompt).toContain('You are Receptionist, the receptionist of Agents Gym.');
    await page.getByText('- Traits: warm, concise').first().waitFor();
    await expectAccessible(page, 'an agent’s system prompt');
    await web.screenshot(page, 'agents-prompt');

    // Disable and enable with the switch.
    const toggle = page.getByRole('switch', { name: 'Enabled' });
    expect(await toggle.getAttribute('aria-checked')).toBe('true');
    await toggle.click();
    await expect.poll(() => toggle.getAttribute('aria-checked')).toBe('false');
    await page.getByRole('main').getByText('disabled', { exact: true }).waitFor();
    expect((await api(user, 'GET', `/agents/${id}`)).body.status).toBe('paused');
    await toggle.click();
    await expect.poll(() => toggle.getAttribute('aria-checked')).toBe('true');
    expect((await api(user, 'GET', `/agents/${id}`)).body.status).toBe('active');

    // Delete: cancelling keeps it; confirming removes it.
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    const dialog = page.getByRole('dialog', { name: 'Delete Receptionist?' });
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await dialog.waitFor({ state: 'hidden' });
    expect((await api(user, 'GET', `/agents/${id}`)).status).toBe(200);
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await dialog.getByRole('button', { name: 'Delete agent' }).click();
    await page.waitForURL(`${web.url}/agents`);
    await page.getByText('Deleted Receptionist.').waitFor();
    await expect.poll(() => grid.getByRole('link').allTextContents()).toEqual(['Front Desk']);
    expect((await api(user, 'GET', `/agents/${id}`)).status).toBe(404);
    // Undo brings it back; delete it again for good.
    await page.getByRole('button', { name: 'Undo' }).click();
    await page.waitForURL(`**/agents/${id}`);
    await mainHeading(page).getByText('Receptionist').waitFor();
    expect((await api(user, 'GET', `/agents/${id}`)).status).toBe(200);
    await page.getByRole('button', { name: 'Delete', exact: true }).click();
    await dialog.getByRole('button', { name: 'Delete agent' }).click();
    await page.getByText('Deleted Receptionist.').waitFor();
    await expect.poll(() => grid.getByRole('link').allTextContents()).toEqual(['Front Desk']);
    expect(web.problems(page)).toEqual([]);
  }, 90_000);

  it('on a phone: the grid in one column, no sideways scrolling; viewers see no admin actions', async () => {
    const owner = await web.signUp({ orgName: 'Phone Gym' });
    for (const [name, model] of [
      ['Coach', 'anthropic:claude-3-5-haiku-latest'],
      ['Night Desk', 'rules:default'],
    ] as const) {
      expect((await api(owner, 'POST', '/agents', { name, model, role: `the ${name.toLowerCase()}`, tools: ['calculator'], tags: ['gym'] })).status).toBe(201);
    }
    // One run today (the offline rules model answers): the grid's figures count it.
    const agents = await api<{ items: { id: string; name: string }[] }>(owner, 'GET', '/agents');
    const nightDesk = agents.body.items.find((a) => a.name === 'Night Desk')!;
    const run = await api<{ status: string }>(owner, 'POST', `/agents/${nightDesk.id}/execute?wait=true`, { task: 'What time is it?' });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    const page = await web.newPage({ viewport: PHONE, as: owner });
    await page.goto('/agents');
    const grid = page.getByRole('list', { name: 'Agents' });
    await grid.getByRole('link', { name: 'Night Desk' }).waitFor();
    await expect.poll(() => page.getByTestId('stat-Agents').textContent()).toBe('2');
    expect(await page.getByTestId('stat-Runs this month').textContent()).toBe('1');
    const figures = (name: string) =>
      grid.locator(':scope > li').filter({ has: page.getByRole('link', { name }) }).locator('dd').allTextContents();
    await expect.poll(() => figures('Night Desk')).toEqual(['1', '$0.00', '1']);
    expect(await figures('Coach')).toEqual(['0', '$0.00', '1']);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
    const boxes = await grid.locator(':scope > li').evaluateAll((els) => els.map((e) => e.getBoundingClientRect().left));
    expect(new Set(boxes).size).toBe(1);
    await web.screenshot(page, 'agents-phone');
    await grid.getByRole('link', { name: 'Coach' }).click();
    await mainHeading(page).getByText('Coach').waitFor();
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
    await web.screenshot(page, 'agents-phone-detail');
    expect(web.problems(page)).toEqual([]);

    // A viewer reads but gets no create, edit, toggle or delete.
    const res = await web.api<{ inviteUrl: string }>('POST', '/invitations', { token: owner.accessToken, orgId: owner.orgId, body: { email: 'viewer-agents@example.com', role: 'viewer' } });
    expect(res.status).toBe(201);
    const viewer = await web.signUp({ email: 'viewer-agents@example.com' });
    const token = new URL(res.body.inviteUrl).searchParams.get('token')!;
    expect((await web.api('POST', '/invitations/accept', { token: viewer.accessToken, body: { token } })).status).toBe(200);
    const viewerPage = await web.newPage({ as: { ...viewer, orgId: owner.orgId } });
    await viewerPage.goto('/agents');
    await viewerPage.getByRole('list', { name: 'Agents' }).getByRole('link', { name: 'Coach' }).click();
    await mainHeading(viewerPage).getByText('Coach').waitFor();
    await viewerPage.getByRole('main').getByRole('link', { name: 'Chat' }).waitFor();
    expect(await viewerPage.getByRole('link', { name: 'Edit' }).count()).toBe(0);
    expect(await viewerPage.getByRole('switch').count()).toBe(0);
    expect(await viewerPage.getByRole('button', { name: 'Delete' }).count()).toBe(0);
    await viewerPage.goto('/agents');
    await viewerPage.getByRole('list', { name: 'Agents' }).waitFor();
    expect(await viewerPage.getByRole('link', { name: 'New agent' }).count()).toBe(0);
    expect(web.problems(viewerPage)).toEqual([]);
  });
});
