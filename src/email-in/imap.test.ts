import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedRoles, type Member, type TestApp } from '../../test/helpers/app.js';
import type { DbKind } from '../../test/helpers/databases.js';
import { startImapServer, type ImapTestServer } from '../../test/helpers/imap-server.js';
import { EMPTY_ALLOWLIST } from '../tools/net/allowlist.js';
import type { EmailPayload } from './dto.js';
import { pinMailHost } from './imap-client.js';
import { emailInboxes } from './schema.js';

/**
 * IMAP polling against a real IMAP server on 127.0.0.1 (hoodiecrow-imap), allowed with
 * TROUPE_PRIVATE_MAIL_HOSTS as an operator would; the app's own worker runs the poller.
 */
interface Inbox {
  id: string;
  uidValidity: number | null;
  lastUid: number;
  lastPolledAt: string | null;
  lastError: string | null;
  hasPassword: boolean;
}
interface Event {
  id: string;
  dedupeKey: string;
  payload: EmailPayload;
}

const mail = (n: number, extra = '') => `From: Customer ${n} <c${n}@example.com>\r\nTo: desk@example.com\r\nSubject: Question ${n}\r\nMessage-ID: <q${n}@example.com>\r\n${extra}\r\nBody of question ${n}.`;
const withAttachment = [
  'From: Pat <pat@example.com>',
  'To: desk@example.com',
  'Subject: Invoice attached',
  'Message-ID: <invoice@example.com>',
  'MIME-Version: 1.0',
  'Content-Type: multipart/mixed; boundary="b1"',
  '',
  '--b1',
  'Content-Type: text/plain; charset=utf-8',
  '',
  'See the invoice.',
  '--b1',
  'Content-Type: application/pdf; name="invoice.pdf"',
  'Content-Disposition: attachment; filename="invoice.pdf"',
  'Content-Transfer-Encoding: base64',
  '',
  Buffer.from('%PDF-1.4 fake').toString('base64'),
  '--b1--',
  '',
].join('\r\n');

