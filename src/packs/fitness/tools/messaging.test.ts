import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedMember, type Member, type TestApp } from '../../../../test/helpers/app.js';
import { startSmtpSink } from '../../../../test/helpers/smtp-sink.js';
import { outboxEmails } from '../../../tools/schema.js';
import { fitnessCommunications } from '../crm/schema.js';
import { fitnessSmsOutbox, fitnessSmsSettings } from './schema.js';
import { failed, gym, ok, type Gym } from './test-fixtures.js';

type Row = Record<string, unknown>;

/** A stand-in for Twilio's Messages API: POST /2010-04-01/Accounts/{sid}/Messages.json, form-encoded, HTTP Basic. */
function startTwilioStub() {
  const hits: { path: string; auth: string | undefined; type: string | undefined; form: Record<string, string> }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const form = Object.fromEntries(new URLSearchParams(body));
      hits.push({ path: req.url!, auth: req.headers.authorization, type: req.headers['content-type'], form });
      const m = /^\/2010-04-01\/Accounts\/([^/]+)\/Messages\.json$/.exec(req.url!);
      const expected = `Basic ${Buffer.from(`${m?.[1]}:tok-secret-123`).toString('base64')}`;
      res.setHeader('content-type', 'application/json');
      if (!m || req.method !== 'POST') return res.writeHead(404).end(JSON.stringify({ code: 20404, message: 'The requested resource was not found', status: 404 }));
      if (req.headers.authorization !== expected) return res.writeHead(401).end(JSON.stringify({ code: 20003, message: 'Authenticate', status: 401 }));
      if (form.To === '+15550000') return res.writeHead(400).end(JSON.stringify({ code: 21211, message: "The 'To' number +15550000 is not a valid phone number.", status: 400 }));
      res.writeHead(201).end(JSON.stringify({ sid: `SM${hits.length.toString().padStart(32, '0')}`, status: 'queued', to: form.To, from: form.From, body: form.Body }));
    });
  });
  return new Promise<{ url: string; hits: typeof hits; close: () => Promise<void> }>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
        hits,
        close: () => {
          server.closeAllConnections();
          return new Promise((r) => server.close(() => r()));
        },
      }),
    ),
  );
}

