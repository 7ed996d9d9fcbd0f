import net from 'node:net';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, json, seedMember, type TestApp } from '../../test/helpers/app.js';
import { decodedMail, startSmtpSink, waitForMail } from '../../test/helpers/smtp-sink.js';
import { createLogger } from '../shared/logger.js';

/** Every log line the server writes, as text. */
function capturedLogs() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { lines, logger: createLogger('trace', stream), text: () => lines.join('') };
}

interface Invited {
  invitation: { id: string; email: string };
  inviteUrl: string;
  mailed: boolean;
}

/** Issue 12 item 9: invitation links are bearer tokens; they go to the invitee, never to the log. */
describe('invitation links', () => {
  let sink: Awaited<ReturnType<typeof startSmtpSink>>;
  beforeAll(async () => {
    sink = await startSmtpSink();
  });
  afterAll(() => sink.close());

  async function inviteWith(env: Record<string, string>) {
    const logs = capturedLogs();
    const t: TestApp = await createTestApp('postgres', env, { logger: logs.logger });
    try {
      const owner = await seedMember(t.ctx);
      const res = await t.app.inject({ method: 'POST', url: '/api/v1/invitations', headers: owner.headers, payload: { email: 'Invitee@Example.com', role: 'member' } });
      expect(res.statusCode, res.body).toBe(201);
      const body = json<Invited>(res);
      return { body, token: new URL(body.inviteUrl).searchParams.get('token')!, logs, orgId: owner.orgId };
    } finally {
      await t.close();
    }
  }

  it('without SMTP_URL: the link is in the answer only; the log names the invitation id', async () => {
    const { body, token, logs } = await inviteWith({});
    expect(token).toMatch(/^tri_/);
    expect(body.mailed).toBe(false);
    expect(logs.text()).not.toContain(token);
    const line = logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'invitation created');
    expect(line).toMatchObject({ invitationId: body.invitation.id, mailed: false });
    expect(JSON.stringify(line)).not.toContain('invitee@example.com');
  });

  it('with SMTP_URL: the link is mailed to the invitee, and still not logged', async () => {
    const before = sink.messages.length;
    const { body, token, logs } = await inviteWith({ SMTP_URL: `smtp://127.0.0.1:${sink.port}`, SMTP_FROM: 'Troupe <troupe@example.com>', TROUPE_PUBLIC_URL: 'https://troupe.example.com' });
    expect(body.mailed).toBe(true);
    const [mail] = (await waitForMail(sink.messages, before + 1)).slice(before);
    expect(mail!.to).toEqual(['invitee@example.com']);
    expect(mail!.from).toBe('troupe@example.com');
    const text = decodedMail(mail!.data);
    expect(text).toContain(`https://troupe.example.com/invite?token=${token}`);
    expect(text).toMatch(/Subject: You are invited to Org user-[0-9a-f]+@example\.com on Troupe/);
    expect(logs.text()).not.toContain(token);
    expect(logs.text()).toContain(body.invitation.id);
  });

  it('a mail server that refuses leaves the invitation in place, answered with mailed: false', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const { body, token, logs } = await inviteWith({ SMTP_URL: `smtp://mailer:s3cret-pass@127.0.0.1:${port}` });
    expect(body.mailed).toBe(false);
    expect(body.inviteUrl).toContain(token);
    const warning = logs.lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.msg === 'account mail could not be sent');
    expect(warning).toMatchObject({ kind: 'invitation', invitationId: body.invitation.id });
    expect(logs.text()).not.toContain(token);
    expect(logs.text()).not.toContain('s3cret-pass');
  });
});