describe.each(['postgres', 'pglite'] as DbKind[])('IMAP polling on %s', (kind) => {
  let t: TestApp;
  let roles: Awaited<ReturnType<typeof seedRoles>>;
  let imap: ImapTestServer;
  let inboxId: string;

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, who: Member, payload?: unknown) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { ...who.headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) }, ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }) });
  const inbox = async (id = inboxId) => json<Inbox>(await call('GET', `/email-inboxes/${id}`, roles.member));
  const emailEvents = async () => json<{ items: Event[] }>(await call('GET', '/events?source=email&limit=100', roles.admin)).items;
  /** Asks for a poll now and waits until the poller has done it. */
  const pollNow = async (id = inboxId) => {
    expect((await call('POST', `/email-inboxes/${id}/poll`, roles.admin)).statusCode).toBe(202);
    await expect.poll(async () => (await inbox(id)).lastPolledAt).not.toBeNull();
    return inbox(id);
  };

  beforeAll(async () => {
    imap = await startImapServer([{ raw: mail(0), receivedAt: new Date('2020-01-01T00:00:00Z') }]);
    t = await createTestApp(kind, { TROUPE_PRIVATE_MAIL_HOSTS: '127.0.0.1' });
    roles = await seedRoles(t.ctx);
  });
  afterAll(async () => {
    await t?.close();
    await imap?.close();
  });

  it('stores the password encrypted and never shows it; a new inbox starts at the end of the mailbox', async () => {
    const res = await call('POST', '/email-inboxes', roles.admin, { kind: 'imap', name: 'Desk', host: '127.0.0.1', port: imap.port, secure: false, username: imap.user, password: imap.password, pollSeconds: 15 });
    expect(res.statusCode, res.body).toBe(201);
    expect(res.body).not.toContain(imap.password);
    inboxId = json<Inbox>(res).id;
    expect(json<Inbox>(res).hasPassword).toBe(true);
    const [row] = await t.ctx.database.system((tx) => tx.select().from(emailInboxes).where(eq(emailInboxes.id, inboxId)));
    expect(row!.passwordEnc).toMatch(/^v1\./);
    expect(row!.passwordEnc).not.toContain(imap.password);
    // The poller takes a new inbox at once: the cursor goes to the mailbox's end, the old mail stays unread.
    await expect.poll(async () => (await inbox()).uidValidity).not.toBeNull();
    expect(await inbox()).toMatchObject({ lastUid: 1, lastError: null });
    expect(await emailEvents()).toEqual([]);
    const list = await call('GET', '/email-inboxes', roles.member);
    expect(list.body).not.toContain(imap.password);
  });

  it('turns new mail into events once: a second poll and a repeated read after a crash store nothing new', async () => {
    imap.deliver(mail(1), new Date(Date.now() - 3_600_000));
    imap.deliver(withAttachment, new Date(Date.now() - 3_600_000));
    const after = await pollNow();
    expect(after).toMatchObject({ lastUid: 3, lastError: null });
    const events = await emailEvents();
    expect(events.map((e) => e.payload.subject).sort()).toEqual(['Invoice attached', 'Question 1']);
    const invoice = events.find((e) => e.payload.subject === 'Invoice attached')!;
    expect(invoice).toMatchObject({
      dedupeKey: `imap:${inboxId}:${after.uidValidity}:3`,
      payload: { inboxId, via: 'imap', from: { address: 'pat@example.com', name: 'Pat' }, text: expect.stringContaining('See the invoice.'), attachments: [{ filename: 'invoice.pdf', contentType: 'application/pdf', size: 13, checksum: expect.stringMatching(/^[0-9a-f]{64}$/) }] },
    });

    await pollNow();
    expect(await emailEvents()).toHaveLength(2);

    // A poller that died after storing the events but before moving the cursor: read again, stored once.
    await t.ctx.database.system((tx) => tx.update(emailInboxes).set({ lastUid: 1 }).where(eq(emailInboxes.id, inboxId)));
    expect(await pollNow()).toMatchObject({ lastUid: 3 });
    expect(await emailEvents()).toHaveLength(2);
  });

  it('after a UIDVALIDITY change reads the mail since the last poll again, not the older mail', async () => {
    const before = await inbox();
    imap.changeUidValidity((before.uidValidity ?? 1) + 1000);
    imap.deliver(mail(4));
    const after = await pollNow();
    expect(after).toMatchObject({ uidValidity: (before.uidValidity ?? 1) + 1000, lastUid: 4, lastError: null });
    const events = await emailEvents();
    expect(events).toHaveLength(3);
    expect(events.find((e) => e.payload.subject === 'Question 4')!.dedupeKey).toBe(`imap:${inboxId}:${after.uidValidity}:4`);
  });

  it('records a failed sign-in in lastError (without the password); test-connection says the same', async () => {
    expect((await call('PATCH', `/email-inboxes/${inboxId}`, roles.admin, { password: 'not-the-password' })).statusCode).toBe(200);
    const test = await call('POST', `/email-inboxes/${inboxId}/test-connection`, roles.admin);
    expect(json(test)).toMatchObject({ ok: false, error: expect.stringMatching(/sign-in refused/i) });
    const after = await pollNow();
    expect(after.lastError).toMatch(/sign-in refused/i);
    expect(after.lastError).not.toContain('not-the-password');
    expect((await call('PATCH', `/email-inboxes/${inboxId}`, roles.admin, { password: imap.password })).statusCode).toBe(200);
    expect(json(await call('POST', `/email-inboxes/${inboxId}/test-connection`, roles.admin))).toMatchObject({ ok: true, error: null, messages: 4 });
    expect((await pollNow()).lastError).toBeNull();
  });

  it('refuses a private IMAP host, when it is saved and when it is reached', async () => {
    const bad = await call('POST', '/email-inboxes', roles.admin, { kind: 'imap', name: 'Internal', host: '10.1.2.3', username: 'u', password: 'p' });
    expect(expectProblem(bad, 400)).toMatchObject({ code: 'host_not_allowed', errors: [expect.objectContaining({ path: 'body.host' })] });
    expect(expectProblem(await call('PATCH', `/email-inboxes/${inboxId}`, roles.admin, { host: '192.168.0.10' }), 400).code).toBe('host_not_allowed');
    // A host that became private after it was saved (a name's DNS answer, here set directly) is refused at connect time.
    const res = await call('POST', '/email-inboxes', roles.admin, { kind: 'imap', name: 'Moves', host: '93.184.216.34', username: 'u', password: 'p', enabled: false });
    const id = json<Inbox>(res).id;
    await t.ctx.database.system((tx) => tx.update(emailInboxes).set({ host: '10.9.8.7' }).where(eq(emailInboxes.id, id)));
    expect(json(await call('POST', `/email-inboxes/${id}/test-connection`, roles.admin))).toMatchObject({ ok: false, error: expect.stringContaining('TROUPE_PRIVATE_MAIL_HOSTS') });
    // Without the operator's allowance, loopback names are refused too.
    await expect(pinMailHost('localhost', EMPTY_ALLOWLIST)).rejects.toMatchObject({ code: 'host_not_allowed' });
    await expect(pinMailHost('127.0.0.1', EMPTY_ALLOWLIST)).rejects.toMatchObject({ code: 'host_not_allowed' });
  });

  it('lets admins test and poll, members read; another organization gets 404', async () => {
    expect((await call('POST', `/email-inboxes/${inboxId}/test-connection`, roles.member)).statusCode).toBe(403);
    expect((await call('POST', `/email-inboxes/${inboxId}/poll`, roles.member)).statusCode).toBe(403);
    expect((await call('GET', `/email-inboxes/${inboxId}`, roles.viewer)).statusCode).toBe(403);
    expect((await call('GET', `/email-inboxes/${inboxId}`, roles.stranger)).statusCode).toBe(404);
    expect((await call('POST', `/email-inboxes/${inboxId}/test-connection`, roles.stranger)).statusCode).toBe(404);
    expect((await call('PATCH', `/email-inboxes/${inboxId}`, roles.stranger, { enabled: false })).statusCode).toBe(404);
  });
});
