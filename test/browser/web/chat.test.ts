import type { Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { expectAccessible } from '../../helpers/browser.js';
import { PHONE, useWebHarness, type TestUser } from './harness.js';

interface Conversation {
  id: string;
  title: string;
  messageCount: number;
}
interface Message {
  role: string;
  text: string;
  costMicros: number | null;
}

const REPLY = [
  'The answer is **36**.',
  '',
  'In code:',
  '',
  '```js',
  'const answer = 12 * 3; // 36',
  '```',
  '',
  '- checked with the calculator',
  '<img src=x onerror="window.injected=1">',
].join('\n');

describe('dashboard: chat', () => {
  const web = useWebHarness({ stub: true });

  const createAgent = async (user: TestUser, name: string) => {
    const res = await web.api<{ id: string }>('POST', '/agents', {
      token: user.accessToken,
      orgId: user.orgId,
      body: { name, model: 'openai:gpt-4o-mini', tools: ['calculator'], description: 'Answers questions at the front desk' },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id;
  };
  const conversations = async (user: TestUser) =>
    (await web.api<{ items: Conversation[]; total: number }>('GET', '/conversations', { token: user.accessToken, orgId: user.orgId })).body;
  const messages = async (user: TestUser, id: string) =>
    (await web.api<{ items: Message[] }>('GET', `/conversations/${id}/messages`, { token: user.accessToken, orgId: user.orgId })).body.items;

  it('chats from the floating dock: streamed markdown, a tool-call card, cost, regenerate; then the full page: rename and delete', async () => {
    const user = await web.signUp({ orgName: 'Chat Gym' });
    await createAgent(user, 'Front Desk');
    const page = await web.newPage({ as: user });
    await page.goto('/agents');

    // Minimized: a button to start a chat; the agent picker lists the agent.
    const dock = page.getByRole('complementary', { name: 'Chat with agents' });
    await dock.getByRole('button', { name: 'Start a chat' }).click();
    await web.screenshot(page, 'chat-dock-picker');
    // Keyboard: the first agent has the focus, Enter opens its window, the message field has the focus.
    await dock.getByRole('dialog', { name: 'Start a chat' }).getByRole('button', { name: /Front Desk/ }).waitFor();
    await expect.poll(() => page.evaluate('document.activeElement?.textContent')).toContain('Front Desk');
    await page.keyboard.press('Enter');
    const win = dock.getByRole('region', { name: 'Chat with Front Desk' });
    await win.getByText('Start a conversation with').waitFor();
    await expect.poll(() => page.evaluate('document.activeElement?.tagName')).toBe('TEXTAREA');

    // The model calls the calculator, then answers in Markdown (slowly enough to see it typing).
    web.stub!.enqueue(
      { toolCalls: [{ name: 'calculator', args: { expression: '12 * 3' } }], usage: { input: 200, output: 20 }, delayMs: 600 },
      { text: REPLY, usage: { input: 260, output: 40 } },
    );
    await win.getByLabel('Message Front Desk').fill('What is 12 times 3?');
    await win.getByLabel('Message Front Desk').press('Enter');
    await win.getByRole('status').getByText('Front Desk is typing…').waitFor();
    await win.locator('.chat-bubble-user').getByText('What is 12 times 3?').waitFor();

    const reply = win.getByRole('article', { name: 'Front Desk', exact: true });
    await reply.locator('strong').getByText('36').waitFor();
    expect((await reply.locator('code.language-js').textContent())?.trimEnd()).toBe('const answer = 12 * 3; // 36');
    expect(await reply.locator('code.language-js .hljs-keyword').first().textContent()).toBe('const');
    expect(await reply.locator('li').textContent()).toBe('checked with the calculator');
    // Raw HTML in a reply is text, never markup.
    await reply.getByText('<img src=x onerror="window.injected=1">').waitFor();
    expect(await reply.locator('img').count()).toBe(0);
    expect(await page.evaluate('window.injected')).toBeUndefined();

    // The tool call: a card that expands to its arguments and result.
    const card = reply.locator('details.chat-tool');
    await card.getByText('calculator').waitFor();
    const [args, result] = [card.locator('pre').nth(0), card.locator('pre').nth(1)];
    expect(await args.isVisible()).toBe(false);
    await card.locator('summary').click();
    await args.waitFor();
    expect(JSON.parse((await args.textContent())!)).toEqual({ expression: '12 * 3' });
    await card.getByRole('heading', { name: 'Result' }).waitFor();
    expect(JSON.parse((await result.textContent())!)).toMatchObject({ result: 36 });

    // Cost per reply, from the stored messages (micro-dollars shown as dollars).
    const listed = await conversations(user);
    expect(listed.total).toBe(1);
    const conv = listed.items[0]!;
    const stored = await messages(user, conv.id);
    expect(stored.map((m) => m.role)).toEqual(['user', 'assistant', 'tool', 'assistant']);
    const cost = stored.reduce((s, m) => s + (m.costMicros ?? 0), 0);
    expect(cost).toBeGreaterThan(0);
    await reply.getByText(/^Cost \$0\.\d+$/).waitFor();
    expect(await reply.getByRole('button', { name: 'Copy', exact: true }).isVisible()).toBe(true);
    await web.screenshot(page, 'chat-dock-open');

    // Regenerate: the last reply is replaced by a new one.
    web.stub!.enqueue({ text: 'Regenerated: it is *thirty-six*.', usage: { input: 100, output: 10 } });
    await reply.getByRole('button', { name: 'Regenerate' }).click();
    await win.locator('em').getByText('thirty-six').waitFor();
    await expect.poll(() => win.locator('strong').getByText('36').count()).toBe(0);
    await expect.poll(async () => (await messages(user, conv.id)).map((m) => m.text)).toEqual(['What is 12 times 3?', 'Regenerated: it is *thirty-six*.']);

    // Minimize: the agent's avatar stays as a tab; reopening shows the same conversation.
    await win.getByRole('button', { name: 'Minimize chat' }).click();
    await win.waitFor({ state: 'hidden' });
    const tab = dock.getByRole('button', { name: 'Chat with Front Desk' });
    expect(await tab.textContent()).toContain('FD');
    await web.screenshot(page, 'chat-dock-minimized');
    await tab.click();
    await win.locator('em').getByText('thirty-six').waitFor();

    // The full page: the conversation in the list, with its agent's name.
    await win.getByRole('link', { name: 'Full page' }).click();
    await page.waitForURL(`**/chat/${conv.id}`);
    const list = page.getByRole('list', { name: 'Your conversations' });
    const item = list.getByRole('listitem').filter({ hasText: 'What is 12 times 3?' });
    await item.getByText(/Front Desk/).waitFor();
    await page.getByRole('log', { name: 'Conversation with Front Desk' }).locator('em').getByText('thirty-six').waitFor();
    expect(await dock.count()).toBe(0);

    // A second message from the full page streams too.
    web.stub!.enqueue({ text: 'You are welcome!', usage: { input: 50, output: 5 } });
    await page.getByLabel('Message Front Desk').fill('Thanks');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.getByRole('log').getByText('You are welcome!').waitFor();
    await expectAccessible(page, 'the chat page');
    await web.screenshot(page, 'chat-page');

    // Rename (validated with the server's schema), then delete with confirmation.
    await item.getByRole('button', { name: /^Rename/ }).click();
    const rename = page.getByRole('dialog', { name: 'Rename conversation' });
    await rename.getByLabel('Title').fill('   ');
    await rename.getByRole('button', { name: 'Save' }).click();
    await rename.getByText('Required').waitFor();
    await rename.getByLabel('Title').fill('Math questions');
    await rename.getByRole('button', { name: 'Save' }).click();
    await rename.waitFor({ state: 'hidden' });
    await list.locator('.chat-list-title').getByText('Math questions').waitFor();
    await page.getByRole('heading', { name: 'Math questions' }).waitFor();
    expect((await conversations(user)).items[0]!.title).toBe('Math questions');

    await list.getByRole('listitem').filter({ hasText: 'Math questions' }).getByRole('button', { name: /^Delete/ }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete conversation?' });
    await confirm.getByText('“Math questions” and its 4 messages will be deleted').waitFor();
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    await confirm.waitFor({ state: 'hidden' });
    expect((await conversations(user)).total).toBe(1);
    await list.getByRole('listitem').filter({ hasText: 'Math questions' }).getByRole('button', { name: /^Delete/ }).click();
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await page.waitForURL(/\/chat$/);
    await page.getByText('No conversations yet').waitFor();
    expect((await conversations(user)).total).toBe(0);
    expect(web.problems(page)).toEqual([]);
  });

  it('opens a chat from /chat?agentId= and works on a phone; API errors are shown', async () => {
    const user = await web.signUp({ orgName: 'Phone Chat' });
    const agentId = await createAgent(user, 'Coach Bot');
    const page: Page = await web.newPage({ viewport: PHONE, as: user });
    await page.goto(`/chat?agentId=${agentId}`);
    await page.getByText('Start a conversation with').waitFor();
    const longLine = `curl -s https://gym.example/api/plans?member=${'x'.repeat(120)}`;
    web.stub!.enqueue({ text: `Try **three sets** of ten.\n\n\`\`\`sh\n${longLine}\n\`\`\`\n\n\`\`\`sh\nsquat\n\`\`\``, usage: { input: 30, output: 8 } });
    await page.getByLabel('Message Coach Bot').fill('How many squats?');
    await page.getByRole('button', { name: 'Send' }).click();
    await page.locator('strong').getByText('three sets').waitFor();
    // The reply is complete (its cost shows) before its blocks are tried: a block re-rendered by the
    // stream's end would lose the focus given to the one before it.
    const [conv] = (await conversations(user)).items;
    await page.waitForURL(`**/chat/${conv!.id}`);
    await page.getByText(/^Cost \$/).waitFor();
    // A code block wider than a phone scrolls: the keyboard can reach and scroll it; a short one is no tab stop.
    const [wide, short] = [page.locator('.md-code pre').nth(0), page.locator('.md-code pre').nth(1)];
    await expect.poll(() => wide.getAttribute('tabindex')).toBe('0');
    expect(await wide.getAttribute('aria-label')).toBe('sh code block (scrolls)');
    expect(await wide.getAttribute('role')).toBe('group');
    expect(await short.getAttribute('tabindex')).toBeNull();
    await wide.focus();
    expect(await page.evaluate('document.activeElement === document.querySelector(".md-code pre")')).toBe(true);
    // Chromium scrolls smoothly: give it time under load, pressing again if a render took the focus.
    await expect
      .poll(
        async () => {
          await wide.focus();
          await page.keyboard.press('ArrowRight');
          return wide.evaluate((el) => el.scrollLeft);
        },
        { timeout: 15_000, interval: 500 },
      )
      .toBeGreaterThan(0);
    await web.screenshot(page, 'chat-phone');

    // The list on a phone is its own screen.
    await page.getByRole('link', { name: 'Conversations' }).click();
    await page.getByRole('list', { name: 'Your conversations' }).locator('.chat-list-title').getByText('How many squats?').waitFor();

    // The floating window fills a phone's screen. The agent is paused meanwhile: the server
    // refuses the message, the window says why and keeps what was typed.
    await page.goto('/agents');
    const dock = page.getByRole('complementary', { name: 'Chat with agents' });
    await dock.getByRole('button', { name: 'Start a chat' }).click();
    await dock.getByRole('button', { name: /Coach Bot/ }).click();
    const win = dock.getByRole('region', { name: 'Chat with Coach Bot' });
    await win.getByText('Start a conversation with').waitFor();
    expect(await win.boundingBox()).toMatchObject({ x: 0, y: 0, width: PHONE.width });
    await web.screenshot(page, 'chat-phone-dock');
    expect((await web.api('POST', `/agents/${agentId}/disable`, { token: user.accessToken, orgId: user.orgId })).status).toBe(200);
    await win.getByLabel('Message Coach Bot').fill('Still there?');
    await win.getByRole('button', { name: 'Send' }).click();
    await win.getByRole('alert').getByText('The agent Coach Bot is paused; enable it to chat with it').waitFor();
    expect(await win.getByLabel('Message Coach Bot').inputValue()).toBe('Still there?');
    expect((await conversations(user)).total).toBe(2);
    // A reload starts minimized (it was not kept open); its tab reopens it.
    await page.reload();
    await dock.getByRole('button', { name: 'Chat with Coach Bot' }).click();
    await dock.getByRole('region', { name: 'Chat with Coach Bot' }).getByText('Coach Bot is paused; enable it on the Agents page to chat.').waitFor();
    expect(web.problems(page)).toEqual([]);
  });

  it('says why a reply failed when the provider refuses the key: what to fix for an admin, whom to ask for a member', async () => {
    const owner = await web.signUp({ orgName: 'Broken Key Gym' });
    const agentId = await createAgent(owner, 'Desk Bot');
    const page = await web.newPage({ as: owner });
    await page.goto(`/chat?agentId=${agentId}`);
    web.stub!.enqueue({ status: 401, text: 'Incorrect API key provided' });
    await page.getByLabel('Message Desk Bot').fill('Hello?');
    await page.getByRole('button', { name: 'Send' }).click();
    const alert = page.getByRole('log').getByRole('alert');
    await alert.getByText('Desk Bot could not answer: none of its models worked.').waitFor();
    await alert.getByText('the provider refused the API key').waitFor();
    await web.screenshot(page, 'chat-failed-admin');
    await alert.getByRole('link', { name: 'Credentials page' }).click();
    await page.waitForURL('**/settings/credentials');

    const res = await web.api<{ inviteUrl: string }>('POST', '/invitations', { token: owner.accessToken, orgId: owner.orgId, body: { email: 'member-chat@example.com', role: 'member' } });
    expect(res.status).toBe(201);
    const member = await web.signUp({ email: 'member-chat@example.com' });
    const token = new URL(res.body.inviteUrl).searchParams.get('token')!;
    expect((await web.api('POST', '/invitations/accept', { token: member.accessToken, body: { token } })).status).toBe(200);
    const memberPage = await web.newPage({ as: { ...member, orgId: owner.orgId } });
    await memberPage.goto(`/chat?agentId=${agentId}`);
    web.stub!.enqueue({ status: 401, text: 'Incorrect API key provided' });
    await memberPage.getByLabel('Message Desk Bot').fill('Hello?');
    await memberPage.getByRole('button', { name: 'Send' }).click();
    const memberAlert = memberPage.getByRole('log').getByRole('alert');
    await memberAlert.getByText(/Please ask an administrator of your organization/).waitFor();
    expect(await memberAlert.getByRole('link', { name: 'Credentials page' }).count()).toBe(0);
    await web.screenshot(memberPage, 'chat-failed-member');
    expect(web.problems(page)).toEqual([]);
    expect(web.problems(memberPage)).toEqual([]);
  });
});
