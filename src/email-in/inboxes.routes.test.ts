import { createHash, createHmac } from 'node:crypto';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedRoles, type Member, type TestApp } from '../../test/helpers/app.js';
import type { DbKind } from '../../test/helpers/databases.js';
import { createLogger } from '../shared/logger.js';
import type { EmailPayload } from './dto.js';

/**
 * Email inboxes through the API and the inbound-parse intake (`POST /hooks/email/{id}`) with the
 * formats SendGrid, Mailgun and Postmark post, on PostgreSQL and PGlite.
 */
interface Inbox {
  id: string;
  kind: string;
  hookUrl: string | null;
  token?: string | null;
  tokenUrl?: string | null;
  hasSigningKey: boolean;
}
interface Event {
  id: string;
  type: string;
  source: string;
  dedupeKey: string;
  payload: EmailPayload;
}

const MAX_BYTES = 64 * 1024;
const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** A multipart/form-data body as a provider sends it (fields, and files with their names and types). */
async function multipart(fields: Record<string, string>, files: { field: string; name: string; type: string; content: Buffer }[] = []) {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.append(k, v);
  for (const f of files) form.append(f.field, new Blob([new Uint8Array(f.content)], { type: f.type }), f.name);
  const req = new Request('http://localhost/', { method: 'POST', body: form });
  return { body: Buffer.from(await req.arrayBuffer()), contentType: req.headers.get('content-type')! };
}

