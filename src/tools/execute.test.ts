import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig } from '../config/load.js';
import type { Database } from '../db/client.js';
import { createLogger } from '../shared/logger.js';
import { defineTool } from './define.js';
import { ToolError } from './errors.js';
import { ToolService } from './service.js';
import { toolContext } from '../../test/helpers/tool-context.js';

// The registry and execute() touch no database; the tools that do are tested against PostgreSQL.
const config = loadConfig({ TROUPE_SECRET_KEY: 'a'.repeat(64) });
const logger = createLogger('silent');
const context = (signal = new AbortController().signal) => toolContext({ signal, config, logger });

const base = { category: 'utility', description: 'test tool', grantRoles: ['admin', 'owner'], requiresApproval: false, idempotent: true, timeoutMs: 1_000 } as const;

function service() {
  const tools = new ToolService({} as Database, config, logger);
  tools.register(
    defineTool({
      ...base,
      name: 'greet',
      inputSchema: z.object({ name: z.string().min(1), times: z.number().int().min(1).default(1), tags: z.array(z.string()).optional() }),
      outputSchema: z.object({ text: z.string() }),
      async execute({ name, times }) {
        return { text: `hello ${name}`.repeat(times) };
      },
    }),
  );
  tools.register(
    defineTool({
      ...base,
      name: 'explode',
      inputSchema: z.object({ safe: z.boolean().default(false) }),
      async execute({ safe }) {
        if (safe) throw new ToolError('the widget is out of stock');
        throw new Error('connect to postgres://admin:hunter2@db failed');
      },
    }),
  );
  tools.register(
    defineTool({ ...base, name: 'hang', timeoutMs: 50, inputSchema: z.object({}), execute: () => new Promise<never>(() => {}) }),
  );
  tools.register(
    defineTool({
      ...base,
      name: 'polite',
      timeoutMs: 50,
      inputSchema: z.object({}),
      // Honours the signal: rejects with its reason when aborted.
      execute: (_input, ctx) => new Promise((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason))),
    }),
  );
  tools.register(
    defineTool({ ...base, name: 'liar', inputSchema: z.object({}), outputSchema: z.object({ n: z.number() }), execute: async () => ({ n: 'three' }) as unknown as { n: number } }),
  );
  tools.register(
    defineTool({ ...base, name: 'dated', inputSchema: z.object({}), execute: async () => ({ at: new Date('2030-01-01T00:00:00Z'), gone: undefined }) }),
  );
  return tools;
}

