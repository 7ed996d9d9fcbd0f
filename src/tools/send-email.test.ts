import net from 'node:net';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, seedMember, type TestApp } from '../../test/helpers/app.js';
import type { Config } from '../config/load.js';
import { outboxEmails } from './schema.js';
import { toolContext } from '../../test/helpers/tool-context.js';
import { startSmtpSink } from '../../test/helpers/smtp-sink.js';

describe('send_email', () => {
  let t: TestApp;
  let sink: Awaited<ReturnType<typeof startSmtpSink>>;
  let orgId: string;
  beforeAll(async () => {
    t = await createTestApp('postgres');
    sink = await startSmtpSink();
    orgId = (await seedMember(t.ctx)).orgId;
  });
  afterAll(async () => {
    await sink.close();
    await t.close();
  });

  const ctx = (config: Partial<Config> = {}) => toolContext({ app: t.ctx, orgId, config });
  const rowOf = async (id: string) => (await t.ctx.database.withOrg(orgId, (tx) => tx.select().from(outboxEmails).where(eq(outboxEmails.id, id))))[0]!;

  it('keeps the mail in the outbox when no SMTP server is configured', async () => {
    const context = ctx();
    const res = await t.ctx.services.tools.execute('send_email', { to: 'ada@example.com', subject: 'Hello', text: 'Body' }, context);
    expect(res).toMatchObject({ ok: true, output: { status: 'kept', kept: true, messageId: null } });
    const row = await rowOf((res as { output: { id: string } }).output.id);
    expect(row).toMatchObject({ status: 'kept', to: ['ada@example.com'], subject: 'Hello', text: 'Body', html: null, runId: context.runId, sentAt: null });
    expect(sink.messages).toHaveLength(0);
  });

  it('sends through SMTP_URL and records it as sent', async () => {
    const res = await t.ctx.services.tools.execute(
      'send_email',
      { to: ['ada@example.com', 'bo@example.com'], subject: 'Quarterly report', text: 'Plain body', html: '<p>HTML body</p>' },
      ctx({ SMTP_URL: `smtp://127.0.0.1:${sink.port}`, SMTP_FROM: 'Troupe <agents@example.com>' }),
    );
    expect(res).toMatchObject({ ok: true, output: { status: 'sent', kept: false, messageId: expect.stringContaining('@') } });
    expect(sink.messages).toHaveLength(1);
    const mail = sink.messages[0]!;
    expect(mail.from).toBe('agents@example.com');
    expect(mail.to).toEqual(['ada@example.com', 'bo@example.com']);
    expect(mail.data).toContain('Subject: Quarterly report');
    expect(mail.data).toContain('Plain body');
    expect(mail.data).toContain('<p>HTML body</p>');
    const row = await rowOf((res as { output: { id: string } }).output.id);
    expect(row).toMatchObject({ status: 'sent', error: null, to: ['ada@example.com', 'bo@example.com'] });
    expect(row.sentAt).toBeInstanceOf(Date);
    expect(row.messageId).toBe((res as { output: { messageId: string } }).output.messageId);
  });

  it('records a failure and tells the model, without the SMTP password', async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const res = await t.ctx.services.tools.execute('send_email', { to: 'ada@example.com', subject: 'Hi', text: 'x' }, ctx({ SMTP_URL: `smtp://mailer:s3cret-pass@127.0.0.1:${port}` }));
    expect(res).toMatchObject({ ok: false, error: { code: 'tool_failed', message: expect.stringContaining('The mail server did not take the message') } });
    expect(JSON.stringify(res)).not.toContain('s3cret-pass');
    const [row] = await t.ctx.database.withOrg(orgId, (tx) => tx.select().from(outboxEmails).where(eq(outboxEmails.status, 'failed')));
    expect(row!.error).toMatch(/ECONNREFUSED/);
  });

  it('refuses bad recipients, too many, and header injection in the subject', async () => {
    const call = (args: object) => t.ctx.services.tools.execute('send_email', args, ctx());
    const paths = async (args: object) => {
      const res = await call(args);
      return res.ok ? [] : res.error.issues!.map((i) => i.path);
    };
    expect(await paths({ to: 'not-an-address', subject: 's', text: 't' })).toEqual(['input.to']);
    expect(await paths({ to: Array.from({ length: 51 }, (_, i) => `u${i}@example.com`), subject: 's', text: 't' })).toEqual(['input.to']);
    expect(await paths({ to: 'a@example.com', subject: 'Hi\r\nBcc: all@example.com', text: 't' })).toEqual(['input.subject']);
  });
});