describe.each(['postgres', 'pglite'] as DbKind[])('email inboxes and inbound parse on %s', (kind) => {
  let t: TestApp;
  let roles: Awaited<ReturnType<typeof seedRoles>>;
  const inboxes: Record<'sendgrid' | 'mailgun' | 'postmark', Inbox> = {} as never;
  const SIGNING_KEY = 'key-mailgun-signing-0123456789';

  const call = (method: 'GET' | 'POST' | 'PATCH' | 'DELETE', url: string, who: Member, payload?: unknown) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { ...who.headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) }, ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }) });
  const post = (url: string, body: Buffer | string, contentType: string) => t.app.inject({ method: 'POST', url, headers: { 'content-type': contentType }, payload: body });
  const hook = (inbox: Inbox) => inbox.tokenUrl!.replace(/^https?:\/\/[^/]+/, '');
  const event = async (id: string) => json<Event>(await call('GET', `/events/${id}`, roles.member));

  beforeAll(async () => {
    t = await createTestApp(kind, { TROUPE_SMTP_INBOUND_MAX_BYTES: String(MAX_BYTES), TROUPE_PUBLIC_URL: 'https://troupe.example.com' });
    roles = await seedRoles(t.ctx);
    for (const provider of ['sendgrid', 'mailgun', 'postmark'] as const) {
      const res = await call('POST', '/email-inboxes', roles.admin, { kind: 'parse', name: provider, provider, ...(provider === 'mailgun' ? { signingKey: SIGNING_KEY } : {}) });
      expect(res.statusCode, res.body).toBe(201);
      inboxes[provider] = json<Inbox>(res);
    }
  });
  afterAll(() => t?.close());

  it('shows a parse inbox its URL with the token once; reads never show it; a rotated token replaces it', async () => {
    const created = inboxes.postmark;
    expect(created.token).toMatch(/^eml_/);
    expect(created.tokenUrl).toBe(`https://troupe.example.com/hooks/email/${created.id}?token=${created.token}`);
    const read = await call('GET', `/email-inboxes/${created.id}`, roles.member);
    expect(json<Inbox>(read)).toMatchObject({ hookUrl: `https://troupe.example.com/hooks/email/${created.id}` });
    expect(read.body).not.toContain(created.token!);
    expect(json<Inbox>(await call('GET', `/email-inboxes/${inboxes.mailgun.id}`, roles.member)).hasSigningKey).toBe(true);

    const body = JSON.stringify({ FromFull: { Email: 'a@example.com', Name: 'A' }, Subject: 'Rotate', TextBody: 'x', MessageID: 'rotate-1' });
    const rotated = json<Inbox>(await call('POST', `/email-inboxes/${created.id}/rotate-token`, roles.admin));
    expect(rotated.token).not.toBe(created.token);
    expectProblem(await post(hook(created), body, 'application/json'), 401);
    expect((await post(hook(rotated), body, 'application/json')).statusCode).toBe(202);
    inboxes.postmark = rotated;
  });

  it('SendGrid Inbound Parse: fields, headers and files (measured, not stored); raw mode through the MIME parser', async () => {
    const pdf = Buffer.from('%PDF-1.4 pretend invoice');
    const { body, contentType } = await multipart(
      {
        headers: 'Message-ID: <sg-1@example.com>\nIn-Reply-To: <earlier@example.com>\nDate: Mon, 07 Dec 2026 10:00:00 +0000\nFrom: Ann <ann@example.com>',
        from: 'Ann <ann@example.com>',
        to: 'Sales <sales@parse.example.com>, other@example.com',
        cc: 'boss@example.com',
        subject: 'Quote please',
        text: 'Can I get a quote?',
        html: '<p>Can I get a quote?</p>',
        attachments: '1',
        'attachment-info': JSON.stringify({ attachment1: { filename: 'brief.pdf', type: 'application/pdf' } }),
      },
      [{ field: 'attachment1', name: 'brief.pdf', type: 'application/pdf', content: pdf }],
    );
    const res = await post(hook(inboxes.sendgrid), body, contentType);
    expect(res.statusCode, res.body).toBe(202);
    const e = await event(json<{ eventId: string }>(res).eventId);
    expect(e).toMatchObject({
      type: 'email.received',
      source: 'email',
      dedupeKey: `parse:${inboxes.sendgrid.id}:<sg-1@example.com>`,
      payload: {
        inboxId: inboxes.sendgrid.id,
        via: 'sendgrid',
        from: { address: 'ann@example.com', name: 'Ann' },
        to: [
          { address: 'sales@parse.example.com', name: 'Sales' },
          { address: 'other@example.com', name: '' },
        ],
        cc: [{ address: 'boss@example.com', name: '' }],
        subject: 'Quote please',
        text: 'Can I get a quote?',
        html: '<p>Can I get a quote?</p>',
        messageId: '<sg-1@example.com>',
        inReplyTo: '<earlier@example.com>',
        date: '2026-12-07T10:00:00.000Z',
        attachments: [{ filename: 'brief.pdf', contentType: 'application/pdf', size: pdf.length, checksum: sha(pdf) }],
      },
    });
    // The same post again (a provider's retry): stored once.
    const again = await post(hook(inboxes.sendgrid), body, contentType);
    expect(again.statusCode).toBe(200);
    expect(json(again)).toMatchObject({ eventId: e.id, duplicate: true });

    const raw = await multipart({ email: 'From: Raw <raw@example.com>\r\nTo: sales@parse.example.com\r\nSubject: Raw mode\r\nMessage-ID: <raw-1@example.com>\r\n\r\nThe full MIME.', to: 'sales@parse.example.com' });
    const rawRes = await post(hook(inboxes.sendgrid), raw.body, raw.contentType);
    expect(rawRes.statusCode, rawRes.body).toBe(202);
    expect((await event(json<{ eventId: string }>(rawRes).eventId)).payload).toMatchObject({ from: { address: 'raw@example.com' }, subject: 'Raw mode', text: 'The full MIME.', messageId: '<raw-1@example.com>' });

    // Not multipart: 415; multipart that is not SendGrid's: 400.
    expect(expectProblem(await post(hook(inboxes.sendgrid), '{}', 'application/json'), 415).code).toBe('unsupported_media_type');
    const junk = await multipart({ hello: 'world' });
    expectProblem(await post(hook(inboxes.sendgrid), junk.body, junk.contentType), 400);
  });

  it('Mailgun routes: the signature is checked with the signing key; urlencoded posts too', async () => {
    const sign = (timestamp: string, token: string) => createHmac('sha256', SIGNING_KEY).update(timestamp + token).digest('hex');
    const ts = String(Math.floor(Date.now() / 1000));
    const fields = {
      sender: 'bounce@example.com',
      recipient: 'desk@mg.example.com',
      from: 'Bo <bo@example.com>',
      To: 'desk@mg.example.com',
      subject: 'Booking',
      'body-plain': 'I want Tuesday.',
      'body-html': '<p>I want Tuesday.</p>',
      'Message-Id': '<mg-1@example.com>',
      'message-headers': JSON.stringify([['In-Reply-To', '<first@example.com>']]),
      timestamp: ts,
      token: 'tok-1',
      signature: sign(ts, 'tok-1'),
      'attachment-count': '1',
    };
    const photo = Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const signed = await multipart(fields, [{ field: 'attachment-1', name: 'photo.png', type: 'image/png', content: photo }]);
    const res = await post(hook(inboxes.mailgun), signed.body, signed.contentType);
    expect(res.statusCode, res.body).toBe(202);
    expect((await event(json<{ eventId: string }>(res).eventId)).payload).toMatchObject({
      via: 'mailgun',
      from: { address: 'bo@example.com', name: 'Bo' },
      to: [{ address: 'desk@mg.example.com' }],
      subject: 'Booking',
      text: 'I want Tuesday.',
      messageId: '<mg-1@example.com>',
      inReplyTo: '<first@example.com>',
      attachments: [{ filename: 'photo.png', contentType: 'image/png', size: photo.length, checksum: sha(photo) }],
    });
    const forged = await multipart({ ...fields, 'Message-Id': '<mg-2@example.com>', signature: sign(ts, 'other-token') });
    expect(expectProblem(await post(hook(inboxes.mailgun), forged.body, forged.contentType), 401).code).toBe('signature_invalid');
    const stale = String(Math.floor(Date.now() / 1000) - 3600);
    const old = await multipart({ ...fields, 'Message-Id': '<mg-3@example.com>', timestamp: stale, signature: sign(stale, 'tok-1') });
    expectProblem(await post(hook(inboxes.mailgun), old.body, old.contentType), 401);

    // Without a signing key, an urlencoded post is taken as it comes.
    const plain = json<Inbox>(await call('POST', '/email-inboxes', roles.admin, { kind: 'parse', name: 'Mailgun 2', provider: 'mailgun', eventType: 'lead.emailed' }));
    const form = new URLSearchParams({ sender: 's@example.com', from: 's@example.com', recipient: 'x@mg.example.com', subject: 'Form', 'body-plain': 'Hello' }).toString();
    const formRes = await post(hook(plain), form, 'application/x-www-form-urlencoded');
    expect(formRes.statusCode, formRes.body).toBe(202);
    expect(await event(json<{ eventId: string }>(formRes).eventId)).toMatchObject({ type: 'lead.emailed', payload: { inboxId: plain.id, subject: 'Form', text: 'Hello', messageId: null } });
  });

  it('Postmark: JSON with FromFull, ToFull, Headers and base64 attachments', async () => {
    const doc = Buffer.from('hello attachment');
    const body = {
      From: 'cara@example.com',
      FromName: 'Cara',
      FromFull: { Email: 'cara@example.com', Name: 'Cara', MailboxHash: '' },
      To: 'desk@inbound.postmarkapp.com',
      ToFull: [{ Email: 'desk@inbound.postmarkapp.com', Name: 'Desk', MailboxHash: '' }],
      CcFull: [],
      Subject: 'Refund',
      MessageID: '7d4b1a2c-0000-4000-8000-000000000001',
      Date: 'Mon, 7 Dec 2026 12:00:00 +0000',
      TextBody: 'Please refund order 9.',
      HtmlBody: '<p>Please refund order 9.</p>',
      Headers: [{ Name: 'Message-ID', Value: '<pm-1@example.com>' }],
      Attachments: [{ Name: 'receipt.txt', Content: doc.toString('base64'), ContentType: 'text/plain', ContentLength: doc.length }],
    };
    const res = await post(hook(inboxes.postmark), JSON.stringify(body), 'application/json');
    expect(res.statusCode, res.body).toBe(202);
    expect((await event(json<{ eventId: string }>(res).eventId)).payload).toMatchObject({
      via: 'postmark',
      from: { address: 'cara@example.com', name: 'Cara' },
      to: [{ address: 'desk@inbound.postmarkapp.com', name: 'Desk' }],
      subject: 'Refund',
      messageId: '<pm-1@example.com>',
      date: '2026-12-07T12:00:00.000Z',
      attachments: [{ filename: 'receipt.txt', contentType: 'text/plain', size: doc.length, checksum: sha(doc) }],
    });
    expect(expectProblem(await post(hook(inboxes.postmark), 'not json', 'application/json'), 400).code).toBe('invalid_body');
    expectProblem(await post(hook(inboxes.postmark), JSON.stringify({ hello: 1 }), 'application/json'), 400);
    expectProblem(await post(hook(inboxes.postmark), 'Subject: x', 'text/plain'), 415);
    // Too large: 413 (the cap is TROUPE_SMTP_INBOUND_MAX_BYTES).
    const huge = JSON.stringify({ ...body, TextBody: 'x'.repeat(MAX_BYTES) });
    expectProblem(await post(hook(inboxes.postmark), huge, 'application/json'), 413);
  });

  it('answers 401 to a wrong or missing token, 404 to an unknown, disabled or non-parse inbox; the token may be in the path', async () => {
    const ok = JSON.stringify({ FromFull: { Email: 'a@example.com' }, Subject: 'Path', MessageID: 'path-1' });
    const { id, token } = inboxes.postmark;
    expect((await post(`/hooks/email/${id}/${token}`, ok, 'application/json')).statusCode).toBe(202);
    expectProblem(await post(`/hooks/email/${id}?token=eml_wrong`, ok, 'application/json'), 401);
    expectProblem(await post(`/hooks/email/${id}`, ok, 'application/json'), 401);
    expectProblem(await post(`/hooks/email/00000000-0000-4000-8000-000000000000?token=${token}`, ok, 'application/json'), 404);
    expectProblem(await post(`/hooks/email/not-a-uuid?token=${token}`, ok, 'application/json'), 404);
    const smtp = json<Inbox>(await call('POST', '/email-inboxes', roles.admin, { kind: 'smtp', name: 'SMTP' }));
    expectProblem(await post(`/hooks/email/${smtp.id}?token=${token}`, ok, 'application/json'), 404);
    await call('PATCH', `/email-inboxes/${id}`, roles.admin, { enabled: false });
    expectProblem(await post(`/hooks/email/${id}?token=${token}`, ok, 'application/json'), 404);
    await call('PATCH', `/email-inboxes/${id}`, roles.admin, { enabled: true });
  });

  it('names the field at fault, and refuses fields of another kind', async () => {
    const noPassword = expectProblem(await call('POST', '/email-inboxes', roles.admin, { kind: 'imap', name: 'X', host: 'imap.example.com', username: 'u' }), 400);
    expect(noPassword.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'body.password' })]));
    const shortPoll = expectProblem(await call('POST', '/email-inboxes', roles.admin, { kind: 'imap', name: 'X', host: 'imap.example.com', username: 'u', password: 'p', pollSeconds: 5 }), 400);
    expect(shortPoll.errors).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'body.pollSeconds' })]));
    expectProblem(await call('POST', '/email-inboxes', roles.admin, { kind: 'pop3', name: 'X' }), 400);
    expectProblem(await call('POST', '/email-inboxes', roles.admin, { kind: 'smtp', name: 'X', eventType: 'not a type' }), 400);
    const signed = expectProblem(await call('POST', '/email-inboxes', roles.admin, { kind: 'parse', name: 'X', provider: 'postmark', signingKey: 'abcdefghij' }), 400);
    expect(signed.errors).toEqual([expect.objectContaining({ path: 'body.signingKey' })]);
    const wrongKind = expectProblem(await call('PATCH', `/email-inboxes/${inboxes.sendgrid.id}`, roles.admin, { host: 'imap.example.com', password: 'x' }), 400);
    expect(wrongKind.errors!.map((e) => e.path)).toEqual(['body.host', 'body.password']);
  });

  it('admins write, members read, viewers do not; another organization gets 404', async () => {
    const id = inboxes.sendgrid.id;
    expect((await call('GET', '/email-inboxes', roles.member)).statusCode).toBe(200);
    expect((await call('GET', '/email-inboxes', roles.viewer)).statusCode).toBe(403);
    expect((await call('POST', '/email-inboxes', roles.member, { kind: 'smtp', name: 'M' })).statusCode).toBe(403);
    expect((await call('PATCH', `/email-inboxes/${id}`, roles.member, { name: 'M' })).statusCode).toBe(403);
    expect((await call('DELETE', `/email-inboxes/${id}`, roles.member)).statusCode).toBe(403);
    expect((await call('POST', `/email-inboxes/${id}/rotate-token`, roles.member)).statusCode).toBe(403);
    expect((await call('GET', `/email-inboxes/${id}/deliveries`, roles.member)).statusCode).toBe(200);
    for (const [method, url] of [
      ['GET', `/email-inboxes/${id}`],
      ['PATCH', `/email-inboxes/${id}`],
      ['DELETE', `/email-inboxes/${id}`],
      ['POST', `/email-inboxes/${id}/rotate-token`],
      ['GET', `/email-inboxes/${id}/deliveries`],
    ] as const) {
      expect((await call(method, url, roles.stranger, method === 'PATCH' ? { name: 'Mine' } : undefined)).statusCode, `${method} ${url}`).toBe(404);
    }
    expect(json<{ items: unknown[] }>(await call('GET', '/email-inboxes', roles.stranger)).items).toEqual([]);
    expect((await call('DELETE', `/email-inboxes/${id}`, roles.admin)).statusCode).toBe(204);
    expect((await call('GET', `/email-inboxes/${id}`, roles.admin)).statusCode).toBe(404);
  });
});

