import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { expectAccessible } from '../../helpers/browser.js';
import { useWebHarness, type TestUser } from './harness.js';

const mainHeading = (page: Page) => page.locator('main h1');
const byId = (page: Page, id: string) => page.locator(`[id="${id}"]`);
const tabs = (page: Page) => page.getByRole('navigation', { name: 'Events sections' });

describe('dashboard: events, webhooks and triggers', () => {
  const web = useWebHarness();
  const as = (user: TestUser) => ({ token: user.accessToken, orgId: user.orgId });

  it('takes webhook deliveries, shows refusals, fires triggers into runs and dead letters, and replays', async () => {
    const user = await web.signUp({ orgName: 'Event Gym' });
    const agent = await web.api<{ id: string }>('POST', '/agents', { ...as(user), body: { name: 'Desk', model: 'openai:gpt-4o-mini', instructions: 'Welcome new leads.' } });
    expect(agent.status, JSON.stringify(agent.body)).toBe(201);
    // A workflow whose input must have a number n: a trigger sending it a name fails (a dead letter).
    const workflow = await web.api<{ id: string }>('POST', '/workflows', {
      ...as(user),
      body: {
        definition: {
          name: 'Shape',
          inputSchema: { type: 'object', properties: { n: { type: 'number' } }, required: ['n'] },
          graph: { nodes: [{ id: 'start', type: 'trigger', config: { kind: 'manual' } }], edges: [] },
        },
      },
    });
    expect(workflow.status, JSON.stringify(workflow.body)).toBe(201);

    const page = await web.newPage({ as: user });
    await page.goto('/events');
    await mainHeading(page).getByText('Event log').waitFor();
    await page.getByText('No events yet').waitFor();
    await expectAccessible(page, 'the empty event log');

    // A token endpoint, made in the UI: its secret is shown once.
    await tabs(page).getByRole('link', { name: 'Webhooks' }).click();
    await mainHeading(page).getByText('Webhooks').waitFor();
    await page.getByRole('button', { name: 'New endpoint' }).first().click();
    const dialog = page.getByRole('dialog', { name: 'New webhook endpoint' });
    await dialog.getByLabel('Name').fill('Contact form');
    await dialog.getByLabel('Event type').fill('form submitted');
    await dialog.getByRole('button', { name: 'Create endpoint' }).click();
    await expect.poll(() => byId(page, 'new-endpoint-eventType-error').textContent()).toMatch(/^Dot-separated words/);
    await dialog.getByLabel('Event type').fill('form.submitted');
    expect(await dialog.getByLabel('Verification').inputValue()).toBe('token');
    await expectAccessible(page, 'the new endpoint dialog');
    await dialog.getByRole('button', { name: 'Create endpoint' }).click();
    const created = page.getByRole('dialog', { name: 'Endpoint created' });
    await created.getByText('You will not see it again').waitFor();
    const secret = await created.getByTestId('endpoint-secret').inputValue();
    expect(secret.length).toBeGreaterThanOrEqual(16);
    await created.getByRole('button', { name: 'Copy secret' }).waitFor();
    // The URL senders use: the address the dashboard reached the server at (no TROUPE_PUBLIC_URL here).
    const hookUrl = await created.getByLabel('URL senders POST to').inputValue();
    expect(hookUrl).toMatch(new RegExp(`^${web.url}/hooks/[0-9a-f-]{36}$`));
    await web.screenshot(page, 'events-endpoint-secret');
    await created.getByRole('link', { name: 'Open the endpoint' }).click();
    await page.waitForURL(/\/events\/webhooks\/[0-9a-f-]{36}$/);
    await mainHeading(page).getByText('Contact form').waitFor();
    expect(await page.content()).not.toContain(secret);

    // A sender with the token is taken; one with a wrong token is refused, and the page says why.
    const deliver = (body: unknown, token: string) =>
      fetch(hookUrl, { method: 'POST', headers: { 'content-type': 'application/json', 'x-webhook-token': token }, body: JSON.stringify(body) });
    expect((await deliver({ name: 'Ann' }, secret)).status).toBe(202);
    expect((await deliver({ name: 'Eve' }, 'not-the-secret')).status).toBe(401);
    const deliveries = page.getByRole('table', { name: 'Recent deliveries, newest first' });
    const refused = deliveries.locator('tr[data-delivery="refused"]');
    await refused.getByText('signature_invalid').waitFor();
    expect(await refused.textContent()).toMatch(/refused 401.*x-webhook-token header does not match/);
    await deliveries.locator('tr[data-delivery="accepted"]').getByRole('link', { name: 'form.submitted event' }).waitFor();
    // "Send a test" signs as the sender would: the sender got a 202.
    await page.getByRole('button', { name: 'Send a test' }).click();
    await expect.poll(() => page.getByTestId('test-result').textContent()).toMatch(/^The sender got 202/);
    await expect.poll(() => deliveries.locator('tr[data-delivery="accepted"]').count()).toBe(2);
    await expectAccessible(page, 'an endpoint’s page');
    await web.screenshot(page, 'events-endpoint');

    // A trigger that starts the agent: the server's 400 on a broken filter shows on the field.
    await page.goto('/events/triggers');
    await page.getByText('No triggers yet').waitFor();
    await page.getByRole('link', { name: 'New trigger' }).first().click();
    await page.waitForURL('**/events/triggers/new');
    await page.getByLabel('Name', { exact: true }).fill('Welcome lead');
    await page.getByLabel('Event type', { exact: true }).fill('form.submitted');
    const filter = page.getByLabel('Filter (JSONata, optional)');
    await filter.fill('event.payload.email >');
    await expect.poll(() => page.getByLabel('Agent', { exact: true }).locator('option:checked').textContent()).toBe('Desk');
    await page.getByLabel('Task', { exact: true }).fill('Welcome {{ event.payload.name }} <{{ event.payload.email }}>');
    await page.getByRole('button', { name: 'Create trigger' }).click();
    await expect.poll(() => byId(page, 'trigger-filter-error').textContent()).toMatch(/\S/);
    expect(await filter.getAttribute('aria-invalid')).toBe('true');
    expect(page.url()).toMatch(/\/events\/triggers\/new$/);
    await expectAccessible(page, 'the trigger form with a server error');
    await web.screenshot(page, 'events-trigger-form');
    await filter.fill('event.payload.email != null');
    await page.getByRole('button', { name: 'Create trigger' }).click();
    await page.waitForURL(/\/events\/triggers\/[0-9a-f-]{36}$/);
    await mainHeading(page).getByText('Welcome lead').waitFor();

    // A trigger that starts the workflow with an input it refuses.
    await page.goto('/events/triggers/new');
    await page.getByLabel('Name', { exact: true }).fill('Shape check');
    await page.getByLabel('Event type', { exact: true }).fill('form.*');
    await page.getByLabel('A workflow run').check();
    await expect.poll(() => page.getByLabel('Workflow', { exact: true }).locator('option:checked').textContent()).toBe('Shape');
    await page.getByLabel('Input (JSON, optional)').fill('{"n": "{{ event.payload.name }}"');
    await page.getByRole('button', { name: 'Create trigger' }).click();
    await expect.poll(() => byId(page, 'trigger-input-error').textContent()).toMatch(/^Not valid JSON/);
    await page.getByLabel('Input (JSON, optional)').fill('{"n": "{{ event.payload.name }}"}');
    await page.getByRole('button', { name: 'Create trigger' }).click();
    await page.waitForURL(/\/events\/triggers\/[0-9a-f-]{36}$/);
    await mainHeading(page).getByText('Shape check').waitFor();

    // The list names what each starts, with links.
    await page.getByRole('link', { name: 'Triggers' }).first().click();
    await page.waitForURL(/\/events\/triggers$/);
    const welcome = page.locator('tr[data-trigger="Welcome lead"]');
    expect(await welcome.getByRole('link', { name: 'Desk' }).getAttribute('href')).toBe(`/agents/${agent.body.id}`);
    expect(await page.locator('tr[data-trigger="Shape check"]').getByRole('link', { name: 'Shape', exact: true }).getAttribute('href')).toBe(`/workflows/${workflow.body.id}`);
    await welcome.getByRole('switch', { name: 'Enabled: Welcome lead' }).waitFor();
    expect(await welcome.getByRole('switch').getAttribute('aria-checked')).toBe('true');
    await expectAccessible(page, 'the triggers list');
    await web.screenshot(page, 'events-triggers');

    // The live log: a new delivery appears at the top without a reload; its fires show beside it.
    await tabs(page).getByRole('link', { name: 'Event log' }).click();
    await page.getByLabel('Live (every 2 s)').check();
    await expect.poll(() => page.locator('tr[data-event]').count()).toBe(2);
    const res = await deliver({ name: 'Bob', email: 'bob@example.com' }, secret);
    expect(res.status).toBe(202);
    const { eventId } = (await res.json()) as { eventId: string };
    await expect.poll(() => page.locator('tr[data-event]').first().getAttribute('data-event'), { timeout: 10_000 }).toBe(eventId);
    await page.locator(`tr[data-event="${eventId}"]`).getByRole('link').click();
    const details = page.getByTestId('event-details');
    await details.getByRole('region', { name: 'Payload' }).getByText('"email": "bob@example.com"').waitFor();
    await details.getByText('webhook (Contact form)').waitFor();
    const fired = details.locator('[data-fire="Welcome lead"]');
    await expect.poll(() => fired.getAttribute('data-status'), { timeout: 15_000 }).toBe('fired');
    const runHref = (await fired.getByRole('link', { name: /^Run / }).getAttribute('href'))!;
    expect(runHref).toMatch(/^\/runs\/[0-9a-f-]{36}$/);
    const run = await web.api<{ source: string; agentId: string; input: { task: string } }>('GET', runHref, as(user));
    expect(run.body).toMatchObject({ source: 'event', agentId: agent.body.id, input: { task: 'Welcome Bob <bob@example.com>' } });
    const failed = details.locator('[data-fire="Shape check"]');
    await expect.poll(() => failed.getAttribute('data-status'), { timeout: 15_000 }).toBe('failed');
    await failed.getByText('invalid_input').waitFor();
    await details.getByRole('button', { name: 'Replay' }).waitFor();
    await expectAccessible(page, 'the event log with an event open');
    await web.screenshot(page, 'events-log');

    // Filters live in the URL; a type that is no type or prefix says so on the field.
    await page.getByLabel('Type', { exact: true }).fill('form.');
    await expect.poll(() => byId(page, 'events-type-error').textContent()).toMatch(/prefix ending in \.\*/);
    await page.getByLabel('Type', { exact: true }).fill('other.*');
    await page.getByText('No events match these filters').waitFor();
    expect(new URL(page.url()).searchParams.get('type')).toBe('other.*');
    await page.getByLabel('Type', { exact: true }).fill('form.*');
    await expect.poll(() => page.locator('tr[data-event]').count()).toBe(3);

    // The failed fire is a dead letter; a replay tries it again (and it fails again: attempt 2).
    await tabs(page).getByRole('link', { name: 'Dead letters' }).click();
    const dead = page.locator('tr[data-fire="Shape check"]');
    await dead.getByText('invalid_input').waitFor();
    expect(await dead.getByRole('link', { name: 'form.submitted' }).getAttribute('href')).toBe(`/events?event=${eventId}`);
    expect(await dead.locator('td.num').textContent()).toBe('1');
    await expectAccessible(page, 'the dead letters');
    await web.screenshot(page, 'events-dead-letters');
    await dead.getByRole('button', { name: 'Replay form.submitted for Shape check' }).click();
    await expect.poll(() => dead.locator('td.num').textContent(), { timeout: 15_000 }).toBe('2');

    // Following the run link from the event opens the run.
    await page.goto(`/events?event=${eventId}`);
    await page.getByTestId('event-details').locator('[data-fire="Welcome lead"]').getByRole('link', { name: /^Run / }).click();
    await page.waitForURL(`**${runHref}`);
    expect(web.problems(page)).toEqual([]);
  }, 150_000);

  it("shows a workflow's own trigger as its, with only the switch; viewers read without admin actions", async () => {
    const owner = await web.signUp({ orgName: 'Signup Gym' });
    const wf = await web.api<{ id: string }>('POST', '/workflows', {
      ...as(owner),
      body: {
        definition: {
          name: 'On signup',
          graph: { nodes: [{ id: 'start', type: 'trigger', config: { kind: 'event', eventType: 'user.signed_up', filter: 'event.payload.plan = "pro"' } }], edges: [] },
        },
      },
    });
    expect(wf.status, JSON.stringify(wf.body)).toBe(201);
    const endpoint = await web.api<{ id: string }>('POST', '/webhooks', { ...as(owner), body: { name: 'Signups', eventType: 'user.signed_up' } });
    expect(endpoint.status).toBe(201);

    const page = await web.newPage({ as: owner });
    await page.goto('/events/triggers');
    const row = page.locator('tr[data-trigger="On signup"]');
    await row.getByText('from workflow').waitFor();
    await row.getByRole('link', { name: 'On signup' }).first().click();
    await page.getByTestId('managed-notice').getByRole('link', { name: 'On signup' }).waitFor();
    expect(await page.getByTestId('managed-notice').getByRole('link').getAttribute('href')).toBe(`/workflows/${wf.body.id}`);
    expect(await page.getByRole('button', { name: 'Save trigger' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Delete' }).count()).toBe(0);
    // Its switch is the one thing it takes here.
    const toggle = page.getByRole('switch', { name: 'Enabled' });
    await toggle.click();
    await expect.poll(() => toggle.getAttribute('aria-checked')).toBe('false');
    const triggers = await web.api<{ items: { workflowId: string; enabled: boolean }[] }>('GET', '/triggers', as(owner));
    expect(triggers.body.items.find((t) => t.workflowId === wf.body.id)?.enabled).toBe(false);
    await expectAccessible(page, 'a workflow’s trigger');
    expect(web.problems(page)).toEqual([]);

    const invite = await web.api<{ inviteUrl: string }>('POST', '/invitations', { ...as(owner), body: { email: 'viewer-events@example.com', role: 'viewer' } });
    expect(invite.status).toBe(201);
    const viewer = await web.signUp({ email: 'viewer-events@example.com' });
    const token = new URL(invite.body.inviteUrl).searchParams.get('token')!;
    expect((await web.api('POST', '/invitations/accept', { token: viewer.accessToken, body: { token } })).status).toBe(200);
    const viewerPage = await web.newPage({ as: { ...viewer, orgId: owner.orgId } });
    await viewerPage.goto('/events/triggers');
    await viewerPage.locator('tr[data-trigger="On signup"]').getByText('disabled').waitFor();
    expect(await viewerPage.getByRole('link', { name: 'New trigger' }).count()).toBe(0);
    expect(await viewerPage.getByRole('switch').count()).toBe(0);
    await viewerPage.goto(`/events/webhooks/${endpoint.body.id}`);
    await mainHeading(viewerPage).getByText('Signups').waitFor();
    await viewerPage.getByText('No deliveries yet').waitFor();
    for (const name of ['Send a test', 'Rotate secret', 'Delete', 'Save settings']) expect(await viewerPage.getByRole('button', { name }).count()).toBe(0);
    await viewerPage.goto('/events/webhooks');
    await viewerPage.locator('tr[data-endpoint="Signups"]').waitFor();
    expect(await viewerPage.getByRole('button', { name: 'New endpoint' }).count()).toBe(0);
    await tabs(viewerPage).getByRole('link', { name: 'Dead letters' }).click();
    await viewerPage.getByText('No dead letters').waitFor();
    expect(web.problems(viewerPage)).toEqual([]);
  }, 90_000);

  it('a trigger with a debounce and a concurrency limit: the form, its 400 on the field, the page, a pending fire', async () => {
    const user = await web.signUp({ orgName: 'Debounce Gym' });
    const agent = await web.api<{ id: string }>('POST', '/agents', { ...as(user), body: { name: 'Digest', model: 'openai:gpt-4o-mini', instructions: 'Digest notes.' } });
    expect(agent.status, JSON.stringify(agent.body)).toBe(201);
    const page = await web.newPage({ as: user });
    await page.goto('/events/triggers/new');
    await page.getByLabel('Name', { exact: true }).fill('Note digest');
    await page.getByLabel('Event type', { exact: true }).fill('note.added');
    await expect.poll(() => page.getByLabel('Agent', { exact: true }).locator('option:checked').textContent()).toBe('Digest');
    await page.getByLabel('Task', { exact: true }).fill('Digest {{ debounce.count }} notes');
    await page.getByLabel('Debounce', { exact: true }).check();
    const key = page.getByLabel('Debounce key');
    await key.fill('{{ event.payload. }}');
    await page.getByLabel('Debounce seconds').fill('600');
    await page.getByLabel('Concurrent runs at most (optional)').fill('2');
    await page.getByRole('button', { name: 'Create trigger' }).click();
    // The server's 400 on the debounce key shows on its field.
    await expect.poll(() => byId(page, 'trigger-debounceKey-error').textContent()).toMatch(/\S/);
    expect(await key.getAttribute('aria-invalid')).toBe('true');
    await expectAccessible(page, 'the trigger form with a debounce');
    await key.fill('{{ event.payload.contact }}');
    await page.getByRole('button', { name: 'Create trigger' }).click();
    await page.waitForURL(/\/events\/triggers\/[0-9a-f-]{36}$/);
    await mainHeading(page).getByText('Note digest').waitFor();
    // An admin sees the form again, filled with what was saved.
    expect(await page.getByLabel('Debounce', { exact: true }).isChecked()).toBe(true);
    expect(await page.getByLabel('Debounce key').inputValue()).toBe('{{ event.payload.contact }}');
    expect(await page.getByLabel('Debounce seconds').inputValue()).toBe('600');
    expect(await page.getByLabel('Concurrent runs at most (optional)').inputValue()).toBe('2');
    const triggerId = page.url().split('/').pop()!;
    const trigger = await web.api<{ debounce: unknown; maxConcurrentRuns: number; throttleKey: unknown }>('GET', `/triggers/${triggerId}`, as(user));
    expect(trigger.body).toMatchObject({ debounce: { key: '{{ event.payload.contact }}', seconds: 600 }, maxConcurrentRuns: 2, throttleKey: null });
    // An event waits out the window: its fire shows pending.
    const sent = await web.api('POST', '/events', { ...as(user), body: { type: 'note.added', payload: { contact: 'c1' } } });
    expect(sent.status).toBe(202);
    await page.reload();
    const pending = page.locator('tr[data-status="pending"]').first();
    await pending.waitFor({ timeout: 15_000 });
    expect(await pending.textContent()).toMatch(/starts in \d+ minutes/);
    await expectAccessible(page, 'a trigger with a pending fire');
  });
});
