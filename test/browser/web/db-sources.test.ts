import pg from 'pg';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from '../../helpers/browser.js';
import { createPgDatabase } from '../../helpers/databases.js';
import { useWebHarness } from './harness.js';

const mainHeading = (page: Page) => page.locator('main h1');

/** The Databases tab of the Events area, against a real PostgreSQL source database (issue 16). */
describe('dashboard: database sources', () => {
  const web = useWebHarness({ env: { TROUPE_PRIVATE_DATABASE_HOSTS: '127.0.0.1' } });
  let source: { url: string; drop: () => Promise<void> };
  let sql: pg.Client;

  beforeAll(async () => {
    source = await createPgDatabase();
    sql = new pg.Client({ connectionString: source.url });
    await sql.connect();
    await sql.query(`create table leads (id serial primary key, email text not null, updated_at timestamptz not null default now())`);
  });
  afterAll(async () => {
    await sql?.end();
    await source?.drop();
  });

  it('connects a database, follows a table, shows its events, switches it off and deletes it', async () => {
    const user = await web.signUp({ orgName: 'Db Gym' });
    const page = await web.newPage({ as: user });
    await page.goto('/events/databases');
    await mainHeading(page).getByText('Databases').waitFor();
    await page.getByText('No databases connected').waitFor();
    await page.getByRole('button', { name: 'Connect a database' }).first().click();
    const connect = page.getByRole('dialog', { name: 'Connect a database' });
    await connect.getByLabel('Name').fill('Shop');
    await connect.getByLabel('Connection string').fill('mysql://nope');
    await connect.getByRole('button', { name: 'Connect' }).click();
    await connect.locator('.field-error').first().waitFor();
    const withPassword = new URL(source.url);
    withPassword.password = 'pw-never-shown';
    await connect.getByLabel('Connection string').fill(withPassword.toString());
    await connect.getByRole('button', { name: 'Connect' }).click();

    const setup = page.getByRole('dialog', { name: 'Follow a table of Shop' });
    await setup.getByLabel('Table', { exact: true }).selectOption('public.leads');
    await expectAccessible(page, 'the follow-a-table dialog');
    await setup.getByRole('button', { name: 'Install the trigger and start' }).click();
    const row = page.locator('tr[data-db-source="Shop"]');
    await row.locator('[data-status="active"]').waitFor();
    expect(await row.textContent()).toMatch(/db\.leads\.\*\s*insert, update, delete/);
    expect(await page.content()).not.toContain('pw-never-shown');
    await web.screenshot(page, 'events-databases');

    await sql.query(`insert into leads (email) values ('ann@example.com')`);
    await page.goto('/events');
    await page.getByText('db.leads.insert').first().waitFor();

    await page.goto('/events/databases');
    await row.getByRole('switch', { name: 'Shop on' }).click();
    await row.locator('[data-status="disabled"]').waitFor();
    expect((await sql.query(`select 1 from pg_trigger where tgname like 'troupe_src_%'`)).rows).toHaveLength(0);
    await row.getByRole('button', { name: 'Delete' }).click();
    await page.getByRole('dialog', { name: 'Delete Shop?' }).getByRole('button', { name: 'Delete database source' }).click();
    await page.getByText('No databases connected').waitFor();
  });
});
