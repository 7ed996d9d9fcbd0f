import type { Locator, Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { displayUsd } from '../../../src/billing/money.js';
import { expectAccessible } from '../../helpers/browser.js';
import { PHONE, useWebHarness, type TestUser } from './harness.js';

/*
 * The Gym section of the dashboard on a small demo gym (the demo route, 30 members): members and
 * a profile, the week view, the pipeline board, analytics against the API, the inbox with its
 * badge, an empty organization's start (demo gym, CSV import with its dry run), and a phone.
 */

interface Page_<T> {
  items: T[];
  total: number;
}
interface Contact {
  id: string;
  firstName: string;
  lastName: string;
  email: string | null;
  status: string;
  kind: string;
  tags: string[];
  leadStageId: string | null;
}
interface Session {
  id: string;
  classId: string;
  startsAt: string;
  capacity: number;
  booked: number;
  status: string;
}
interface Stage {
  id: string;
  name: string;
  position: number;
}

const mainHeading = (page: Page) => page.locator('main h1');
const nav = (page: Page) => page.getByRole('navigation', { name: 'Main' });
const name = (c: Pick<Contact, 'firstName' | 'lastName'>) => `${c.firstName} ${c.lastName}`.trim();
/** The focused element's attribute (the week's data-day/data-index, a button's label). */
const focusedAttr = (page: Page, attr: string) => page.evaluate<string | null>(`document.activeElement && document.activeElement.getAttribute(${JSON.stringify(attr)})`);

/** Monday 00:00 of this week in the local zone: the browser's, and this process's (the same machine). */
function mondayOf(d: Date): Date {
  const out = new Date(d.getFullYear(), d.getMonth(), d.getDate());
  out.setDate(out.getDate() - ((out.getDay() + 6) % 7));
  return out;
}

/** Nothing wider than the screen; on failure, the elements that stick out name themselves. */
async function noOverflow(page: Page) {
  const wide = await page.evaluate<{ overflow: number; elements: string[] }>(`(() => {
    const width = document.documentElement.clientWidth;
    const elements = [...document.querySelectorAll('main *')].filter((el) => el.getBoundingClientRect().right > width + 0.5).slice(0, 5).map((el) => el.tagName + '.' + el.className + ' ' + el.getBoundingClientRect().right);
    return { overflow: document.documentElement.scrollWidth - width, elements };
  })()`);
  expect(wide.overflow, JSON.stringify(wide.elements)).toBeLessThanOrEqual(0);
}

describe('dashboard: the gym', () => {
  const web = useWebHarness({ stub: true });
  let user: TestUser;
  const as = () => ({ token: user.accessToken, orgId: user.orgId });
  const get = async <T>(path: string) => {
    const res = await web.api<T>('GET', path, as());
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return res.body;
  };

  beforeAll(async () => {
    user = await web.signUp({ name: 'Gina Gym', orgName: 'Iron Gym' });
    const demo = await web.api<{ members: number }>('POST', '/fitness/demo', { ...as(), body: { members: 30, seed: 7 } });
    expect(demo.status, JSON.stringify(demo.body)).toBe(201);
  }, 60_000);

  it('members: the Gym section in the navigation, search, a profile with its records, a note and new tags', async () => {
    const members = await get<Page_<Contact>>('/fitness/contacts?kind=member&sortBy=name&sortOrder=asc&limit=100');
    // Someone with payments, so the profile has money to show.
    let member: Contact | undefined;
    let payments: Page_<{ amountMicros: number; paidAt: string }> | undefined;
    for (const c of members.items) {
      payments = await get<Page_<{ amountMicros: number; paidAt: string }>>(`/fitness/payments?contactId=${c.id}&limit=10`);
      if (payments.total > 0 && c.email) {
        member = c;
        break;
      }
    }
    expect(member).toBeDefined();
    const all = await get<Page_<Contact>>('/fitness/contacts?limit=1');

    const page = await web.newPage({ as: user });
    await page.goto('/agents');
    const gym = nav(page).getByRole('list', { name: 'Gym' });
    await gym.getByRole('link', { name: 'Analytics' }).waitFor();
    expect(await gym.getByRole('link').allTextContents()).toEqual(['Members', 'Classes', 'Pipeline', 'Analytics']);
    await gym.getByRole('link', { name: 'Members' }).click();
    await page.waitForURL('**/gym/members');
    await mainHeading(page).getByText('Members and leads').waitFor();
    await page.getByRole('status').filter({ hasText: 'people' }).getByText(`${all.total} people`).waitFor();
    await expectAccessible(page, 'the members list');

    // Search by name: the list narrows to what the API finds for the same words.
    const q = `${member!.firstName} ${member!.lastName}`;
    const found = await get<Page_<Contact>>(`/fitness/contacts?q=${encodeURIComponent(q)}&limit=100`);
    await page.getByLabel('Search').fill(q);
    await page.waitForURL(/q=/);
    const table = page.getByRole('table', { name: 'Members and leads' });
    await expect.poll(() => table.locator('tbody tr').count()).toBe(found.total);
    // And a filter: the kind.
    await page.getByLabel('Kind').selectOption('lead');
    await page.waitForURL(/kind=lead/);
    await page.getByLabel('Kind').selectOption('');
    await table.getByRole('link', { name: name(member!) }).click();

    await page.waitForURL(`**/gym/members/${member!.id}`);
    await mainHeading(page).getByText(name(member!)).waitFor();
    await page.getByRole('link', { name: member!.email! }).waitFor();
    // The payments, money by the one rule, newest first as the API gives them.
    const paymentsTable = page.getByRole('table', { name: 'Payments' });
    await expect.poll(() => paymentsTable.locator('tbody tr').count()).toBe(Math.min(10, payments!.total));
    expect(await paymentsTable.locator('tbody tr').first().locator('td').nth(1).textContent()).toBe(displayUsd(payments!.items[0]!.amountMicros));
    for (const section of ['Details', 'Consents', 'Subscriptions', 'Bookings', 'Check-ins', 'Goals', 'Measurements', 'Messages', 'Notes']) {
      await page.getByRole('heading', { name: section, exact: true }).waitFor();
    }
    await expectAccessible(page, 'a member profile');

    // A note, and new tags.
    await page.getByLabel('Note', { exact: true }).fill('Asked about the Saturday spin class.');
    await page.getByRole('button', { name: 'Add note' }).click();
    await page.getByRole('table', { name: 'Notes' }).getByText('Asked about the Saturday spin class.').waitFor();
    await page.getByRole('textbox', { name: 'Tags' }).fill('vip, Early Bird');
    await page.getByRole('button', { name: 'Save' }).click();
    await page.getByRole('status').getByText('Saved.').waitFor();
    await expect.poll(async () => (await get<Contact>(`/fitness/contacts/${member!.id}`)).tags).toEqual(['vip', 'early bird']);
    const notes = await get<Page_<{ body: string }>>(`/fitness/notes?contactId=${member!.id}`);
    expect(notes.items.map((n) => n.body)).toContain('Asked about the Saturday spin class.');
    await web.screenshot(page, 'gym-profile');
    expect(web.problems(page)).toEqual([]);
  });

  it('classes: the week in seven columns with places booked against capacity, arrow keys, and a session’s bookings', async () => {
    const monday = mondayOf(new Date());
    const next = new Date(monday);
    next.setDate(next.getDate() + 7);
    const sessions = await get<Page_<Session>>(`/fitness/sessions?from=${monday.toISOString()}&to=${new Date(next.getTime() - 1).toISOString()}&sortBy=startsAt&sortOrder=asc&limit=100`);
    expect(sessions.total).toBeGreaterThan(3);
    expect(sessions.total).toBeLessThanOrEqual(100);
    const withBookings = sessions.items.find((s) => s.booked > 0 && s.status === 'scheduled')!;
    expect(withBookings).toBeDefined();
    const bookings = await get<Page_<{ contactId: string }>>(`/fitness/bookings?sessionId=${withBookings.id}&limit=100`);

    const page = await web.newPage({ as: user });
    await page.goto('/gym/classes');
    await mainHeading(page).getByText('Classes and sessions').waitFor();
    const week = page.locator('.gym-week');
    await expect.poll(() => week.locator('button.gym-session').count()).toBe(sessions.total);
    expect(await week.getByRole('region').count()).toBe(7);
    // Each session says its places: booked / capacity.
    const button = week.locator(`button[data-day][aria-pressed]`).filter({ hasText: `${withBookings.booked}/${withBookings.capacity} booked` });
    expect(await button.count()).toBeGreaterThan(0);
    await expectAccessible(page, 'the week view');

    // Arrow keys: down within the day, right to the next day with sessions.
    const first = week.locator('button[data-day]').first();
    await first.focus();
    const day0 = Number(await focusedAttr(page, 'data-day'));
    const perDay = await page.evaluate<number[]>(`[...document.querySelectorAll('.gym-week section')].map((s) => s.querySelectorAll('button[data-day]').length)`);
    await page.keyboard.press(perDay[day0]! > 1 ? 'ArrowDown' : 'ArrowRight');
    expect(await focusedAttr(page, perDay[day0]! > 1 ? 'data-index' : 'data-day')).not.toBe(perDay[day0]! > 1 ? '0' : String(day0));
    await page.keyboard.press('ArrowRight');
    const later = perDay.findIndex((n, i) => i > day0 && n > 0);
    if (later >= 0) expect(Number(await focusedAttr(page, 'data-day'))).toBeGreaterThan(day0);

    // A session opens its bookings, from the keyboard: the roster names each person.
    const withBookingsButton = week.locator(`button[data-session="${withBookings.id}"]`);
    await withBookingsButton.focus();
    await page.keyboard.press('Enter');
    await page.waitForURL(new RegExp(`session=${withBookings.id}`));
    const roster = page.getByRole('table', { name: 'Bookings of this session' });
    await expect.poll(() => roster.locator('tbody tr').count()).toBe(bookings.total);
    const someone = await get<Contact>(`/fitness/contacts/${bookings.items[0]!.contactId}`);
    await roster.getByRole('link', { name: name(someone) }).first().waitFor();
    await page.getByText(`${withBookings.booked} of ${withBookings.capacity} places booked`).waitFor();
    await expectAccessible(page, 'a session’s bookings', { dark: false });
    await web.screenshot(page, 'gym-week');

    // Next and previous week.
    const title = page.locator('.gym-week-title');
    const thisWeek = await title.textContent();
    await page.getByRole('button', { name: 'Next week' }).click();
    await expect.poll(() => title.textContent()).not.toBe(thisWeek);
    await page.waitForURL(/week=\d{4}-\d\d-\d\d/);
    await page.getByRole('button', { name: 'Previous week' }).click();
    await expect.poll(() => title.textContent()).toBe(thisWeek);
    expect(web.problems(page)).toEqual([]);
  });

  it('pipeline: a board by stage; a lead moves to the next stage from the keyboard', async () => {
    const stages = (await get<Page_<Stage>>('/fitness/lead-stages?limit=100')).items.sort((a, b) => a.position - b.position);
    expect(stages.map((s) => s.name)).toEqual(['New', 'Contacted', 'Trial booked', 'Toured', 'Negotiating', 'Won', 'Lost']);
    // A lead in a stage with a next one.
    let lead: Contact | undefined;
    let from = -1;
    for (const [i, stage] of stages.slice(0, -1).entries()) {
      const leads = await get<Page_<Contact>>(`/fitness/contacts?kind=lead&leadStageId=${stage.id}&limit=1`);
      if (leads.items[0]) {
        lead = leads.items[0];
        from = i;
        break;
      }
    }
    expect(lead).toBeDefined();
    const to = stages[from + 1]!;

    const page = await web.newPage({ as: user });
    await page.goto('/gym/pipeline');
    await mainHeading(page).getByText('Lead pipeline').waitFor();
    for (const stage of stages) await page.getByRole('heading', { name: new RegExp(`^${stage.name}`) }).waitFor();
    const source = page.getByRole('list', { name: `Leads in ${stages[from]!.name}` });
    await source.getByRole('link', { name: name(lead!) }).waitFor();
    await expectAccessible(page, 'the pipeline board');

    const forward = page.getByRole('button', { name: `Move ${name(lead!)} to ${to.name}` });
    await forward.focus();
    await page.keyboard.press('Enter');
    const target = page.getByRole('list', { name: `Leads in ${to.name}` });
    await target.getByRole('link', { name: name(lead!) }).waitFor();
    await expect.poll(async () => (await get<Contact>(`/fitness/contacts/${lead!.id}`)).leadStageId).toBe(to.id);
    expect(await source.getByRole('link', { name: name(lead!) }).count()).toBe(0);
    // The focus stays with the card, on its button for the same way; the move is announced.
    await expect.poll(() => focusedAttr(page, 'aria-label')).toMatch(new RegExp(`^Move ${name(lead!)} (back )?to `));
    await page.getByRole('status').filter({ hasText: `Moved ${name(lead!)} to ${to.name}.` }).waitFor({ state: 'attached' });
    await web.screenshot(page, 'gym-pipeline');
    expect(web.problems(page)).toEqual([]);
  });

  it('analytics: MRR and ARR as the API computes them, charts and tables, and an earlier month', async () => {
    const mrr = await get<{ mrr: { display: string }; history: unknown[] }>('/fitness/analytics/mrr');
    const arr = await get<{ arr: { display: string } }>('/fitness/analytics/arr');
    const page = await web.newPage({ as: user });
    await page.goto('/gym/analytics');
    await mainHeading(page).getByText('Analytics').waitFor();
    await expect.poll(() => page.getByTestId('gym-mrr').locator('.stat-value').textContent()).toBe(mrr.mrr.display);
    expect(mrr.mrr.display).toMatch(/^\$[\d,]+\.\d\d$/);
    await expect.poll(() => page.getByTestId('gym-arr').locator('.stat-value').textContent()).toBe(arr.arr.display);
    const line = page.getByRole('img', { name: /^MRR at the start of each month/ });
    expect(await line.getAttribute('aria-label')).toContain(mrr.mrr.display);
    await page.getByRole('img', { name: /^Member churn by month/ }).waitFor();
    await page.getByRole('img', { name: /^Lifetime value by signup month/ }).waitFor();
    await page.getByRole('table', { name: 'By class' }).waitFor();
    await page.getByRole('table', { name: 'Members at risk' }).or(page.getByText('Nobody is at risk')).first().waitFor();
    await expectAccessible(page, 'analytics');
    await web.screenshot(page, 'gym-analytics');

    // The month before: every report as of its end.
    const now = new Date();
    const before = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 1, 1));
    const month = before.toISOString().slice(0, 7);
    const asOf = `${now.toISOString().slice(0, 7)}-01`;
    const then = await get<{ mrr: { display: string } }>(`/fitness/analytics/mrr?asOf=${asOf}`);
    await page.getByLabel('Through month').fill(month);
    await page.getByRole('button', { name: 'Show', exact: true }).click();
    await page.waitForURL(`**/gym/analytics?month=${month}`);
    await expect.poll(() => page.getByTestId('gym-mrr').locator('.stat-value').textContent()).toBe(then.mrr.display);
    expect(web.problems(page)).toEqual([]);
  });

  it('inbox: a mail in the outbox and a notification an agent left, with the badge in the navigation', async () => {
    const agent = await web.api<{ id: string }>('POST', '/agents', { ...as(), body: { name: 'Front desk', model: 'openai:gpt-4o-mini', tools: ['send_email', 'notify_staff'] } });
    expect(agent.status, JSON.stringify(agent.body)).toBe(201);
    web.stub!.enqueue(
      {
        toolCalls: [
          { name: 'send_email', args: { to: ['jane@example.com'], subject: 'Welcome back, Jane', text: 'See you at spin on Saturday.' } },
          { name: 'notify_staff', args: { title: 'Treadmill 3 is broken', body: 'A member reported it at the front desk.' } },
        ],
        usage: { input: 200, output: 40 },
      },
      { text: 'Done.', usage: { input: 300, output: 5 } },
    );
    const run = await web.api<{ id: string; status: string }>('POST', `/agents/${agent.body.id}/execute?wait=true`, { ...as(), body: { task: 'Welcome Jane back and report the treadmill' } });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    expect(run.body.status).toBe('succeeded');
    const counts = await get<{ attention: number; notifications: { unread: number }; mail: { kept: number } }>('/inbox/counts');
    expect(counts).toMatchObject({ notifications: { unread: 1 }, mail: { kept: 1 } });
    expect(counts.attention).toBe(1);

    const page = await web.newPage({ as: user });
    await page.goto('/gym/members');
    const link = nav(page).getByRole('link', { name: /^Inbox/ });
    await expect.poll(() => link.textContent()).toBe('Inbox1 unread or open');
    await link.click();
    await page.waitForURL('**/inbox');
    await mainHeading(page).getByText('Inbox').waitFor();
    const notification = page.getByRole('article', { name: 'Treadmill 3 is broken' });
    await notification.getByText('A member reported it at the front desk.').waitFor();
    expect(await notification.getByRole('link', { name: 'Open run' }).getAttribute('href')).toBe(`/runs/${run.body.id}`);
    await expectAccessible(page, 'the inbox');

    await page.getByRole('tab', { name: /^Mail/ }).click();
    await page.waitForURL('**/inbox?tab=mail');
    const mail = page.getByRole('article', { name: 'Welcome back, Jane' });
    await mail.getByText('To jane@example.com').waitFor();
    await mail.getByText('kept', { exact: true }).waitFor();
    expect(await mail.getByRole('link', { name: 'Open run' }).getAttribute('href')).toBe(`/runs/${run.body.id}`);
    // Arrow keys move between the tabs.
    await page.keyboard.press('ArrowRight');
    await page.waitForURL('**/inbox?tab=sms');
    await expectAccessible(page, 'the inbox’s SMS tab', { dark: false });

    // Reading the notification clears the badge.
    await page.getByRole('tab', { name: /^Notifications/ }).click();
    await notification.getByRole('button', { name: 'Mark read: Treadmill 3 is broken' }).click();
    await expect.poll(() => link.textContent()).toBe('Inbox');
    expect((await get<{ attention: number }>('/inbox/counts')).attention).toBe(0);
    await web.screenshot(page, 'gym-inbox');
    expect(web.problems(page)).toEqual([]);
  });

  it('an organization without gym data offers the demo gym and a CSV import checked row by row first', async () => {
    const newcomer = await web.signUp({ orgName: 'Empty Gym' });
    const page = await web.newPage({ as: newcomer });
    await page.goto('/gym');
    await page.waitForURL('**/gym/members');
    await page.getByRole('button', { name: 'Fill with a demo gym' }).waitFor();
    await page.getByRole('heading', { name: 'Import contacts (CSV)' }).waitFor();
    await expectAccessible(page, 'the empty gym');

    // A file with a bad row: the dry run reports it, nothing is written, no Import button.
    const csv = (email: string) => `First Name,Last Name,Email,Status\nAda,Lovelace,ada@example.com,active\nBob,Builder,${email},lead\n`;
    const form = page.getByRole('form', { name: 'Import contacts from CSV' });
    await form.getByLabel('Or paste the CSV').fill(csv('not-an-email'));
    await form.getByRole('button', { name: 'Check file' }).click();
    await form.getByText('1 of 2 rows have problems: fix them and check again. Nothing was imported.').waitFor();
    const problems = form.getByRole('table', { name: /Problems by row/ });
    expect(await problems.locator('tbody tr td').allTextContents()).toEqual(['3', 'Email', expect.stringMatching(/email/i)]);
    expect(await form.getByRole('button', { name: /^Import/ }).count()).toBe(0);
    await expectAccessible(page, 'an import report', { dark: false });
    expect((await web.api<Page_<Contact>>('GET', '/fitness/contacts?limit=1', { token: newcomer.accessToken, orgId: newcomer.orgId })).body.total).toBe(0);

    // Fixed: all fine, then imported; the list replaces the start.
    await form.getByLabel('Or paste the CSV').fill(csv('bob@example.com'));
    await form.getByRole('button', { name: 'Check file' }).click();
    await form.getByText('All 2 rows are fine: nothing is imported until you press Import.').waitFor();
    await form.getByRole('button', { name: 'Import 2 rows' }).click();
    const table = page.getByRole('table', { name: 'Members and leads' });
    await table.getByRole('link', { name: 'Ada Lovelace' }).waitFor();
    await table.getByRole('link', { name: 'Bob Builder' }).waitFor();
    expect(web.problems(page)).toEqual([]);

    // Another empty organization: the demo gym from its button.
    const other = await web.signUp({ orgName: 'Demo Gym' });
    const demoPage = await web.newPage({ as: other });
    await demoPage.goto('/gym/members');
    await demoPage.getByRole('button', { name: 'Fill with a demo gym' }).click();
    await demoPage.getByRole('table', { name: 'Members and leads' }).waitFor({ timeout: 60_000 });
    const total = (await web.api<Page_<Contact>>('GET', '/fitness/contacts?limit=1', { token: other.accessToken, orgId: other.orgId })).body.total;
    expect(total).toBeGreaterThan(500);
    await demoPage.getByRole('status').getByText(`${total.toLocaleString('en-US')} people`).waitFor();
    expect(web.problems(demoPage)).toEqual([]);
  }, 120_000);

  it('is usable on a phone (390 px): every Gym page and the inbox fit the screen', async () => {
    const page = await web.newPage({ as: user, viewport: PHONE });
    const check = async (path: string, heading: string, ready: (p: Page) => Locator) => {
      await page.goto(path);
      await mainHeading(page).getByText(heading).waitFor();
      await ready(page).first().waitFor();
      await noOverflow(page);
    };
    await check('/gym/members', 'Members and leads', (p) => p.getByRole('table', { name: 'Members and leads' }));
    await expectAccessible(page, 'members on a phone', { dark: false });
    await web.screenshot(page, 'gym-members-phone');
    await check('/gym/classes', 'Classes and sessions', (p) => p.locator('button.gym-session'));
    await web.screenshot(page, 'gym-week-phone');
    await check('/gym/pipeline', 'Lead pipeline', (p) => p.locator('.gym-card'));
    await check('/gym/analytics', 'Analytics', (p) => p.getByRole('img', { name: /^MRR/ }));
    await check('/inbox', 'Inbox', (p) => p.getByRole('tablist'));
    expect(web.problems(page)).toEqual([]);
  });
});
