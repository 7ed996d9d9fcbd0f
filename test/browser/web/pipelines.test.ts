import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { expectAccessible } from '../../helpers/browser.js';
import { PHONE, useWebHarness, type TestUser } from './harness.js';

const mainHeading = (page: Page) => page.locator('main h1');

interface Item {
  id: string;
  stageId: string;
  assignee: { id: string; name: string } | null;
  history: { fromStage: { name: string } | null; toStage: { name: string } | null; actor: { kind: string; id: string | null } }[];
}
interface Pipeline {
  id: string;
  name: string;
  stages: { id: string; name: string }[];
  assignment: { mode: string; role?: string };
}

describe('dashboard: pipelines, the board and staff', () => {
  const web = useWebHarness();
  const as = (user: TestUser) => ({ token: user.accessToken, orgId: user.orgId });

  it('creates a pipeline in the UI, drags an item to another stage and moves one with the select; the API shows the move and its history', async () => {
    const user = await web.signUp({ orgName: 'Astralis Ops' });
    const staffIds: string[] = [];
    for (const name of ['Sam Sales', 'Sia Sales']) {
      const res = await web.api<{ id: string }>('POST', '/staff', { ...as(user), body: { name, roles: ['sales'], email: `${name.split(' ')[0]!.toLowerCase()}@example.com` } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      staffIds.push(res.body.id);
    }

    const page = await web.newPage({ as: user });
    await page.goto('/pipelines');
    await mainHeading(page).getByText('Pipelines').waitFor();
    await page.getByText('No pipelines yet').waitFor();
    await expectAccessible(page, 'the empty pipelines page');

    // A new pipeline: the default stages, least load among "sales".
    await page.getByRole('link', { name: 'New pipeline' }).first().click();
    await mainHeading(page).getByText('New pipeline').waitFor();
    const form = page.getByRole('form', { name: 'New pipeline' });
    await form.getByLabel('Name', { exact: true }).fill('Sales Inquiries');
    await form.getByLabel('Stage 3 name').fill('');
    await form.getByRole('button', { name: 'Create pipeline' }).click();
    // An empty stage name is refused by the server, named on its row.
    await expect.poll(() => form.locator('li[data-stage-row="2"] .field-error').textContent()).toMatch(/.+/);
    await form.getByLabel('Stage 3 name').fill('Won');
    await form.getByLabel('Among staff with the role').fill('sales');
    await expectAccessible(page, 'the pipeline form');
    await form.getByRole('button', { name: 'Create pipeline' }).click();
    await page.waitForURL(/\/pipelines\/[0-9a-f-]{36}$/);
    await mainHeading(page).getByText('Sales Inquiries').waitFor();
    const pipelineId = page.url().split('/').at(-1)!;
    const pipeline = (await web.api<Pipeline>('GET', `/pipelines/${pipelineId}`, as(user))).body;
    expect(pipeline.stages.map((s) => s.name)).toEqual(['New', 'Working', 'Won', 'Lost']);
    expect(pipeline.assignment).toEqual({ mode: 'least_load', role: 'sales' });
    const stage = (name: string) => pipeline.stages.find((s) => s.name === name)!.id;

    // Items arrive through the API (as an agent's pipeline_assign would); the rule spreads them.
    const items: Item[] = [];
    for (const title of ['Pricing question', 'Demo request']) {
      const res = await web.api<Item>('POST', `/pipelines/${pipelineId}/items`, { ...as(user), body: { title, contact: { name: 'Lee', email: 'lee@example.com' }, priority: title === 'Demo request' ? 5 : 3 } });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      items.push(res.body);
    }
    expect(items.map((i) => i.assignee?.id).sort()).toEqual([...staffIds].sort());
    await page.reload();
    const column = (name: string) => page.locator(`section[data-stage="${name}"]`);
    const card = (title: string) => page.locator(`li[data-item="${title}"]`);
    await column('New').locator('li[data-item="Pricing question"]').waitFor();
    await card('Demo request').getByText('P5 Urgent').waitFor();
    await card('Demo request').getByText('Lee · lee@example.com').waitFor();
    await expectAccessible(page, 'the board');
    await web.screenshot(page, 'pipelines-board');

    // Drag "Pricing question" to Working (HTML5 drag and drop).
    await card('Pricing question').dragTo(column('Working'));
    await column('Working').locator('li[data-item="Pricing question"]').waitFor();
    await expect.poll(async () => (await web.api<Item>('GET', `/pipeline-items/${items[0]!.id}`, as(user))).body.stageId).toBe(stage('Working'));
    const dragged = (await web.api<Item>('GET', `/pipeline-items/${items[0]!.id}`, as(user))).body;
    expect(dragged.history.at(-1)).toMatchObject({ fromStage: { name: 'New' }, toStage: { name: 'Working' }, actor: { kind: 'user', id: user.userId } });

    // The keyboard and phone way: the card's "Move to" select.
    await card('Demo request').getByLabel('Move Demo request to').selectOption({ label: 'Won' });
    await column('Won').locator('li[data-item="Demo request"]').waitFor();
    await expect.poll(async () => (await web.api<Item>('GET', `/pipeline-items/${items[1]!.id}`, as(user))).body.stageId).toBe(stage('Won'));
    // Each move is an event.
    const events = await web.api<{ items: { type: string; payload: { itemId: string } }[] }>('GET', '/events?type=pipeline.item.stage_changed', as(user));
    expect(events.body.items.map((e) => e.payload.itemId).sort()).toEqual(items.map((i) => i.id).sort());

    // The card opens the item with its history.
    await card('Pricing question').getByRole('link', { name: 'Pricing question' }).click();
    await page.waitForURL(/\/pipelines\/items\/[0-9a-f-]{36}$/);
    await page.getByTestId('item-stage').getByText('Working').waitFor();
    const history = page.getByRole('list', { name: 'History, oldest first' });
    await history.getByText('Created in New').waitFor();
    await history.getByText('Moved from New to Working').waitFor();
    await expectAccessible(page, 'an item');
    await web.screenshot(page, 'pipelines-item');

    // On a phone the columns stack and the select still moves cards.
    const phone = await web.newPage({ as: user, viewport: PHONE });
    await phone.goto(`/pipelines/${pipelineId}`);
    await phone.locator('li[data-item="Pricing question"]').getByLabel('Move Pricing question to').selectOption({ label: 'Lost' });
    await expect.poll(async () => (await web.api<Item>('GET', `/pipeline-items/${items[0]!.id}`, as(user))).body.stageId).toBe(stage('Lost'));
    await web.screenshot(phone, 'pipelines-board-phone');
    expect(web.problems(page)).toEqual([]);
  });

  it('adds and edits staff with their roles', async () => {
    const user = await web.signUp({ orgName: 'Staff Org' });
    const page = await web.newPage({ as: user });
    await page.goto('/pipelines/staff');
    await mainHeading(page).getByText('Staff').waitFor();
    await page.getByRole('button', { name: 'Add staff member' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'New staff member' });
    await dialog.getByLabel('Name').fill('Opal Operator');
    await dialog.getByLabel('Job roles').fill('Operator, not a role');
    await dialog.getByRole('button', { name: 'Add staff member' }).click();
    await expect.poll(() => dialog.locator('#staff-roles-error').textContent()).toMatch(/lowercase word/);
    await dialog.getByLabel('Job roles').fill('Operator, support');
    await dialog.getByLabel('Capacity').fill('4');
    await expectAccessible(page, 'the staff dialog');
    await dialog.getByRole('button', { name: 'Add staff member' }).click();
    const row = page.locator('tr[data-staff="Opal Operator"]');
    await row.getByText('operator', { exact: true }).waitFor();
    const listed = await web.api<{ items: { id: string; roles: string[]; capacity: number | null; active: boolean }[] }>('GET', '/staff', as(user));
    expect(listed.body.items).toMatchObject([{ roles: ['operator', 'support'], capacity: 4, active: true }]);

    await row.getByRole('button', { name: 'Edit Opal Operator' }).click();
    const edit = page.getByRole('dialog', { name: 'Edit Opal Operator' });
    await edit.getByLabel('Active (receives new work)').uncheck();
    await edit.getByRole('button', { name: 'Save' }).click();
    await row.getByText('inactive').waitFor();
    expect((await web.api<{ items: { active: boolean }[] }>('GET', '/staff', as(user))).body.items[0]!.active).toBe(false);
    await expectAccessible(page, 'the staff page');
    await web.screenshot(page, 'pipelines-staff');
  });
});