describe('inbound-parse request logs', () => {
  it('never carry the token in the URL (the request lines of the hook are not logged at info)', async () => {
    const lines: string[] = [];
    const stream = new Writable({
      write(chunk, _e, done) {
        lines.push(String(chunk));
        done();
      },
    });
    const t = await createTestApp('postgres', {}, { logger: createLogger('info', stream) });
    try {
      const roles = await seedRoles(t.ctx);
      const inbox = json<Inbox>(await t.app.inject({ method: 'POST', url: '/api/v1/email-inboxes', headers: { ...roles.admin.headers, 'content-type': 'application/json' }, payload: JSON.stringify({ kind: 'parse', name: 'P', provider: 'postmark' }) }));
      const body = JSON.stringify({ FromFull: { Email: 'a@example.com' }, Subject: 'Log', MessageID: 'log-1' });
      expect((await t.app.inject({ method: 'POST', url: `/hooks/email/${inbox.id}?token=${inbox.token}`, headers: { 'content-type': 'application/json' }, payload: body })).statusCode).toBe(202);
      expect((await t.app.inject({ method: 'POST', url: `/hooks/email/${inbox.id}/${inbox.token}`, headers: { 'content-type': 'application/json' }, payload: body })).statusCode).toBe(200);
      // Other requests are logged as usual (the capture works).
      expect(lines.some((l) => l.includes('/api/v1/email-inboxes'))).toBe(true);
      expect(lines.filter((l) => l.includes(inbox.token!))).toEqual([]);
    } finally {
      await t.close();
    }
  });
});