describe('ToolService.execute', () => {
  const tools = service();

  it('validates, defaults and runs', async () => {
    expect(await tools.execute('greet', { name: 'Ada' }, context())).toEqual({ ok: true, output: { text: 'hello Ada' } });
    // Raw JSON text from a model is accepted too.
    expect(await tools.execute('greet', '{"name":"Bo","times":2}', context())).toEqual({ ok: true, output: { text: 'hello Bohello Bo' } });
  });

  it('answers invalid arguments with every failing path, without running the tool', async () => {
    const res = await tools.execute('greet', { name: '', times: 0.5, tags: ['ok', 7] }, context());
    expect(res.ok).toBe(false);
    if (res.ok) return;
    expect(res.error.code).toBe('invalid_arguments');
    expect(res.error.issues!.map((i) => i.path).sort()).toEqual(['input.name', 'input.tags.1', 'input.times']);
    expect(res.error.message).toContain('input.name');
    for (const raw of [null, 'not json {', 42, []]) {
      expect(await tools.execute('greet', raw, context()), JSON.stringify(raw)).toMatchObject({ ok: false, error: { code: 'invalid_arguments' } });
    }
  });

  it('turns a thrown error into a result: ToolError messages pass, others are hidden', async () => {
    expect(await tools.execute('explode', { safe: true }, context())).toEqual({ ok: false, error: { code: 'tool_failed', message: 'the widget is out of stock' } });
    const hidden = await tools.execute('explode', {}, context());
    expect(hidden).toMatchObject({ ok: false, error: { code: 'tool_failed' } });
    expect(JSON.stringify(hidden)).not.toMatch(/hunter2|postgres|stack/);
  });

  it('times out a tool that never answers, and one that honours the signal', async () => {
    const started = Date.now();
    expect(await tools.execute('hang', {}, context())).toMatchObject({ ok: false, error: { code: 'timeout', message: expect.stringContaining('50 ms') } });
    expect(await tools.execute('polite', {}, context())).toMatchObject({ ok: false, error: { code: 'timeout' } });
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  it("rethrows the run's own abort instead of answering", async () => {
    const run = new AbortController();
    const pending = tools.execute('polite', {}, { ...context(run.signal) });
    run.abort(new Error('run canceled'));
    await expect(pending).rejects.toThrow('run canceled');
    await expect(tools.execute('greet', { name: 'x' }, context(AbortSignal.abort(new Error('already'))))).rejects.toThrow('already');
    // And while the tool runs (the 50 ms limit has not passed yet).
    const later = new AbortController();
    const running = tools.execute('hang', {}, context(later.signal));
    setTimeout(() => later.abort(new Error('canceled mid-call')), 10);
    await expect(running).rejects.toThrow('canceled mid-call');
  });

  it('checks the output against its schema and returns plain JSON', async () => {
    expect(await tools.execute('liar', {}, context())).toMatchObject({ ok: false, error: { code: 'tool_failed', message: expect.stringContaining('wrong shape') } });
    expect(await tools.execute('dated', {}, context())).toEqual({ ok: true, output: { at: '2030-01-01T00:00:00.000Z' } });
  });

  it('answers unknown and not-allowed tools without running anything', async () => {
    expect(await tools.execute('nope', {}, context())).toMatchObject({ ok: false, error: { code: 'unknown_tool' } });
    expect(await tools.execute('greet', { name: 'x' }, context(), { allowed: ['calculator'] })).toMatchObject({ ok: false, error: { code: 'not_allowed' } });
    expect(await tools.execute('greet', { name: 'x' }, context(), { allowed: ['greet'] })).toMatchObject({ ok: true });
  });
});

describe('the registry', () => {
  const tools = service();

  it('holds the built-ins and refuses duplicates and bad definitions', () => {
    expect(new ToolService({} as Database, config, logger).names()).toEqual([
      'calculator',
      'create_support_ticket',
      'current_time',
      'emit_event',
      'http_request',
      'notify_staff',
      'schedule_follow_up',
      'send_email',
      'send_slack_message',
      'send_webhook',
      'trigger_workflow',
    ]);
    expect(tools.get('greet')?.name).toBe('greet');
    expect(tools.get('missing')).toBeUndefined();
    expect(() => tools.register(tools.get('greet')!)).toThrow(/already registered/);
    expect(() => defineTool({ ...base, name: 'Bad-Name', inputSchema: z.object({}), execute: async () => 1 })).toThrow(/not a tool name/);
    expect(() => defineTool({ ...base, name: 'x', timeoutMs: 0, inputSchema: z.object({}), execute: async () => 1 })).toThrow(/timeoutMs/);
    expect(() => tools.register(defineTool({ ...base, name: 'scalar', inputSchema: z.string(), execute: async () => 1 }))).toThrow(/must be an object/);
  });

  it('takes the http time limit from the configuration', () => {
    const fast = new ToolService({} as Database, { ...config, TROUPE_HTTP_TOOL_TIMEOUT_MS: 1_000 }, logger);
    expect(fast.get('http_request')!.timeoutMs).toBe(3_000);
  });

  it('validates an agent tool list for the role that sets it', () => {
    expect(tools.validateAgentTools(['calculator', 'http_request'], 'admin')).toEqual([]);
    expect(tools.validateAgentTools(['calculator', 'notify_staff'], 'member')).toEqual([]);
    expect(tools.validateAgentTools(['calculator', 'nope', 'send_email'], 'member')).toEqual([
      { path: 'tools.1', message: 'unknown tool "nope"' },
      { path: 'tools.2', message: expect.stringContaining('may not give agents send_email') },
    ]);
    expect(tools.validateAgentTools(['notify_staff'], 'viewer')).toHaveLength(1);
  });

  it('gives the AI SDK descriptions and JSON Schemas, without execute, for the given names only', () => {
    const sdk = tools.aiSdkTools(['greet', 'calculator', 'nope']);
    expect(Object.keys(sdk)).toEqual(['greet', 'calculator']);
    expect(sdk.greet!.description).toBe('test tool');
    expect(sdk.greet!.execute).toBeUndefined();
    const schema = (sdk.greet!.inputSchema as unknown as { jsonSchema: Record<string, unknown> }).jsonSchema;
    expect(schema).toMatchObject({ type: 'object', properties: { name: { type: 'string' }, times: { type: 'integer' } }, required: ['name'] });
  });

  it('describes each tool for GET /tools', () => {
    const http = new ToolService({} as Database, config, logger).describe().find((t) => t.name === 'http_request')!;
    expect(http).toMatchObject({ category: 'web', grantRoles: ['admin', 'owner'], requiresApproval: false, idempotent: false });
    expect(http.inputSchema).toMatchObject({ type: 'object', required: ['url'] });
    expect(http.outputSchema).toMatchObject({ type: 'object' });
  });
});
