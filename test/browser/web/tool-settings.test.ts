import { describe, expect, it } from 'vitest';
import { expectAccessible } from '../../helpers/browser.js';
import { PHONE, useWebHarness } from './harness.js';

describe('dashboard: tool settings', () => {
  const web = useWebHarness();

  it('an admin turns on resending a webhook interrupted by a crash, and it stays on', async () => {
    const user = await web.signUp({ orgName: 'Webhook Org' });
    const as = { token: user.accessToken, orgId: user.orgId };
    const page = await web.newPage({ as: user });
    await page.goto('/settings/members');
    await page.getByRole('navigation', { name: 'Settings sections' }).getByRole('link', { name: 'Tools' }).click();
    await page.waitForURL('**/settings/tools');
    const retry = page.getByLabel('Resend a webhook interrupted by a crash');
    expect(await retry.isChecked()).toBe(false);
    await page.getByText('Unsigned').waitFor();
    await expectAccessible(page, 'settings: tools');

    await retry.check();
    await page.getByRole('status').getByText('Saved. Interrupted webhooks are sent again.').waitFor();
    const saved = await web.api<{ webhookRetryOnCrash: boolean; httpAllowlist: string[] }>('GET', '/tool-settings', as);
    expect(saved.body).toMatchObject({ webhookRetryOnCrash: true, httpAllowlist: [] });
    await page.reload();
    expect(await page.getByLabel('Resend a webhook interrupted by a crash').isChecked()).toBe(true);
    await web.screenshot(page, 'settings-tools');

    await page.setViewportSize(PHONE);
    expect(await page.evaluate<number>('document.documentElement.scrollWidth')).toBeLessThanOrEqual(PHONE.width);
    await page.getByLabel('Resend a webhook interrupted by a crash').uncheck();
    await page.getByRole('status').getByText('Saved. Interrupted webhooks wait for a person.').waitFor();
    expect((await web.api<{ webhookRetryOnCrash: boolean }>('GET', '/tool-settings', as)).body.webhookRetryOnCrash).toBe(false);
    expect(web.problems(page)).toEqual([]);
  }, 60_000);
});
