import { createContext } from './src/app.js';
import { loadConfig } from './src/config/load.js';
import { createLogger } from './src/shared/logger.js';
import { createAgentSchema } from './src/agents/dto.js';
import { memberships, organizations, users } from './src/auth/schema.js';
import { startProviderStub } from './test/helpers/provider-stub.js';
import pg from 'pg';
import { LanguageModels } from './src/models/language-model.js';
import * as ai from 'ai';
const stub = await startProviderStub({ record: false, respond: ({ body }: any) => {
  const results = (body.messages ?? []).filter((m: any) => m.role === 'tool').length;
  const base = { usage: { input: 200, output: 20 } };
  return results < 2 ? { ...base, toolCalls: [{ name: 'calculator', args: { expression: `${results + 1} * 7` } }] } : { ...base, text: 'Done' };
}});
const admin = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/postgres' }); await admin.connect();
await admin.query('drop database if exists troupe_dbg with (force)'); await admin.query('create database troupe_dbg');
await admin.query("alter database troupe_dbg set track_functions = 'all'");
if (process.env.EXPLAIN) for (const q of ["alter database troupe_dbg set session_preload_libraries = 'auto_explain'", "alter database troupe_dbg set auto_explain.log_min_duration = 0", "alter database troupe_dbg set auto_explain.log_nested_statements = on", "alter database troupe_dbg set auto_explain.log_analyze = off"]) await admin.query(q);
const ctx = await createContext(loadConfig({ TROUPE_SECRET_KEY: 'b'.repeat(64), DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/troupe_dbg' }), { logger: createLogger('error') });
ctx.services.runs.setDispatcher({ dispatch() {}, async close() {} });
const ids = await ctx.database.system(async (tx) => {
  const [org] = await tx.insert(organizations).values({ name: 'Bench' }).returning();
  const [user] = await tx.insert(users).values({ email: `b-${Date.now()}@e.com`, name: 'B', passwordHash: 'x' }).returning();
  await tx.insert(memberships).values({ orgId: org!.id, userId: user!.id, role: 'owner' });
  return { orgId: org!.id, userId: user!.id };
});
const actor = { orgId: ids.orgId, role: 'owner' as const, userId: ids.userId, apiKeyId: null };
await ctx.services.models.putCredential(actor, 'openai', { apiKey: 'sk', baseUrl: `${stub.url}/v1` });
const agent = await ctx.services.agents.create(actor, createAgentSchema.parse({ name: 'A', model: 'openai:gpt-4o-mini', tools: ['calculator'] }));
const times: Record<string, number[]> = {};
const rec = (k: string, v: number) => (times[k] ??= []).push(v);
const db = ctx.database as any; const origCall = db.call.bind(db);
db.call = async (fn: string, args: unknown[], tx?: unknown) => { const t0 = performance.now(); try { return await origCall(fn, args, tx); } finally { rec('db:' + fn + (fn === 'troupe_run_write' ? ':' + Object.keys(JSON.parse(args[4] as string)).sort().join('+') : ''), performance.now() - t0); } };
const m = ctx.services.models as any; const origF = m.callWithFallback.bind(m);
m.callWithFallback = async (...a: any[]) => { const t0 = performance.now(); try { return await origF(...a); } finally { rec('model', performance.now() - t0); } };
const b = ctx.services.billing as any; for (const k of ['priceCall', 'judge']) { const o = b[k].bind(b); b[k] = async (...a: any[]) => { const t0 = performance.now(); try { return await o(...a); } finally { rec(k, performance.now() - t0); } }; }
const LP = LanguageModels.prototype as any; const oR = LP.resolve; LP.resolve = async function (...a: any[]) { const t0 = performance.now(); try { return await oR.apply(this, a); } finally { rec('resolve', performance.now() - t0); } };
const sys = (await ctx.services.agents.prompt(actor, agent.id)).systemPrompt; console.log('system prompt chars', sys.length);
for (let i = 0; i < Number(process.env.RUNS ?? 330); i++) {
  if (i === 30) for (const k in times) times[k] = [];
  const t0 = performance.now();
  const { run } = await ctx.services.runs.create(actor, agent.id, { task: 'x' }, { source: 'api' });
  const t1 = performance.now(); rec('create', t1 - t0);
  await ctx.services.executor.execute(actor.orgId, run.id);
  rec('execute', performance.now() - t1); rec('total', performance.now() - t0);
  if (i % 10 === 0) { const { RunWriter } = await import('./src/runs/store.js'); }
}
{
  const { createOpenAI } = await import('@ai-sdk/openai');
  const openai = createOpenAI({ apiKey: 'sk', baseURL: `${stub.url}/v1` });
  const tools = ctx.services.tools.aiSdkTools(['calculator']);
  for (let i = 0; i < 330; i++) {
    const t0 = performance.now();
    const r = ai.streamText({ model: openai.chat('gpt-4o-mini'), system: 'x', messages: [{ role: 'user', content: 'x' }], tools, maxRetries: 0 });
    for await (const p of r.fullStream) void p;
    await Promise.all([r.text, r.toolCalls, r.usage, r.finishReason, r.response]);
    if (i >= 30) rec('bare single call', performance.now() - t0);
  }
  for (let i = 0; i < 330; i++) {
    const t0 = performance.now();
    await ai.generateText({ model: openai.chat('gpt-4o-mini'), system: 'x', messages: [{ role: 'user', content: 'x' }], tools, maxRetries: 0 });
    if (i >= 30) rec('bare generateText', performance.now() - t0);
  }
}
const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
for (const [k, v] of Object.entries(times)) console.log(k.padEnd(34), 'n/run', (v.length / 300).toFixed(1).padStart(4), 'median', med(v).toFixed(3), 'sum/run', (v.reduce((a, b) => a + b, 0) / 300).toFixed(2));
{ const c = new pg.Client({ connectionString: 'postgres://postgres@127.0.0.1:5432/troupe_dbg' }); await c.connect(); await new Promise(r => setTimeout(r, 1000));
  console.log((await c.query("select funcname, calls, round(total_time::numeric / calls * 1000) as total_us, round(self_time::numeric / calls * 1000) as self_us from pg_stat_user_functions order by total_time desc")).rows); await c.end(); }
await ctx.close(); await stub.close(); await admin.query('drop database troupe_dbg with (force)'); await admin.end();
