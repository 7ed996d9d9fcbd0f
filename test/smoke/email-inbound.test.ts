import nodemailer from 'nodemailer';
import { afterAll, describe, expect, it } from 'vitest';
import { startTroupe, type TroupeProcess } from '../helpers/processes.js';

/**
 * The real server with TROUPE_SMTP_INBOUND_PORT set (issue 16, "SMTP mail sent with nodemailer to
 * the listener"): `troupe serve` listens for mail, a mail to an inbox's address is an event by the
 * time 250 is answered, and SIGTERM stops the listener with the rest (exit 0).
 */
describe('smoke: the inbound SMTP listener in troupe serve', () => {
  let p: TroupeProcess | undefined;
  afterAll(async () => {
    await p?.stop();
  });

  it('takes mail for an inbox, refuses other addresses, and stops cleanly', { timeout: 150_000 }, async () => {
    p = startTroupe(['serve'], {
      PORT: '0',
      HOST: '127.0.0.1',
      TROUPE_DATA_DIR: 'memory://',
      LOG_LEVEL: 'warn',
      DATABASE_URL: '',
      REDIS_URL: '',
      TROUPE_SECRET_KEY: '',
      TROUPE_SMTP_INBOUND_PORT: '0',
      TROUPE_SMTP_INBOUND_HOST: '127.0.0.1',
      TROUPE_SMTP_INBOUND_DOMAIN: 'in.troupe.test',
    });
    const [, url] = await p.waitFor(/Troupe is running at (http:\/\/\S+)/, 120_000);
    const [, smtpPort] = await p.waitFor(/Inbound mail: SMTP on 127\.0\.0\.1:(\d+) for \*@in\.troupe\.test/);
    const token = /│\s+(trs_[\w-]+)\s+│/.exec(p.output())?.[1];
    const setup = await fetch(`${url}/api/v1/setup`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token, email: 'owner@example.com', password: 'a long owner password', name: 'Owner', organizationName: 'Org' }),
    });
    expect(setup.status).toBe(201);
    const { tokens: { accessToken } } = (await setup.json()) as { tokens: { accessToken: string } };
    const headers = { authorization: `Bearer ${accessToken}`, 'content-type': 'application/json' };
    const created = await fetch(`${url}/api/v1/email-inboxes`, { method: 'POST', headers, body: JSON.stringify({ kind: 'smtp', name: 'Front desk' }) });
    expect(created.status).toBe(201);
    const inbox = (await created.json()) as { id: string; address: string };

    const transport = nodemailer.createTransport({ host: '127.0.0.1', port: Number(smtpPort), secure: false, ignoreTLS: true });
    const info = await transport.sendMail({ from: 'Guest <guest@example.com>', to: inbox.address, subject: 'Table for two', text: 'Friday at 8?', messageId: '<smoke@example.com>' });
    expect(info.response).toMatch(/^250/);
    const events = (await (await fetch(`${url}/api/v1/events?source=email`, { headers })).json()) as { items: { type: string; payload: { inboxId: string; subject: string; from: { address: string } } }[] };
    expect(events.items).toEqual([expect.objectContaining({ type: 'email.received', payload: expect.objectContaining({ inboxId: inbox.id, subject: 'Table for two', from: expect.objectContaining({ address: 'guest@example.com' }) }) })]);

    const refused = await transport.sendMail({ from: 'x@example.com', to: 'in-zzzzzzzzzzzz@in.troupe.test', subject: 'x', text: 'x' }).then(() => null, (e: { responseCode?: number }) => e);
    expect(refused).toMatchObject({ responseCode: 550 });
    transport.close();

    expect(await p.stop()).toBe(0);
  });
});
