import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { expectAccessible } from '../../helpers/browser.js';
import { PHONE, useWebHarness, type TestUser } from './harness.js';

interface Decision {
  id: string;
  status: string;
  intent: string | null;
  actions: { type: string; params: Record<string, unknown> }[];
  actionsEdited: boolean;
  actionResults: { type: string; status: string; tool: string | null }[];
  decidedBy: { type: string; id: string | null } | null;
  comment: string | null;
}

const mainHeading = (page: Page) => page.locator('main h1');
const byId = (page: Page, id: string) => page.locator(`[id="${id}"]`);
const card = (page: Page, id: string) => page.locator(`article[data-decision="${id}"]`);

/** What the stub model answers for a decision: a sales inquiry at `confidence`, a ticket and a notification proposed. */
const answer = (confidence: number, who: string) => ({
  text: JSON.stringify({
    intent: 'SALES_INQUIRY',
    urgency: 3,
    confidence,
    reasoning: `${who} asks for a quote.`,
    actions: [
      { type: 'CREATE_TICKET', params: { subject: `Quote for ${who}`, priority: 'normal' } },
      { type: 'SEND_NOTIFICATION', params: { title: `New lead: ${who}` } },
    ],
  }),
});

describe('dashboard: decisions', () => {
  // The stub stands in for OpenAI; no retries, so one queued answer is one decision.
  const web = useWebHarness({ stub: true, env: { TROUPE_MODEL_MAX_RETRIES: '0' } });
  const as = (user: TestUser) => ({ token: user.accessToken, orgId: user.orgId });

  it('shows waiting decisions, approves one with changed actions, rejects in bulk (saying which could not be), and charts them', async () => {
    const user = await web.signUp({ orgName: 'Decision Desk' });
    const agent = await web.api<{ id: string }>('POST', '/agents', {
      ...as(user),
      body: { name: 'Ops', model: 'openai:gpt-4o-mini', instructions: 'You route what comes in.', tools: ['create_support_ticket', 'notify_staff'] },
    });
    expect(agent.status, JSON.stringify(agent.body)).toBe(201);
    const policy = await web.api('POST', '/decision-policies', { ...as(user), body: { agentId: agent.body.id, requireApprovalThreshold: 0.3 } });
    expect(policy.status, JSON.stringify(policy.body)).toBe(201);

    const get = async (id: string) => (await web.api<Decision>('GET', `/decisions/${id}`, as(user))).body;
    /** Has the agent decide on a contact form at 0.4: under the 0.85 auto-execute threshold, over 0.3, so a person is asked. */
    const decide = async (who: string) => {
      web.stub!.enqueue(answer(0.4, who));
      const res = await web.api<Decision>('POST', '/decisions', {
        ...as(user),
        body: { agentId: agent.body.id, input: { source: 'webhook', type: 'form.submitted', data: { name: who, email: `${who.toLowerCase()}@example.com`, message: `Could ${who} get a quote for 20 seats?` } } },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(202);
      await expect.poll(async () => (await get(res.body.id)).status, { timeout: 20_000 }).toBe('awaiting_approval');
      return res.body.id;
    };
    const first = await decide('Ada');
    const second = await decide('Bo');
    const third = await decide('Cy');

    // The general approvals page points at the decision's own page.
    const page = await web.newPage({ as: user });
    await page.goto('/approvals');
    await page.locator('article[data-approval="decision"]').first().getByRole('link', { name: 'Open the decision' }).waitFor();

    // The inbox: all three, newest first, with the input, confidence, reasoning, policy reason and proposal.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Decisions' }).click();
    await page.waitForURL(/\/decisions$/);
    await mainHeading(page).getByText('Decisions').waitFor();
    const ada = card(page, first);
    await ada.waitFor();
    expect(await page.locator('article[data-decision]').evaluateAll((els) => els.map((e) => e.getAttribute('data-decision')))).toEqual([third, second, first]);
    expect(await ada.getByTestId('confidence').textContent()).toBe('40%');
    const adaText = (await ada.textContent()) ?? '';
    expect(adaText).toContain('ada@example.com');
    expect(adaText).toContain('Could Ada get a quote for 20 seats?');
    expect(adaText).toContain('Ada asks for a quote.');
    expect(await ada.getByTestId('outcome-reason').textContent()).toMatch(/below the auto-execute threshold/);
    const proposal = ada.getByRole('list', { name: /^Proposed actions of/ });
    expect(await proposal.locator('li').evaluateAll((els) => els.map((e) => e.getAttribute('data-action')))).toEqual(['CREATE_TICKET', 'SEND_NOTIFICATION']);
    expect(await proposal.textContent()).toContain('Quote for Ada');
    await expectAccessible(page, 'the decisions inbox');
    await web.screenshot(page, 'decisions');

    // A viewer reads the inbox and the policies, but gets no buttons, checkboxes or saving.
    const invite = await web.api<{ inviteUrl: string }>('POST', '/invitations', { ...as(user), body: { email: 'viewer-decisions@example.com', role: 'viewer' } });
    expect(invite.status, JSON.stringify(invite.body)).toBe(201);
    const viewer = await web.signUp({ email: 'viewer-decisions@example.com' });
    expect((await web.api('POST', '/invitations/accept', { token: viewer.accessToken, body: { token: new URL(invite.body.inviteUrl).searchParams.get('token') } })).status).toBe(200);
    const viewerPage = await web.newPage({ as: { ...viewer, orgId: user.orgId } });
    await viewerPage.goto('/decisions');
    await card(viewerPage, first).getByTestId('outcome-reason').waitFor();
    expect(await viewerPage.getByRole('main').getByRole('button', { name: /approve|reject/i }).count()).toBe(0);
    expect(await viewerPage.getByRole('main').getByRole('checkbox').count()).toBe(0);
    await viewerPage.goto('/decisions/policies');
    const viewerDefaults = viewerPage.locator('section[data-policy="default"]');
    await viewerDefaults.getByLabel('Ask a person at or above').waitFor();
    expect(await viewerDefaults.getByLabel('Ask a person at or above').isDisabled()).toBe(true);
    expect(await viewerDefaults.getByRole('button', { name: 'Save policy' }).count()).toBe(0);
    expect(web.problems(viewerPage)).toEqual([]);

    // Edit & approve: a bad change is named on its action's params; then the ticket alone, changed.
    await ada.getByRole('button', { name: /^Edit & approve/ }).click();
    const editor = ada.getByRole('form', { name: /^Edit the actions of/ });
    await editor.getByLabel('Type of action 2').selectOption('SEND_EMAIL');
    await editor.getByLabel('Params of action 2 (JSON)').fill('{"to": "not-an-email", "subject": "Hi", "text": "Hello"}');
    await editor.getByRole('button', { name: 'Approve with these actions' }).click();
    const paramsError = byId(page, `d-${first}-actions-1-params-error`);
    await expect.poll(() => paramsError.textContent()).toMatch(/^to/);
    expect(await editor.getByLabel('Params of action 2 (JSON)').getAttribute('aria-invalid')).toBe('true');
    await expectAccessible(page, 'the actions editor with an error');
    await web.screenshot(page, 'decisions-edit');
    await editor.getByRole('button', { name: 'Remove action 2' }).click();
    await editor.getByLabel('Params of action 1 (JSON)').fill('{"subject": "Quote for Ada, 20 seats", "priority": "high"}');
    await editor.getByLabel('Comment (optional)').fill('One ticket is enough');
    await editor.getByRole('button', { name: 'Approve with these actions' }).click();
    await ada.waitFor({ state: 'detached' });

    await expect.poll(async () => (await get(first)).status, { timeout: 20_000 }).toBe('executed');
    const done = await get(first);
    expect(done).toMatchObject({
      actionsEdited: true,
      actions: [{ type: 'CREATE_TICKET', params: { subject: 'Quote for Ada, 20 seats', priority: 'high' } }],
      decidedBy: { type: 'user', id: user.userId },
      comment: 'One ticket is enough',
    });
    expect(done.actionResults.map((r) => [r.type, r.status, r.tool])).toEqual([['CREATE_TICKET', 'succeeded', 'create_support_ticket']]);
    const tickets = await web.api<{ items: { subject: string }[] }>('GET', '/tickets', as(user));
    expect(tickets.body.items.map((t) => t.subject)).toContain('Quote for Ada, 20 seats');

    // Bulk: the other two selected; one is rejected elsewhere meanwhile (the page's list held back from
    // refreshing, so it still shows it): the bulk rejects the one and says why not the other.
    const bulk = page.getByRole('region', { name: 'Decide several' });
    await bulk.getByLabel('Select all on this page').check();
    await expect.poll(() => bulk.textContent()).toContain('2 selected');
    const decisionList = (url: URL) => url.pathname === '/api/v1/decisions';
    await page.route(decisionList, (route) => (route.request().method() === 'GET' ? route.abort() : route.fallback()));
    expect((await web.api('POST', `/decisions/${third}/reject`, { ...as(user), body: { comment: 'Seen by phone' } })).status).toBe(200);
    await expect.poll(async () => (await get(third)).status, { timeout: 20_000 }).toBe('rejected');
    await card(page, third).waitFor();
    await bulk.getByLabel('Comment for all (optional)').fill('Spam');
    await bulk.getByRole('button', { name: 'Reject selected' }).click();
    const result = page.getByTestId('bulk-result');
    await expect.poll(() => result.textContent()).toContain('Rejected 1 of 2.');
    const failures = result.getByRole('list', { name: 'Decisions that could not be decided' });
    expect(await failures.locator('li').count()).toBe(1);
    expect(await failures.textContent()).toBe(`SALES_INQUIRY (${third.slice(0, 8)}): This decision is rejected, not waiting for a person`);
    await page.unroute(decisionList);
    await expect.poll(async () => (await get(second)).status, { timeout: 20_000 }).toBe('rejected');
    expect((await get(second)).comment).toBe('Spam');
    expect((await get(third)).comment).toBe('Seen by phone');
    await page.getByText('Nothing is waiting for a person').waitFor({ timeout: 30_000 });
    await expectAccessible(page, 'the inbox after a bulk decision');

    // The record: proposed and executed side by side (edited), who decided, the run.
    await page.goto(`/decisions/${first}`);
    await mainHeading(page).getByText('Decision: SALES_INQUIRY').waitFor();
    await page.getByRole('list', { name: 'Executed actions' }).getByText('succeeded').waitFor();
    expect(await page.getByRole('list', { name: 'Proposed actions' }).locator('li').count()).toBe(2);
    expect(await page.getByRole('heading', { name: /Executed/ }).textContent()).toContain('edited');
    await expect.poll(() => page.getByTestId('settled-by').textContent()).toContain(user.name);
    expect(await page.getByRole('link', { name: 'The decision’s run' }).getAttribute('href')).toBe(`/runs/${first}`);
    await page.getByText('Prompt', { exact: true }).click();
    expect(await page.getByRole('region', { name: 'Prompt' }).textContent()).toContain('Could Ada get a quote for 20 seats?');
    await expectAccessible(page, 'a decision’s record');
    await web.screenshot(page, 'decisions-record');

    // All decisions, filtered by status.
    await page.goto('/decisions/all');
    await page.locator(`tr[data-decision="${second}"]`).waitFor();
    await page.getByLabel('Status').selectOption('executed');
    await page.waitForURL(/status=executed/);
    await expect.poll(() => page.locator('tr[data-decision]').count()).toBe(1);
    await page.locator(`tr[data-decision="${first}"]`).waitFor();

    // Analytics: three decisions, each decided by a person: one approved (with changes), two rejected.
    await page.getByRole('navigation', { name: 'Decisions sections' }).getByRole('link', { name: 'Analytics' }).click();
    await mainHeading(page).getByText('Decision analytics').waitFor();
    const rates = page.getByTestId('decision-rates');
    await rates.waitFor();
    const stat = (label: string) => rates.locator('.stat').filter({ has: page.getByText(label, { exact: true }) }).locator('dd').textContent();
    expect(await stat('Decisions')).toBe('3');
    expect(await stat('Approved by a person')).toBe('33%');
    expect(await stat('Approved with changed actions')).toBe('100%');
    expect(await page.getByTestId('confidence-histogram').getAttribute('aria-label')).toContain('40%–50%: 3');
    const intentRow = page.getByRole('table', { name: 'By intent' }).locator('tbody tr').filter({ hasText: 'SALES_INQUIRY' });
    expect((await intentRow.locator('td').allTextContents()).map((t) => t.trim())).toEqual(['SALES_INQUIRY', '3', '0', '1', '2', '1', '0', '40%']);
    await expectAccessible(page, 'decision analytics');
    await web.screenshot(page, 'decisions-analytics');

    // Policies: the saved default, and the server's schema checking the form (thresholds out of order).
    await page.getByRole('navigation', { name: 'Decisions sections' }).getByRole('link', { name: 'Policies' }).click();
    const defaults = page.locator('section[data-policy="default"]');
    await defaults.getByLabel('Ask a person at or above').waitFor();
    expect(await defaults.getByLabel('Ask a person at or above').inputValue()).toBe('0.3');
    await defaults.getByLabel('Ask a person at or above').fill('0.9');
    await defaults.getByRole('button', { name: 'Save policy' }).click();
    await expect.poll(() => byId(page, 'policy-default-requireApprovalThreshold-error').textContent()).toBe('must not be above autoExecuteThreshold');
    await defaults.getByLabel('Ask a person at or above').fill('0.4');
    await defaults.getByLabel('Actions per hour (at most)').fill('100');
    await defaults.getByRole('button', { name: 'Save policy' }).click();
    await defaults.getByText('Saved.').waitFor();
    const saved = await web.api<{ items: { decisionType: string | null; requireApprovalThreshold: number; maxActionsPerHour: number | null }[] }>('GET', `/decision-policies?agentId=${agent.body.id}`, as(user));
    expect(saved.body.items.find((p) => p.decisionType === null)).toMatchObject({ requireApprovalThreshold: 0.4, maxActionsPerHour: 100 });
    // A fallback rule for when the model is down: its action's params checked as JSON on the field, then saved.
    await defaults.getByRole('button', { name: 'Add fallback rule' }).click();
    await defaults.getByLabel('Intent of fallback rule 1').fill('SALES_INQUIRY');
    await defaults.getByRole('button', { name: 'Add action', exact: true }).click();
    await defaults.getByLabel('Type of action 1').selectOption('CREATE_TICKET');
    await defaults.getByLabel('Params of action 1 (JSON)').fill('{"subject": ');
    await defaults.getByRole('button', { name: 'Save policy' }).click();
    await expect.poll(() => byId(page, 'policy-default-fb0-fallbackRules.0.actions-0-params-error').textContent()).toMatch(/^Not valid JSON/);
    await defaults.getByLabel('Params of action 1 (JSON)').fill('{"subject": "Rule: {{ event.name }}"}');
    await defaults.getByRole('button', { name: 'Save policy' }).click();
    const fallback = async () => (await web.api<{ items: { decisionType: string | null; fallbackRules: unknown[] }[] }>('GET', `/decision-policies?agentId=${agent.body.id}`, as(user))).body.items.find((p) => p.decisionType === null)?.fallbackRules;
    await expect.poll(fallback).toEqual([{ intent: 'SALES_INQUIRY', actions: [{ type: 'CREATE_TICKET', params: { subject: 'Rule: {{ event.name }}' } }] }]);
    await expectAccessible(page, 'decision policies');
    await web.screenshot(page, 'decisions-policies');

    // Approve as proposed, from the decision's own page: both actions run, nothing edited.
    const fourth = await decide('Di');
    await page.goto(`/decisions/${fourth}`);
    const waiting = page.getByRole('region', { name: 'Waiting for a person' });
    await waiting.getByRole('button', { name: /^Approve decision SALES_INQUIRY/ }).click();
    // (The region says "Approved: its actions run now." until the record turns, which may be at once.)
    await expect.poll(async () => (await get(fourth)).status, { timeout: 20_000 }).toBe('executed');
    expect((await get(fourth)).actionsEdited).toBe(false);
    expect((await get(fourth)).actionResults.map((r) => [r.type, r.status])).toEqual([
      ['CREATE_TICKET', 'succeeded'],
      ['SEND_NOTIFICATION', 'succeeded'],
    ]);
    await page.locator('main header [data-status="executed"]').waitFor();
    await page.getByRole('list', { name: 'Executed actions' }).locator('li').nth(1).getByText('succeeded').waitFor();
    expect(await page.getByRole('region', { name: 'Waiting for a person' }).count()).toBe(0);
    expect(web.problems(page)).toEqual([]);

    // On a phone: the record and the policies fit the width (no sideways scrolling).
    const phone = await web.newPage({ as: user, viewport: PHONE });
    await phone.goto(`/decisions/${first}`);
    await phone.getByRole('list', { name: 'Executed actions' }).waitFor();
    expect(await phone.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
    await web.screenshot(phone, 'decisions-phone');
    await phone.goto('/decisions/policies');
    await phone.locator('section[data-policy="default"]').getByLabel('Ask a person at or above').waitFor();
    expect(await phone.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
    expect(web.problems(phone)).toEqual([]);
  }, 180_000);
});
