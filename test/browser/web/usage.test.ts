import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatUsd } from '../../../src/billing/money.js';
import { expectAccessible } from '../../helpers/browser.js';
import { PHONE, useWebHarness } from './harness.js';

/** The dollars the page must show for micro-dollars: exact, trailing zeros dropped down to cents (small amounts here: no thousands). */
function usd(micros: number): string {
  const [whole, fraction = ''] = formatUsd(micros).split('.');
  return `$${whole}.${fraction.replace(/0+$/, '').padEnd(2, '0')}`;
}

interface UsageReport {
  month: string;
  totals: { calls: number; billedCostMicros: number; baseCostMicros: number };
  markupPercent: number;
}

describe('dashboard: usage and billing', () => {
  const web = useWebHarness({ stub: true });

  it('shows the cost of a run the API billed, its charts and budgets, and exports the ledger as CSV', async () => {
    const user = await web.signUp({ orgName: 'Usage Org' });
    const as = { token: user.accessToken, orgId: user.orgId };
    const agent = await web.api<{ id: string }>('POST', '/agents', { ...as, body: { name: 'Ledger Larry', model: 'openai:gpt-4o-mini' } });
    expect(agent.status, JSON.stringify(agent.body)).toBe(201);
    web.stub!.enqueue({ text: 'Counted.', usage: { input: 12_000, output: 3_000 } });
    const run = await web.api<{ status: string }>('POST', `/agents/${agent.body.id}/execute?wait=true`, { ...as, body: { task: 'Count the towels' } });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    expect(run.body.status).toBe('succeeded');
    // An organization budget, so the budget bar has something to measure.
    expect((await web.api('PATCH', '/orgs/current', { ...as, body: { monthlyBudgetMicros: 1_000_000 } })).status).toBe(200);

    const usage = await web.api<UsageReport>('GET', '/usage', as);
    expect(usage.body.totals.calls).toBe(1);
    const billed = usage.body.totals.billedCostMicros;
    expect(billed).toBeGreaterThan(0);

    const page = await web.newPage({ as: user });
    await page.goto('/usage');
    await page.locator('main h1').getByText('Usage').waitFor();
    // The billed total, exactly as the API has it (micro-dollars → dollars, nothing rounded away).
    const billedCard = page.getByTestId('usage-billed');
    await expect.poll(() => billedCard.locator('.stat-value').textContent()).toBe(usd(billed));
    expect(usd(billed)).toMatch(/^\$0\.00\d+$/);
    await page.getByTestId('usage-markup').getByText(`${usage.body.markupPercent}%`).waitFor();

    // Charts: per day (SVG with an accessible summary), by agent and by model.
    const dayChart = page.getByRole('img', { name: /Billed cost per day/ });
    expect(await dayChart.getAttribute('aria-label')).toContain(`total ${usd(billed)}`);
    expect(await page.locator('.chart-svg rect.chart-bar').count()).toBeGreaterThanOrEqual(1);
    const byAgent = page.getByRole('list', { name: /Billed cost by agent/ });
    await byAgent.getByRole('link', { name: 'Ledger Larry' }).waitFor();
    expect(await byAgent.locator('.bar-value').first().textContent()).toBe(usd(billed));
    await page.getByRole('list', { name: /Billed cost by model/ }).getByText('openai:gpt-4o-mini').waitFor();
    // The data-table fallback of the per-day chart.
    await page.getByText('Show as table').first().click();
    await page.getByRole('table', { name: /Billed cost per day/ }).getByRole('cell', { name: new Date().toISOString().slice(0, 10) }).waitFor();
    await page.getByText('Show as table').first().click();

    // Budget of the organization: spent against it, with its percentage.
    const meter = page.getByRole('meter', { name: 'Organization: budget used' });
    expect(Number(await meter.getAttribute('aria-valuenow'))).toBeGreaterThan(0);
    await page.getByText(`${usd(billed)} of $1.00`).waitFor();
    await expectAccessible(page, 'usage');

    // CSV: the API's export, downloaded by the browser.
    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export CSV' }).click();
    const download = await downloading;
    expect(download.suggestedFilename()).toBe(`troupe-usage-${usage.body.month}.csv`);
    const csv = readFileSync((await download.path())!, 'utf8');
    const [header, row, ...rest] = csv.trim().split('\r\n');
    expect(rest).toEqual([]);
    const columns = header!.split(',');
    expect(columns).toEqual(expect.arrayContaining(['agent_name', 'model', 'billed_cost_micros', 'billed_cost_usd']));
    const cells = row!.split(',');
    expect(cells[columns.indexOf('agent_name')]).toBe('Ledger Larry');
    expect(cells[columns.indexOf('model')]).toBe('gpt-4o-mini');
    expect(Number(cells[columns.indexOf('billed_cost_micros')])).toBe(billed);
    await web.screenshot(page, 'usage');

    // A range without usage: an empty state, and a range the other way round is refused at its field.
    await page.getByLabel('From month').fill('2024-01');
    await page.getByLabel('To month').fill('2023-12');
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    await expect.poll(() => page.locator('#usage-to-error').textContent()).toBe('Must not be before the first month');
    await page.getByLabel('To month').fill('2024-02');
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    await page.waitForURL('**/usage?from=2024-01&to=2024-02');
    await page.getByText('No usage in this period').waitFor();
    await expect.poll(() => billedCard.locator('.stat-value').textContent()).toBe('$0.00');
    expect(web.problems(page)).toEqual([]);

    const phone = await web.newPage({ as: user, viewport: PHONE });
    await phone.goto('/usage');
    await expect.poll(() => phone.getByTestId('usage-billed').locator('.stat-value').textContent()).toBe(usd(billed));
    // Nothing wider than the screen.
    expect(await phone.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
    await web.screenshot(phone, 'usage-phone');
    expect(web.problems(phone)).toEqual([]);
  }, 60_000);
});
