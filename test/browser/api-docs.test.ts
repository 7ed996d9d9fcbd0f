import { mkdirSync } from 'node:fs';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, type TestApp } from '../helpers/app.js';
import { launchBrowser } from '../helpers/browser.js';

describe('API docs in a real browser', () => {
  let t: TestApp;
  let browser: Browser;
  let url: string;
  beforeAll(async () => {
    t = await createTestApp('postgres');
    await t.app.listen({ port: 0, host: '127.0.0.1' });
    url = `http://127.0.0.1:${(t.app.server.address() as { port: number }).port}`;
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  it('renders Swagger UI with the Troupe API and its operations, with no CSP violations', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    const violations: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error') violations.push(msg.text());
    });
    await page.goto(`${url}/docs`);
    await page.getByText('Troupe API', { exact: false }).first().waitFor({ timeout: 15_000 });
    // Swagger UI renders a tag's operations as they scroll into view: scroll until the agents'
    // operations are there (the first tags alone hold fewer than ten).
    const agents = page.locator('.opblock-summary-path', { hasText: '/api/v1/agents' }).first();
    await expect
      .poll(
        async () => {
          if (await agents.isVisible()) return true;
          await page.mouse.wheel(0, 1500);
          return false;
        },
        { timeout: 20_000, interval: 200 },
      )
      .toBe(true);
    // Every operation is reachable: scroll through, gathering the paths shown on the way.
    const seen = new Set<string>();
    for (let i = 0; i < 200; i++) {
      for (const p of await page.locator('.opblock-summary-path').allInnerTexts()) seen.add(p);
      const atEnd = (await page.evaluate('window.scrollY + window.innerHeight >= document.body.scrollHeight - 2')) as boolean;
      if (atEnd && i > 0) break;
      await page.mouse.wheel(0, 1500);
      await page.waitForTimeout(100);
    }
    expect(seen.size).toBeGreaterThan(30);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/api-docs.png' });
    expect(violations.filter((v) => /Content Security Policy|Refused/.test(v))).toEqual([]);
  });
});
