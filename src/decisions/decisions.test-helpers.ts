import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect } from 'vitest';
import { createTestApp, json, seedRoles, type Member, type TestApp } from '../../test/helpers/app.js';
import type { DbKind } from '../../test/helpers/databases.js';
import { startProviderStub, type ProviderStub } from '../../test/helpers/provider-stub.js';
import { startSmtpSink } from '../../test/helpers/smtp-sink.js';

export interface Decision {
  id: string;
  status: string;
  source: string | null;
  intent: string | null;
  confidence: number | null;
  outcome: string | null;
  outcomeReason: string | null;
  proposedActions: { type: string; params: Record<string, unknown> }[];
  actions: { type: string; params: Record<string, unknown> }[];
  actionsEdited: boolean;
  actionResults: { type: string; status: string; tool: string | null; output?: unknown; error?: { code: string; message: string } | null }[];
  approvalId: string | null;
  decidedBy: { type: string; id: string | null } | null;
  prompt: string | null;
  rawResponse: string | null;
  modelError: string | null;
  error: { code: string; message: string } | null;
}

/** A local receiver standing in for an automation webhook (n8n): records each POST. */
export async function startReceiver(): Promise<{ url: string; bodies: Record<string, unknown>[]; headers: Record<string, unknown>[]; close(): Promise<void> }> {
  const bodies: Record<string, unknown>[] = [];
  const headers: Record<string, unknown>[] = [];
  const server: Server = createServer((req, res) => {
    let data = '';
    req.on('data', (c: Buffer) => (data += c.toString()));
    req.on('end', () => {
      bodies.push(JSON.parse(data || '{}') as Record<string, unknown>);
      headers.push(req.headers);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, bodies, headers, close: () => new Promise((r) => server.close(() => r())) };
}

/**
 * The decision engine's API tests: a test app on `kind` whose OpenAI calls go to a local provider
 * stub, an admin's decision agent with the tools its actions need, and the calls the tests make.
 */
export function useDecisionApi(kind: DbKind, agentTools: string[] = ['create_support_ticket', 'notify_staff', 'send_webhook', 'send_email'], options: { smtp?: boolean } = {}) {
  let t: TestApp;
  let stub: ProviderStub;
  let sink: Awaited<ReturnType<typeof startSmtpSink>> | undefined;
  let roles: Awaited<ReturnType<typeof seedRoles>>;
  let agentId = '';

  const call = (method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', url: string, who: Member, payload?: unknown, headers: Record<string, string> = {}) =>
    t.app.inject({ method, url: `/api/v1${url}`, headers: { ...who.headers, ...headers, ...(payload === undefined ? {} : { 'content-type': 'application/json' }) }, ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }) });

  /** Starts a decision and waits until it rests (executed, rejected, failed, or a person is asked). */
  async function decide(data: unknown, opts: { type?: string; decisionType?: string; who?: Member; agent?: string } = {}): Promise<Decision> {
    const res = await call('POST', '/decisions', opts.who ?? roles.admin, { agentId: opts.agent ?? agentId, ...(opts.decisionType ? { decisionType: opts.decisionType } : {}), input: { source: 'webhook', type: opts.type ?? 'form.submitted', data } });
    expect(res.statusCode, res.body).toBe(202);
    return until(json<Decision>(res).id, (d) => !['pending', 'approved'].includes(d.status));
  }

  async function until(id: string, done: (d: Decision) => boolean, timeoutMs = 15_000): Promise<Decision> {
    const end = Date.now() + timeoutMs;
    for (;;) {
      const d = json<Decision>(await call('GET', `/decisions/${id}`, roles.admin));
      if (done(d)) return d;
      if (Date.now() > end) throw new Error(`decision ${id} stayed ${d.status}`);
      await new Promise((r) => setTimeout(r, 40));
    }
  }

  async function policy(p: Record<string, unknown>): Promise<string> {
    const existing = json<{ items: { id: string; decisionType: string | null }[] }>(await call('GET', `/decision-policies?agentId=${agentId}`, roles.admin)).items.find((x) => x.decisionType === (p.decisionType ?? null));
    const body = { agentId, ...p };
    const res = existing ? await call('PUT', `/decision-policies/${existing.id}`, roles.admin, body) : await call('POST', '/decision-policies', roles.admin, body);
    expect([200, 201], res.body).toContain(res.statusCode);
    return json<{ id: string }>(res).id;
  }

  beforeAll(async () => {
    stub = await startProviderStub();
    if (options.smtp) sink = await startSmtpSink();
    t = await createTestApp(kind, {
      OPENAI_API_KEY: 'sk-test',
      OPENAI_BASE_URL: `${stub.url}/v1`,
      TROUPE_MODEL_MAX_RETRIES: '0',
      ...(sink ? { SMTP_URL: `smtp://127.0.0.1:${sink.port}`, SMTP_FROM: 'Front desk <desk@example.com>' } : {}),
    });
    roles = await seedRoles(t.ctx);
    const res = await call('POST', '/agents', roles.admin, { name: 'Ops', model: 'openai:gpt-4o-mini', instructions: 'You route what comes in.', tools: agentTools });
    expect(res.statusCode, res.body).toBe(201);
    agentId = json<{ id: string }>(res).id;
    // The automation receiver and the stub run on this machine: the organization allows loopback.
    expect((await call('PUT', '/tool-settings', roles.admin, { httpAllowlist: ['127.0.0.1'] })).statusCode).toBe(200);
  });
  afterAll(async () => {
    await t?.close();
    await stub?.close();
    await sink?.close();
  });

  return {
    call,
    decide,
    until,
    policy,
    get t() {
      return t;
    },
    get stub() {
      return stub;
    },
    /** The SMTP sink the app mails to (with `smtp: true`). */
    get sink() {
      return sink!;
    },
    get roles() {
      return roles;
    },
    get agentId() {
      return agentId;
    },
  };
}
