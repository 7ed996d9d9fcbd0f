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
    await page.locator('.opblock-summary-path', { hasText: '/api/v1/agents' }).first().waitFor();
    expect(await page.locator('.opblock').count()).toBeGreaterThan(30);
    mkdirSync('test-results', { recursive: true });
    await page.screenshot({ path: 'test-results/api-docs.png' });
    expect(violations.filter((v) => /Content Security Policy|Refused/.test(v))).toEqual([]);
  });
});
