import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { expectAccessible } from '../../helpers/browser.js';
import { PHONE, useWebHarness } from './harness.js';

const mainHeading = (page: Page) => page.locator('main h1');
const card = (page: Page, name: string) => page.getByRole('listitem', { name });

describe('dashboard: templates', () => {
  const web = useWebHarness();

  it('shows the gallery, installs a template in one click with a chosen model, and asks for another name when it is taken', async () => {
    const user = await web.signUp({ orgName: 'Templates Gym' });
    const page = await web.newPage({ as: user });
    await page.goto('/agents');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Templates' }).click();
    await page.waitForURL('**/templates');
    await mainHeading(page).getByText('Templates').waitFor();
    await expect.poll(() => page.getByRole('list', { name: 'Templates' }).getByRole('listitem').filter({ has: page.locator('h3') }).count()).toBe(9);
    await expectAccessible(page, 'the template gallery');

    // Search narrows the gallery; the prompt and tools are one click away.
    await page.getByLabel('Search').fill('workout');
    await expect.poll(() => page.getByRole('status').filter({ hasText: 'template' }).textContent()).toBe('1 template');
    const optimizer = card(page, 'Workout Optimizer');
    await optimizer.getByText('Prompt and tools').click();
    await optimizer.getByText('You design workout plans.', { exact: false }).waitFor();
    await optimizer.getByText('workout_optimization').first().waitFor();

    // One click: the recommended model, the template's name.
    expect(await optimizer.getByLabel('Model').inputValue()).toBe('openai:gpt-4o');
    await optimizer.getByRole('button', { name: 'Install Workout Optimizer' }).click();
    await optimizer.getByText('Installed.').waitFor();
    await optimizer.getByText('Answers POST /execute for workout_optimization.').waitFor();
    await expectAccessible(page, 'a template just installed', { dark: false });
    await web.screenshot(page, 'templates');

    const mappings = await web.api<{ items: { taskType: string; agentName: string }[] }>('GET', '/task-types', { token: user.accessToken, orgId: user.orgId });
    expect(mappings.body.items).toEqual([expect.objectContaining({ taskType: 'workout_optimization', agentName: 'Workout Optimizer' })]);

    // Again: the name is taken; the card asks for another, and the model can be changed.
    await optimizer.getByRole('button', { name: 'Install again' }).click();
    await optimizer.getByRole('button', { name: 'Install Workout Optimizer' }).click();
    const nameField = optimizer.getByLabel('Agent name');
    await nameField.waitFor();
    expect(await nameField.inputValue()).toBe('Workout Optimizer 2');
    expect(await nameField.getAttribute('aria-invalid')).toBe('true');
    await optimizer.getByText('"Workout Optimizer" is taken: choose another name').waitFor();
    await nameField.fill('Coach Mini');
    await optimizer.getByLabel('Model').selectOption('openai:gpt-4o-mini');
    await optimizer.getByRole('button', { name: 'Install Workout Optimizer' }).click();
    await optimizer.getByText('Another agent keeps workout_optimization.').waitFor();

    // The link leads to the new agent, with the template's configuration.
    await optimizer.getByRole('link', { name: 'Open Coach Mini' }).click();
    await page.waitForURL(/\/agents\/[0-9a-f-]{36}$/);
    await mainHeading(page).getByText('Coach Mini').waitFor();
    const agents = await web.api<{ items: { name: string; model: string; instructions: string }[] }>('GET', '/agents?sortBy=name&sortOrder=asc', { token: user.accessToken, orgId: user.orgId });
    expect(agents.body.items.map((a) => [a.name, a.model])).toEqual([
      ['Coach Mini', 'openai:gpt-4o-mini'],
      ['Workout Optimizer', 'openai:gpt-4o'],
    ]);
    expect(agents.body.items[0]!.instructions).toContain('You design workout plans.');
    expect(web.problems(page)).toEqual([]);
  });

  it('is usable on a phone', async () => {
    const user = await web.signUp();
    const page = await web.newPage({ as: user, viewport: PHONE });
    await page.goto('/templates');
    await mainHeading(page).getByText('Templates').waitFor();
    await card(page, 'Support Assistant').getByRole('button', { name: 'Install Support Assistant' }).waitFor();
    const overflow = await page.evaluate('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await expectAccessible(page, 'the template gallery on a phone', { dark: false });
    await web.screenshot(page, 'templates-phone');
  });
});