describe('fitness messaging tools', () => {
  let t: TestApp;
  let g: Gym;
  let other: Gym;
  let admin: Member;
  let twilio: Awaited<ReturnType<typeof startTwilioStub>>;
  let sink: Awaited<ReturnType<typeof startSmtpSink>>;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    t = await createTestApp('postgres');
    twilio = await startTwilioStub();
    sink = await startSmtpSink();
    g = await gym(t);
    other = await gym(t);
    admin = await seedMember(t.ctx, 'admin', g.orgId);
    await t.app.inject({ method: 'PATCH', url: '/api/v1/orgs/current', headers: g.owner.headers, payload: { name: 'Iron Temple' } });
    const all = { emailConsent: true, smsConsent: true, marketingConsent: true, phone: '+1 555 0100' };
    ids.ada = (await g.contact({ firstName: 'Ada', ...all })).id;
    ids.smsOnly = (await g.contact({ firstName: 'Sol', email: null, phone: '+1 555 0101', smsConsent: true })).id;
    ids.noMarketing = (await g.contact({ firstName: 'Nia', emailConsent: true })).id;
    ids.optedOut = (await g.contact({ firstName: 'Oli', ...all, optedOut: true })).id;
    ids.nothing = (await g.contact({ firstName: 'Zed', phone: null })).id;
    ids.badPhone = (await g.contact({ firstName: 'Bea', email: null, phone: '+1 555 0000', smsConsent: true })).id;
    ids.lead = (await g.contact({ firstName: 'Lou', status: 'lead', emailConsent: true })).id;
    ids.tricky = (await g.contact({ firstName: '{{gym_name}} <b>', emailConsent: true })).id;
  });
  afterAll(async () => {
    await t.close();
    await twilio.close();
    await sink.close();
  });
  beforeEach(() => {
    twilio.hits.length = 0;
    sink.messages.length = 0;
  });

  const comms = (contactId: string) => t.ctx.database.withOrg(g.orgId, (tx) => tx.select().from(fitnessCommunications).where(eq(fitnessCommunications.contactId, contactId)));
  const smsRows = (contactId: string) => t.ctx.database.withOrg(g.orgId, (tx) => tx.select().from(fitnessSmsOutbox).where(eq(fitnessSmsOutbox.contactId, contactId)));
  const setSms = (payload: Row, who: Member = admin) => t.app.inject({ method: 'PUT', url: '/api/v1/fitness/sms-settings', headers: who.headers, payload });

  it('refuses by consent, naming why, and logs nothing', async () => {
    const cases: [string, Row, RegExp][] = [
      ['send_sms', { contactId: ids.optedOut, body: 'Hi' }, /Oli Test opted out of all messages; no message was sent/],
      ['send_sms', { contactId: ids.noMarketing, body: 'Hi' }, /has not agreed to SMS \(smsConsent is false\)/],
      ['send_message_to_client', { clientId: ids.noMarketing, body: 'Sale!', purpose: 'marketing' }, /has not agreed to marketing messages/],
      ['send_message_to_client', { clientId: ids.nothing, body: 'Hi', channel: 'auto' }, /has not agreed to email .* and has not agreed to SMS .* \(tried email, then SMS\)/],
      ['send_message_to_client', { clientId: ids.smsOnly, body: 'Hi', channel: 'email' }, /has not agreed to email/],
      ['send_retention_message', { clientId: ids.noMarketing, template: 'check_in' }, /has not agreed to marketing messages/],
    ];
    for (const [tool, args, why] of cases) {
      const error = failed(await g.call(tool, args));
      expect(error.code, tool).toBe('refused');
      expect(error.message).toMatch(why);
    }
    for (const id of [ids.optedOut, ids.noMarketing, ids.nothing, ids.smsOnly]) expect(await comms(id!)).toEqual([]);
  });

  it('send_message_to_client picks email by consent, fills the template, keeps it in the outbox without SMTP and logs it', async () => {
    const context = g.ctx();
    const res = ok<Row>(await t.ctx.services.tools.execute('send_message_to_client', { clientId: ids.ada, subject: 'Welcome, {{first_name}}', body: 'Hi {{ first_name }}, welcome to {{gym_name}}!' }, context));
    expect(res).toMatchObject({ channel: 'email', status: 'queued', subject: 'Welcome, Ada', body: 'Hi Ada, welcome to Iron Temple!' });
    const [mail] = await t.ctx.database.withOrg(g.orgId, (tx) => tx.select().from(outboxEmails).where(eq(outboxEmails.id, res.outboxId as string)));
    expect(mail).toMatchObject({ status: 'kept', subject: 'Welcome, Ada', text: 'Hi Ada, welcome to Iron Temple!', runId: context.runId });
    expect(mail!.to[0]).toMatch(/^p\d+-.*@example\.com$/);
    expect(await comms(ids.ada!)).toMatchObject([{ id: res.communicationId, channel: 'email', direction: 'outbound', status: 'queued', subject: 'Welcome, Ada', runId: context.runId }]);

    // With a mail server: sent.
    const sent = ok<Row>(await g.call('send_message_to_client', { clientId: ids.ada, body: 'Your class moved to 7pm' }, { config: { SMTP_URL: `smtp://127.0.0.1:${sink.port}`, SMTP_FROM: 'gym@example.com' } }));
    expect(sent).toMatchObject({ status: 'sent', subject: 'A message from Iron Temple' });
    expect(sink.messages).toHaveLength(1);
    expect((await comms(ids.ada!)).map((c) => c.status).sort()).toEqual(['queued', 'sent']);
  });

  it('fills values as text: a name holding {{…}} or HTML stays what it is', async () => {
    const res = ok<Row>(await g.call('send_message_to_client', { clientId: ids.tricky, body: 'Dear {{first_name}}' }));
    expect(res.body).toBe('Dear {{gym_name}} <b>');
    const [mail] = await t.ctx.database.withOrg(g.orgId, (tx) => tx.select().from(outboxEmails).where(eq(outboxEmails.id, res.outboxId as string)));
    expect(mail!.html).toBe('<p>Dear {{gym_name}} &lt;b&gt;</p>');
    const missing = failed(await g.call('send_message_to_client', { clientId: ids.ada, body: 'Your code: {{promo_code}}' }));
    expect(missing).toMatchObject({ code: 'invalid_arguments', message: expect.stringContaining('{{promo_code}}') });
    expect(ok<Row>(await g.call('send_message_to_client', { clientId: ids.ada, body: 'Your code: {{promo_code}}', variables: { promo_code: 'FIT10' } })).body).toBe('Your code: FIT10');
  });

  it('send_message_to_client and send_message_to_lead keep to their kind; another organization answers not_found', async () => {
    expect(failed(await g.call('send_message_to_client', { clientId: ids.lead, body: 'Hi' }))).toMatchObject({ code: 'invalid_arguments', message: expect.stringContaining('use send_message_to_lead') });
    expect(ok<Row>(await g.call('send_message_to_lead', { leadId: ids.lead, body: 'Your free trial is waiting, {{first_name}}' }))).toMatchObject({ channel: 'email', body: 'Your free trial is waiting, Lou' });
    expect(failed(await other.call('send_message_to_lead', { leadId: ids.lead, body: 'Hi' })).code).toBe('not_found');
    expect(failed(await other.call('send_sms', { contactId: ids.ada, body: 'Hi' })).code).toBe('not_found');
  });

  it('SMS settings: admins set them, the token is stored encrypted and never shown', async () => {
    expect(json(await t.app.inject({ method: 'GET', url: '/api/v1/fitness/sms-settings', headers: admin.headers }))).toMatchObject({ configured: false, authTokenSet: false });
    expect(expectProblem(await setSms({ accountSid: 'AC123', fromNumber: '+15559999', baseUrl: twilio.url }), 400).errors).toEqual([{ path: 'body.authToken', message: 'required: no token is set yet' }]);
    expect(expectProblem(await setSms({ accountSid: 'AC123', authToken: 'tok-secret-123', fromNumber: 'not a number!', baseUrl: twilio.url }), 400).errors![0]!.path).toBe('body.fromNumber');
    expect(expectProblem(await setSms({ accountSid: 'AC123', authToken: 'tok-secret-123', fromNumber: '+15559999', baseUrl: 'ftp://x' }), 400).errors![0]!.path).toBe('body.baseUrl');
    const set = await setSms({ accountSid: 'AC123', authToken: 'tok-secret-123', fromNumber: '+15559999', baseUrl: `${twilio.url}/` });
    expect(set.statusCode, set.body).toBe(200);
    expect(set.body).not.toContain('tok-secret');
    expect(json(set)).toMatchObject({ configured: true, provider: 'twilio', accountSid: 'AC123', fromNumber: '+15559999', baseUrl: twilio.url, authTokenSet: true });
    const [row] = await t.ctx.database.withOrg(g.orgId, (tx) => tx.select().from(fitnessSmsSettings).where(eq(fitnessSmsSettings.orgId, g.orgId)));
    expect(row!.authToken).toMatch(/^v1\./);
    expect(row!.authToken).not.toContain('tok-secret');
    // Changing the sender keeps the token.
    expect(json(await setSms({ accountSid: 'AC123', fromNumber: '+15559999', baseUrl: twilio.url }))).toMatchObject({ authTokenSet: true });
    // Another organization sees none of it.
    expect(json(await t.app.inject({ method: 'GET', url: '/api/v1/fitness/sms-settings', headers: other.owner.headers }))).toMatchObject({ configured: false });
  });

  it('send_sms goes through the provider only past the egress guard, and records every outcome', async () => {
    await setSms({ accountSid: 'AC123', authToken: 'tok-secret-123', fromNumber: '+15559999', baseUrl: twilio.url });
    // The base URL is loopback: refused until the organization's allowlist names it; logged as failed.
    const refused = failed(await g.call('send_sms', { contactId: ids.smsOnly, body: 'Class at 6, {{first_name}}' }));
    expect(refused).toMatchObject({ code: 'tool_failed', message: expect.stringMatching(/failed and was logged as failed: Refused: 127\.0\.0\.1 is a loopback address/) });
    expect(twilio.hits).toHaveLength(0);
    expect((await smsRows(ids.smsOnly!)).map((r) => r.status)).toEqual(['failed']);

    await t.ctx.services.tools.settings.update({ orgId: g.orgId, role: 'owner', userId: g.owner.userId, apiKeyId: null }, { httpAllowlist: ['127.0.0.1/32'] });
    const context = g.ctx();
    const sent = ok<Row>(await t.ctx.services.tools.execute('send_sms', { contactId: ids.smsOnly, body: 'Class at 6, {{first_name}}' }, context));
    expect(sent).toMatchObject({ channel: 'sms', status: 'sent', to: '+1 555 0101', body: 'Class at 6, Sol' });
    expect(twilio.hits).toEqual([
      {
        path: '/2010-04-01/Accounts/AC123/Messages.json',
        auth: `Basic ${Buffer.from('AC123:tok-secret-123').toString('base64')}`,
        type: 'application/x-www-form-urlencoded',
        form: { To: '+15550101', From: '+15559999', Body: 'Class at 6, Sol' },
      },
    ]);
    const [row] = await t.ctx.database.withOrg(g.orgId, (tx) =>
      tx
        .select()
        .from(fitnessSmsOutbox)
        .where(and(eq(fitnessSmsOutbox.contactId, ids.smsOnly!), eq(fitnessSmsOutbox.status, 'sent'))),
    );
    expect(row).toMatchObject({ to: '+15550101', from: '+15559999', providerMessageId: expect.stringMatching(/^SM/), runId: context.runId, communicationId: sent.communicationId });
    expect((await comms(ids.smsOnly!)).map((c) => [c.channel, c.status]).sort()).toEqual([
      ['sms', 'failed'],
      ['sms', 'sent'],
    ]);

    // The provider's refusal reaches the model with its reason; the row says failed.
    const bad = failed(await g.call('send_sms', { contactId: ids.badPhone, body: 'Hi' }));
    expect(bad.message).toMatch(/HTTP 400\): The 'To' number \+15550000 is not a valid phone number\. \(code 21211\)/);
    expect(bad.message).not.toContain('tok-secret');
    expect(await smsRows(ids.badPhone!)).toMatchObject([{ status: 'failed', error: expect.stringContaining('21211') }]);

    // Without a provider the SMS waits in the outbox.
    expect((await t.app.inject({ method: 'DELETE', url: '/api/v1/fitness/sms-settings', headers: admin.headers })).statusCode).toBe(200);
    const kept = ok<Row>(await g.call('send_sms', { contactId: ids.ada, body: 'See you tomorrow' }));
    expect(kept).toMatchObject({ status: 'queued', outboxId: expect.any(String) });
    expect(twilio.hits).toHaveLength(2);
    expect((await smsRows(ids.ada!)).map((r) => [r.status, r.from])).toEqual([['kept', null]]);
    const listed = json<{ items: Row[] }>(await t.app.inject({ method: 'GET', url: '/api/v1/fitness/sms-outbox?status=kept', headers: admin.headers }));
    expect(listed.items).toMatchObject([{ id: kept.outboxId, body: 'See you tomorrow', status: 'kept' }]);
  });

  it('send_retention_message uses the template for the channel and needs its variables', async () => {
    const email = ok<Row>(await g.call('send_retention_message', { clientId: ids.ada, template: 'we_miss_you' }));
    expect(email).toMatchObject({ channel: 'email', template: 'we_miss_you', subject: 'We miss you, Ada!', body: expect.stringContaining("We haven't seen you at Iron Temple in a while") });
    const sms = ok<Row>(await g.call('send_retention_message', { clientId: ids.ada, template: 'check_in', channel: 'sms' }));
    expect(sms.body).toBe('Hi Ada, how is your training going? Reply if you would like a new plan or a session with a coach. Iron Temple');
    expect(failed(await g.call('send_retention_message', { clientId: ids.ada, template: 'comeback_offer' }))).toMatchObject({ code: 'invalid_arguments', message: expect.stringContaining('{{offer}}') });
    const offer = ok<Row>(await g.call('send_retention_message', { clientId: ids.ada, template: 'comeback_offer', variables: { offer: 'a free PT session' } }));
    expect(offer.body).toContain('here is an offer for you: a free PT session.');
  });

  it('send_report_email mails HTML with the table as a CSV attachment; admins download it from the outbox', async () => {
    const res = ok<Row>(
      await g.call('send_report_email', {
        to: ['owner@gym.example'],
        subject: 'Weekly revenue',
        summary: 'MRR is up <3%>.',
        columns: ['Month', 'MRR', 'Note'],
        rows: [
          ['2026-04', 12_345.5, '=SUM(A1)'],
          ['2026-05', 13_000, null],
        ],
      }),
    );
    expect(res).toMatchObject({ status: 'queued', rows: 2, attachment: 'Weekly-revenue.csv' });
    const [mail] = await t.ctx.database.withOrg(g.orgId, (tx) => tx.select().from(outboxEmails).where(eq(outboxEmails.id, res.outboxId as string)));
    expect(mail!.html).toContain('<p>MRR is up &lt;3%&gt;.</p>');
    expect(mail!.html).toContain('<td style="padding:4px 8px;border-bottom:1px solid #eee">12345.5</td>');
    expect(mail!.text).toContain('Month | MRR | Note');
    expect(mail!.attachments).toEqual([{ filename: 'Weekly-revenue.csv', contentType: 'text/csv', content: "Month,MRR,Note\r\n2026-04,12345.5,'=SUM(A1)\r\n2026-05,13000,\r\n" }]);

    const list = json<{ items: Row[] }>(await t.app.inject({ method: 'GET', url: '/api/v1/outbox?limit=1', headers: admin.headers }));
    expect(list.items[0]).toMatchObject({ id: res.outboxId, attachments: [{ index: 0, filename: 'Weekly-revenue.csv', contentType: 'text/csv', bytes: 59 }] });
    const file = await t.app.inject({ method: 'GET', url: `/api/v1/outbox/${String(res.outboxId)}/attachments/0`, headers: admin.headers });
    expect(file.statusCode).toBe(200);
    expect(file.headers['content-disposition']).toBe('attachment; filename="Weekly-revenue.csv"');
    expect(file.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(file.body).toBe(mail!.attachments[0]!.content);
    expectProblem(await t.app.inject({ method: 'GET', url: `/api/v1/outbox/${String(res.outboxId)}/attachments/1`, headers: admin.headers }), 404);
    expectProblem(await t.app.inject({ method: 'GET', url: `/api/v1/outbox/${String(res.outboxId)}/attachments/0`, headers: other.owner.headers }), 404);

    // Rows must match the columns.
    expect(failed(await g.call('send_report_email', { to: ['a@b.example'], subject: 'x', columns: ['a', 'b'], rows: [['only one']] })).issues).toEqual([{ path: 'input.rows.0', message: 'has 1 values for 2 columns' }]);
  });
});
