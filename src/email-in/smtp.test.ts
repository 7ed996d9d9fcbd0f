import nodemailer from 'nodemailer';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, json, seedRoles, type Member, type TestApp } from '../../test/helpers/app.js';
import type { DbKind } from '../../test/helpers/databases.js';
import type { EmailPayload } from './dto.js';

/**
 * The inbound SMTP listener for real (issue 16): nodemailer sends to it on an ephemeral port; the
 * mail becomes an `email.received` event before 250 is answered. On PostgreSQL and PGlite.
 */
interface Event {
  id: string;
  type: string;
  source: string;
  payload: EmailPayload;
  dedupeKey: string | null;
}
interface Inbox {
  id: string;
  address: string;
  enabled: boolean;
}

const MAX_BYTES = 64 * 1024;

describe.each(['postgres', 'pglite'] as DbKind[])('inbound SMTP on %s', (kind) => {
  let t: TestApp;
  let roles: Awaited<ReturnType<typeof seedRoles>>;
  let port: number;
  let inbox: Inbox;

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, who: Member, payload?: unknown) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { ...who.headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) }, ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }) });
  const transport = () => nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, connectionTimeout: 5000 });
  const emailEvents = async (who: Member = roles.admin) => json<{ items: Event[] }>(await call('GET', '/events?source=email&limit=100', who)).items;

  beforeAll(async () => {
    t = await createTestApp(kind, { TROUPE_SMTP_INBOUND_DOMAIN: 'mail.troupe.test', TROUPE_SMTP_INBOUND_MAX_BYTES: String(MAX_BYTES) });
    roles = await seedRoles(t.ctx);
    port = await t.ctx.services.smtpListener.start(0, '127.0.0.1');
    const res = await call('POST', '/email-inboxes', roles.admin, { kind: 'smtp', name: 'Support' });
    expect(res.statusCode, res.body).toBe(201);
    inbox = json<Inbox>(res);
  });
  afterAll(() => t?.close());

  it('gives an SMTP inbox a random address at the inbound domain', () => {
    expect(inbox.address).toMatch(/^in-[a-z2-7]{12}@mail\.troupe\.test$/);
  });

  it('stores a sent mail as an email.received event with from, to, subject, text, HTML and attachment metadata', async () => {
    const attachment = Buffer.from('name,visits\nAnn,3\n');
    const info = await transport().sendMail({
      from: 'Ann Customer <ann@example.com>',
      to: inbox.address,
      cc: 'Bob <bob@example.com>',
      subject: 'Where is my order?',
      text: 'Order 1234 has not arrived.',
      html: '<p>Order <b>1234</b> has not arrived.</p>',
      messageId: '<order-1234@example.com>',
      attachments: [{ filename: 'visits.csv', content: attachment, contentType: 'text/csv' }],
    });
    expect(info.accepted).toEqual([inbox.address]);
    // Stored before 250 was answered: no waiting.
    const [event] = (await emailEvents()).filter((e) => e.payload.messageId === '<order-1234@example.com>');
    expect(event).toMatchObject({
      type: 'email.received',
      source: 'email',
      dedupeKey: `smtp:${inbox.id}:<order-1234@example.com>`,
      payload: {
        inboxId: inbox.id,
        via: 'smtp',
        from: { address: 'ann@example.com', name: 'Ann Customer' },
        to: [{ address: inbox.address, name: '' }],
        cc: [{ address: 'bob@example.com', name: 'Bob' }],
        subject: 'Where is my order?',
        text: 'Order 1234 has not arrived.',
        html: '<p>Order <b>1234</b> has not arrived.</p>',
        truncated: false,
        attachments: [{ filename: 'visits.csv', contentType: 'text/csv', size: attachment.length, checksum: createHash('sha256').update(attachment).digest('hex') }],
      },
    });
    // The inbox's history shows it.
    const history = json<{ items: { eventId: string; subject: string; attachments: number }[] }>(await call('GET', `/email-inboxes/${inbox.id}/deliveries`, roles.member));
    expect(history.items).toEqual(expect.arrayContaining([expect.objectContaining({ eventId: event!.id, subject: 'Where is my order?', attachments: 1 })]));
  });

  it('refuses an unknown recipient at RCPT time with 550 (and one at another domain)', async () => {
    const before = (await emailEvents()).length;
    for (const to of ['in-aaaaaaaaaaaa@mail.troupe.test', 'nobody@mail.troupe.test', inbox.address.replace('mail.troupe.test', 'other.test')]) {
      const err = await transport()
        .sendMail({ from: 'x@example.com', to, subject: 'Hello', text: 'Hi' })
        .then(() => null, (e: { responseCode?: number; code?: string }) => e);
      expect(err, to).toMatchObject({ code: 'EENVELOPE', responseCode: 550 });
    }
    // One good recipient among bad ones: delivered to it alone.
    const info = await transport().sendMail({ from: 'x@example.com', to: [inbox.address, 'in-bbbbbbbbbbbb@mail.troupe.test'], subject: 'Mixed', text: 'Hi', messageId: '<mixed@example.com>' });
    expect(info.rejected).toEqual(['in-bbbbbbbbbbbb@mail.troupe.test']);
    expect((await emailEvents()).length).toBe(before + 1);
  });

  it('stores a Message-ID sent twice once; a mail without one is keyed by its bytes', async () => {
    const send = () => transport().sendMail({ from: 'a@example.com', to: inbox.address, subject: 'Twice', text: 'Same mail', messageId: '<twice@example.com>' });
    await send();
    await send();
    expect((await emailEvents()).filter((e) => e.payload.messageId === '<twice@example.com>')).toHaveLength(1);
    const raw = 'From: raw@example.com\r\nSubject: No id\r\n\r\nA mail without a Message-ID.';
    const sendRaw = () => transport().sendMail({ envelope: { from: 'raw@example.com', to: [inbox.address] }, raw });
    await sendRaw();
    await sendRaw();
    const noId = (await emailEvents()).filter((e) => e.payload.subject === 'No id');
    expect(noId).toHaveLength(1);
    expect(noId[0]).toMatchObject({ dedupeKey: expect.stringMatching(new RegExp(`^smtp:${inbox.id}:sha256:[0-9a-f]{64}$`)), payload: { messageId: null, text: expect.stringMatching(/^A mail without a Message-ID\.\s*$/) } });
    // Plus addressing reaches the same inbox.
    const [local, domain] = inbox.address.split('@');
    await transport().sendMail({ from: 'a@example.com', to: `${local}+sales@${domain}`, subject: 'Tagged', text: 'x', messageId: '<tagged@example.com>' });
    expect((await emailEvents()).some((e) => e.payload.messageId === '<tagged@example.com>')).toBe(true);
  });

  it('answers 552 past the size limit, 550 to a disabled inbox, and 451 when the event cannot be stored', async () => {
    const big = await transport()
      .sendMail({ from: 'a@example.com', to: inbox.address, subject: 'Big', text: 'x'.repeat(MAX_BYTES * 2) })
      .then(() => null, (e: { responseCode?: number }) => e);
    expect(big).toMatchObject({ responseCode: 552 });

    const receive = t.ctx.services.emailInboxes.receive.bind(t.ctx.services.emailInboxes);
    t.ctx.services.emailInboxes.receive = () => Promise.reject(new Error('database down'));
    try {
      const failed = await transport()
        .sendMail({ from: 'a@example.com', to: inbox.address, subject: 'Later', text: 'x', messageId: '<later@example.com>' })
        .then(() => null, (e: { responseCode?: number }) => e);
      expect(failed).toMatchObject({ responseCode: 451 });
    } finally {
      t.ctx.services.emailInboxes.receive = receive;
    }
    // The sender's retry is stored.
    await transport().sendMail({ from: 'a@example.com', to: inbox.address, subject: 'Later', text: 'x', messageId: '<later@example.com>' });
    expect((await emailEvents()).filter((e) => e.payload.messageId === '<later@example.com>')).toHaveLength(1);

    expect((await call('PATCH', `/email-inboxes/${inbox.id}`, roles.admin, { enabled: false })).statusCode).toBe(200);
    const off = await transport()
      .sendMail({ from: 'a@example.com', to: inbox.address, subject: 'Off', text: 'x' })
      .then(() => null, (e: { responseCode?: number }) => e);
    expect(off).toMatchObject({ responseCode: 550 });
    await call('PATCH', `/email-inboxes/${inbox.id}`, roles.admin, { enabled: true });
  });

  it("another organization's mail stays its own", async () => {
    const res = await call('POST', '/email-inboxes', roles.stranger, { kind: 'smtp', name: 'Theirs', eventType: 'mail.in' });
    const theirs = json<Inbox>(res);
    await transport().sendMail({ from: 'a@example.com', to: theirs.address, subject: 'For them', text: 'x', messageId: '<theirs@example.com>' });
    expect((await emailEvents()).some((e) => e.payload.messageId === '<theirs@example.com>')).toBe(false);
    const mine = json<{ items: Event[] }>(await call('GET', '/events?source=email', roles.stranger)).items;
    expect(mine).toEqual([expect.objectContaining({ type: 'mail.in', payload: expect.objectContaining({ inboxId: theirs.id, subject: 'For them' }) })]);
    expect((await call('GET', `/email-inboxes/${theirs.id}/deliveries`, roles.admin)).statusCode).toBe(404);
  });
});
