import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { expectAccessible } from '../../helpers/browser.js';
import { useWebHarness, type TestUser } from './harness.js';

const mainHeading = (page: Page) => page.locator('main h1');
/** Monday 2027-03-01 in the calendar (Europe/Berlin, UTC+1 in March). */
const day = (page: Page, date: string) => page.locator(`[data-date="${date}"]`);

describe('dashboard: the calendar week view', () => {
  const web = useWebHarness();
  const as = (user: TestUser) => ({ token: user.accessToken, orgId: user.orgId });

  it('shows a week in the calendar’s time zone, books from a dialog (a clash offers alternatives), cancels, and gives the ICS link', async () => {
    const user = await web.signUp({ orgName: 'Clinic' });
    const cal = await web.api<{ id: string }>('POST', '/calendars', { ...as(user), body: { name: 'Dr. Berg', timeZone: 'Europe/Berlin' } });
    expect(cal.status, JSON.stringify(cal.body)).toBe(201);
    const first = await web.api('POST', `/calendars/${cal.body.id}/events`, { ...as(user), body: { title: 'Checkup Ann', start: '2027-03-01T09:00:00Z' } });
    expect(first.status, JSON.stringify(first.body)).toBe(201);

    const page = await web.newPage({ as: user });
    await page.goto('/calendar?week=2027-03-01');
    await mainHeading(page).getByText('Calendar').waitFor();
    await page.getByText('Times in').locator('strong', { hasText: 'Europe/Berlin' }).waitFor();
    // 09:00Z is 10:00 in Berlin: the event sits in Monday's column, labelled with its local time.
    const ann = day(page, '2027-3-1').getByRole('button', { name: /Checkup Ann/ });
    await ann.waitFor();
    expect(await ann.textContent()).toContain('10:00');
    expect(await page.getByRole('columnheader').count()).toBe(7);
    await expectAccessible(page, 'the calendar week');

    // Booking 10:00 clashes with Ann: the dialog lists the free alternatives; picking one books it.
    // (Ann covers the hour's upper half: click its free lower half, as a person would.)
    await day(page, '2027-3-1').getByRole('button', { name: /10:00$/ }).click({ position: { x: 10, y: 40 } });
    const dialog = page.getByRole('dialog', { name: 'New event in Dr. Berg' });
    await dialog.getByLabel('Title').fill('Checkup Bob');
    expect(await dialog.getByLabel('Time (Europe/Berlin)').inputValue()).toBe('10:00');
    await dialog.getByRole('button', { name: 'Book' }).click();
    const clash = dialog.getByRole('alert');
    await clash.getByText(/clashes with “Checkup Ann” \(10:00–10:30\)/).waitFor();
    await expectAccessible(page, 'a clash with alternatives');
    await web.screenshot(page, 'calendar-clash');
    await clash.getByRole('button', { name: '2027-03-01 10:30' }).click();
    expect(await dialog.getByLabel('Time (Europe/Berlin)').inputValue()).toBe('10:30');
    await dialog.getByRole('button', { name: 'Book' }).click();
    await dialog.waitFor({ state: 'hidden' });
    const bob = day(page, '2027-3-1').getByRole('button', { name: /Checkup Bob/ });
    await bob.waitFor();
    expect(await bob.textContent()).toContain('10:30');
    const booked = await web.api<{ items: { title: string; startAt: string }[] }>('GET', `/calendars/${cal.body.id}/events?from=2027-03-01T00:00:00Z&to=2027-03-02T00:00:00Z`, as(user));
    expect(booked.body.items.map((e) => [e.title, e.startAt])).toEqual([
      ['Checkup Ann', '2027-03-01T09:00:00.000Z'],
      ['Checkup Bob', '2027-03-01T09:30:00.000Z'],
    ]);
    await web.screenshot(page, 'calendar');

    // Cancel Bob from his event's dialog: he stays in the week, struck through.
    await bob.click();
    const details = page.getByRole('dialog', { name: 'Checkup Bob' });
    await details.getByText('2027-03-01 10:30–11:00 (Europe/Berlin)').waitFor();
    await details.getByRole('button', { name: 'Cancel event' }).click();
    await details.waitFor({ state: 'hidden' });
    await expect.poll(() => bob.getAttribute('class')).toContain('cal-event-cancelled');

    // The next week is empty; "This week" marks today.
    await page.getByRole('button', { name: 'Next week' }).click();
    await page.waitForURL(/week=2027-03-08/);
    await expect.poll(() => page.locator('.cal-event').count()).toBe(0);
    await page.getByRole('button', { name: 'This week' }).click();
    await page.locator('[role="columnheader"][aria-current="date"]').waitFor();

    // Settings: the ICS feed link, shown once, serves the calendar's events.
    await page.getByRole('button', { name: 'Settings' }).click();
    const settings = page.getByRole('dialog', { name: 'Dr. Berg: settings' });
    expect(await settings.getByLabel('Monday from').inputValue()).toBe('09:00');
    await settings.getByRole('button', { name: 'Make a feed link' }).click();
    const url = await settings.getByLabel('Feed URL').inputValue();
    expect(url).toMatch(new RegExp(`^${web.url}/ical/${cal.body.id}\\.ics\\?token=`));
    await expectAccessible(page, 'the calendar settings');
    const feed = await fetch(url);
    expect(feed.status).toBe(200);
    const text = await feed.text();
    expect(text.match(/BEGIN:VEVENT/g)).toHaveLength(2);
    expect(text).toContain('DTSTART:20270301T093000Z');
    // Saturday opened 10–14: saved, and the form shows it next time.
    await settings.getByLabel('Saturday from').fill('10:00');
    await settings.getByLabel('Saturday from').locator('xpath=../..').getByLabel('to').fill('14:00');
    await settings.getByRole('button', { name: 'Save' }).click();
    await settings.waitFor({ state: 'hidden', timeout: 5000 }).catch(async () => {
      throw new Error(`settings not saved: ${await settings.textContent()}`);
    });
    const saved = await web.api<{ workingHours: Record<string, unknown> }>('GET', `/calendars/${cal.body.id}`, as(user));
    expect(saved.body.workingHours.sat).toEqual([{ start: '10:00', end: '14:00' }]);
    expect(web.problems(page)).toEqual([]);
  });
});
