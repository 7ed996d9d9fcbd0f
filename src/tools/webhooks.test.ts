import { createHmac } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { createTestApp, expectProblem, json, seedMember, type Member, type TestApp } from '../../test/helpers/app.js';
import { EMPTY_ALLOWLIST, compileAllowlist } from './net/allowlist.js';
import { isSlackTarget } from './builtin/send-slack-message.js';
import { toolContext } from '../../test/helpers/tool-context.js';

describe('send_webhook and send_slack_message', () => {
  let t: TestApp;
  let server: http.Server;
  let port: number;
  let allowed: string;
  let admin: Member;
  let plain: Member;
  const received: { url: string; headers: http.IncomingHttpHeaders; body: string }[] = [];
  beforeAll(async () => {
    t = await createTestApp('postgres');
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ url: req.url!, headers: req.headers, body });
        if (req.url === '/fail') return res.writeHead(500).end('receiver exploded');
        if (req.url === '/moved') return res.writeHead(301, { location: '/hook' }).end();
        if (req.url === '/slack') return res.writeHead(200).end('ok');
        res.writeHead(202).end('accepted');
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as AddressInfo).port;
    admin = await seedMember(t.ctx);
    allowed = admin.orgId;
    await t.ctx.services.tools.settings.update({ orgId: allowed, role: 'owner', userId: admin.userId, apiKeyId: null }, { httpAllowlist: ['127.0.0.1'] });
    plain = await seedMember(t.ctx);
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    await t.close();
  });

  const ctx = (orgId: string) => toolContext({ app: t.ctx, orgId });
  const run = (name: string, orgId: string, args: object) => {
    const context = ctx(orgId);
    return t.ctx.services.tools.execute(name, args, context).then((res) => ({ res, context }));
  };

  it("signs with the organization's webhook secret, set write-only and stored encrypted; a secret the model gives does nothing", async () => {
    const SECRET = 'shared-secret-0123456789';
    const put = (payload: object, who: Member = admin) => t.app.inject({ method: 'PUT', url: '/api/v1/tool-settings/webhook-secret', headers: who.headers, payload });
    expect(expectProblem(await put({ secret: 'short' }), 400).errors).toMatchObject([{ path: 'body.secret' }]);
    const set = await put({ secret: SECRET });
    expect(set.statusCode).toBe(200);
    expect(json(set)).toMatchObject({ httpAllowlist: ['127.0.0.1'], webhookSecretSet: true });
    const settings = await t.app.inject({ url: '/api/v1/tool-settings', headers: admin.headers });
    expect(json(settings)).toMatchObject({ webhookSecretSet: true });
    expect(set.body + settings.body).not.toContain(SECRET);
    // Another organization's settings are its own.
    expect(json(await t.app.inject({ url: '/api/v1/tool-settings', headers: plain.headers }))).toMatchObject({ webhookSecretSet: false });
    const { rows } = await t.ctx.database.system((tx) => tx.execute(sql`select webhook_secret from tool_settings where org_id = ${allowed}`));
    expect(String((rows[0] as { webhook_secret: string }).webhook_secret)).toMatch(/^v1\./);
    expect(JSON.stringify(rows)).not.toContain(SECRET);
    const { rows: audit } = await t.ctx.database.system((tx) => tx.execute(sql`select details from audit_log where org_id = ${allowed} and action = 'tool_settings.webhook_secret_set'`));
    expect(audit).toEqual([{ details: { fields: ['secret'] } }]);

    const { res, context } = await run('send_webhook', allowed, { url: `http://127.0.0.1:${port}/hook`, payload: { order: 42, ok: true }, secret: 'model-secret', headers: { 'X-Troupe-Delivery': 'forged' } });
    expect(res).toEqual({ ok: true, output: { delivered: true, status: 202, response: 'accepted' } });
    const hit = received.at(-1)!;
    expect(hit.body).toBe('{"order":42,"ok":true}');
    expect(hit.headers['content-type']).toBe('application/json');
    expect(hit.headers['x-troupe-signature']).toBe(`sha256=${createHmac('sha256', SECRET).update(hit.body).digest('hex')}`);
    expect(hit.headers['x-troupe-delivery']).toBe(context.toolCallId);

    // The ciphertext is bound to its organization: copied to another one's row, it does not
    // decrypt, and the delivery fails instead of going out unsigned.
    const stolen = String((rows[0] as { webhook_secret: string }).webhook_secret);
    await t.ctx.database.system((tx) => tx.execute(sql`insert into tool_settings (org_id, http_allowlist, webhook_secret) values (${plain.orgId}, '{127.0.0.1}', ${stolen})`));
    const before = received.length;
    expect((await run('send_webhook', plain.orgId, { url: `http://127.0.0.1:${port}/hook`, payload: {} })).res).toMatchObject({
      ok: false,
      error: { code: 'tool_failed', message: expect.stringContaining('cannot be read') },
    });
    expect(received.length).toBe(before);
    await t.ctx.database.system((tx) => tx.execute(sql`delete from tool_settings where org_id = ${plain.orgId}`));

    const removed = await t.app.inject({ method: 'DELETE', url: '/api/v1/tool-settings/webhook-secret', headers: admin.headers });
    expect(json(removed)).toMatchObject({ webhookSecretSet: false });
  });

  it('sends no signature without a secret; fails on non-2xx and does not follow redirects', async () => {
    expect((await run('send_webhook', allowed, { url: `http://127.0.0.1:${port}/hook`, payload: {} })).res.ok).toBe(true);
    expect(received.at(-1)!.headers['x-troupe-signature']).toBeUndefined();
    expect((await run('send_webhook', allowed, { url: `http://127.0.0.1:${port}/fail`, payload: {} })).res).toEqual({
      ok: false,
      error: { code: 'tool_failed', message: 'The receiver answered HTTP 500: receiver exploded' },
    });
    const before = received.length;
    expect((await run('send_webhook', allowed, { url: `http://127.0.0.1:${port}/moved`, payload: {} })).res).toMatchObject({ ok: false, error: { message: expect.stringContaining('HTTP 301') } });
    expect(received.length).toBe(before + 1);
  });

  it('refuses private targets like http_request', async () => {
    const before = received.length;
    expect((await run('send_webhook', plain.orgId, { url: `http://127.0.0.1:${port}/hook`, payload: {} })).res).toMatchObject({ ok: false, error: { code: 'not_allowed' } });
    expect(received.length).toBe(before);
  });

  it('lets Slack messages go only to Slack webhooks or allow-listed hosts', async () => {
    expect(isSlackTarget('https://hooks.slack.com/services/T0/B0/xyz', EMPTY_ALLOWLIST)).toBe(true);
    expect(isSlackTarget('http://hooks.slack.com/services/T0/B0/xyz', EMPTY_ALLOWLIST)).toBe(false);
    expect(isSlackTarget('https://hooks.slack.com.evil.example/services/x', EMPTY_ALLOWLIST)).toBe(false);
    expect(isSlackTarget('https://example.com/services/x', EMPTY_ALLOWLIST)).toBe(false);
    expect(isSlackTarget('http://chat.corp.example/hooks/x', compileAllowlist(['chat.corp.example']))).toBe(true);

    const before = received.length;
    expect((await run('send_slack_message', plain.orgId, { webhookUrl: 'https://example.com/hook', text: 'hi' })).res).toMatchObject({
      ok: false,
      error: { code: 'not_allowed', message: expect.stringContaining('hooks.slack.com') },
    });
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: '*hi*' } }];
    expect((await run('send_slack_message', allowed, { webhookUrl: `http://127.0.0.1:${port}/slack`, text: 'hi', blocks })).res).toEqual({
      ok: true,
      output: { delivered: true, status: 200, response: 'ok' },
    });
    expect(received.length).toBe(before + 1);
    expect(JSON.parse(received.at(-1)!.body)).toEqual({ text: 'hi', blocks });
  });
});
