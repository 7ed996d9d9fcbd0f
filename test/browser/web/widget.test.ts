import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectAccessible } from '../../helpers/browser.js';
import { useWebHarness, type TestUser } from './harness.js';

/**
 * The website widget on another site: a tiny page on another local origin embeds /widget.js with
 * a publication's key, a visitor chats with the published agent (the provider stub answers), and
 * the public chat page does the same on Troupe's own origin.
 */
describe('the chat widget on a website', () => {
  const web = useWebHarness({ stub: true });
  let site: Server;
  let siteUrl = '';
  let publicKey = '';
  let user: TestUser;

  beforeAll(async () => {
    // The gym's website: another origin than Troupe's (another port), embedding the script tag.
    site = createServer((req, res) => {
      const pageHtml = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Iron Gym</title></head>
<body><main><h1>Iron Gym</h1><p>Strength, yoga and spin classes every day.</p></main>
<script src="${web.url}/widget.js" data-key="${publicKey}" async></script>
</body></html>`;
      res.writeHead(req.url === '/' ? 200 : 404, { 'content-type': 'text/html; charset=utf-8' }).end(req.url === '/' ? pageHtml : 'not found');
    });
    await new Promise<void>((resolve) => site.listen(0, '127.0.0.1', resolve));
    siteUrl = `http://127.0.0.1:${(site.address() as AddressInfo).port}`;

    user = await web.signUp({ orgName: 'Iron Gym' });
    const as = { token: user.accessToken, orgId: user.orgId };
    const agent = await web.api<{ id: string }>('POST', '/agents', { ...as, body: { name: 'Front desk', model: 'openai:gpt-4o-mini' } });
    expect(agent.status).toBe(201);
    const pub = await web.api<{ publicKey: string }>('POST', '/chat-publications', {
      ...as,
      body: { agentId: agent.body.id, title: 'Ask Iron Gym', greeting: 'Hi! Ask us anything about classes.', themeColor: '#1d4ed8', allowedOrigins: [siteUrl] },
    });
    expect(pub.status).toBe(201);
    publicKey = pub.body.publicKey;
  });
  afterAll(async () => {
    await new Promise((resolve) => site?.close(resolve));
  });

  const launcher = (page: Page) => page.getByRole('button', { name: 'Open chat: Ask Iron Gym' });
  const dialog = (page: Page) => page.getByRole('dialog', { name: 'Ask Iron Gym' });
  /** The id of the focused element, looking inside the widget's shadow root. */
  const focused = (page: Page) =>
    page.evaluate(`(() => { const a = document.activeElement; const inner = a && a.shadowRoot ? a.shadowRoot.activeElement : null; return inner ? (inner.getAttribute('aria-label') || inner.className || inner.tagName) : (a && a.tagName); })()`);

  it('a visitor opens the chat on the gym’s site, sends a message and reads the answer; the conversation survives a reload', async () => {
    const page = await web.newPage();
    await page.goto(siteUrl);
    await launcher(page).waitFor();
    await expectAccessible(page, 'the site with the chat button', { dark: false });

    await launcher(page).click();
    await dialog(page).waitFor();
    await dialog(page).getByText('Hi! Ask us anything about classes.').waitFor();
    expect(await launcher(page).getAttribute('aria-expanded')).toBe('true');
    // Focus goes to the message box.
    await expect.poll(() => focused(page)).toBe('TEXTAREA');

    web.stub!.enqueue({ text: 'We have yoga on Tuesdays at 18:00 and spin every morning.' });
    await dialog(page).getByLabel('Your message').fill('Do you have yoga classes?');
    await page.keyboard.press('Enter');
    await dialog(page).getByText('We have yoga on Tuesdays at 18:00 and spin every morning.').waitFor();
    await dialog(page).getByRole('log').getByText('Do you have yoga classes?').waitFor();
    await expectAccessible(page, 'the open chat with an answer', { dark: false });
    await web.screenshot(page, 'widget');

    // Tab stays inside the open panel; Escape closes it and gives focus back to the button.
    for (let i = 0; i < 6; i++) await page.keyboard.press('Tab');
    expect(await page.evaluate(`document.activeElement && document.activeElement.getAttribute('data-troupe-chat')`)).toBe(publicKey);
    await expect.poll(() => focused(page)).not.toBe('launcher');
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog(page).isVisible()).toBe(false);
    await expect.poll(() => focused(page)).toBe('Open chat: Ask Iron Gym');

    // A reload keeps the visitor's session (its token in the site's storage) and shows the history.
    await page.reload();
    await launcher(page).click();
    await dialog(page).getByText('We have yoga on Tuesdays at 18:00 and spin every morning.').waitFor();
    expect(web.problems(page)).toEqual([]);

    // Staff see the visitor's conversation.
    const convs = await web.api<{ items: { visitorId: string | null; title: string }[] }>('GET', '/conversations', { token: user.accessToken, orgId: user.orgId });
    expect(convs.body.items).toContainEqual(expect.objectContaining({ title: 'Visitor: Do you have yoga classes?' }));
  });

  it('on a site that is not allowed, the chat says it is not available and reaches no agent', async () => {
    const page = await web.newPage();
    // Same page, another origin (localhost is not 127.0.0.1).
    await page.goto(siteUrl.replace('127.0.0.1', 'localhost'));
    const button = page.getByRole('button', { name: /Open chat|Chat/ });
    await button.click();
    await page.getByRole('dialog').getByText('This chat is not available right now.').waitFor();
    const before = web.stub!.requests.length;
    await page.getByRole('dialog').getByLabel('Your message').fill('hello?');
    await page.keyboard.press('Enter');
    await page.getByRole('dialog').getByText('This chat is not available right now.').waitFor();
    expect(web.stub!.requests.length).toBe(before);
  });

  it('the public chat page works under its strict policy', async () => {
    const page = await web.newPage();
    await page.goto(`/chat/${publicKey}`);
    await page.getByRole('heading', { level: 1, name: 'Ask Iron Gym' }).waitFor();
    await page.getByText('Hi! Ask us anything about classes.').waitFor();
    web.stub!.enqueue({ text: 'A day pass is $15.' });
    await page.getByLabel('Your message').fill('How much is a day pass?');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByText('A day pass is $15.').waitFor();
    await expectAccessible(page, 'the public chat page');
    // No CSP violation or script error: the page needs nothing its policy refuses.
    expect(web.problems(page)).toEqual([]);
    await web.screenshot(page, 'public-chat');
  });
});
