import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedRoles, type TestApp } from '../../test/helpers/app.js';
import { auditLog } from '../audit/schema.js';
import type { AgentTemplate, InstallResult } from './template-dto.js';
import { installTemplate } from './template-install.js';
import { loadTemplates, PACKS_DIR, TemplateCatalog } from './templates.js';

const NINE = [
  'Support Assistant',
  'Financial Analyst',
  'Social Media Manager',
  'Operations Manager',
  'Retention Specialist',
  'Lead Nurture Agent',
  'Workout Optimizer',
  'Progress Monitor',
  'Scheduling Intelligence',
];

describe('template files', () => {
  const templates = loadTemplates();

  it('loads the nine gym templates, each with a real prompt, a model, tools and task types', () => {
    expect(templates.map((t) => t.name).sort()).toEqual([...NINE].sort());
    for (const t of templates) {
      expect(t.pack).toBe('fitness');
      expect(t.systemPrompt.length, t.id).toBeGreaterThan(1000);
      expect(t.recommendedModel, t.id).toMatch(/^openai:gpt-4o(-mini)?$/);
      expect(t.tools.length, t.id).toBeGreaterThanOrEqual(5);
      expect(t.taskTypes.length, t.id).toBeGreaterThanOrEqual(1);
      expect(t.personality.traits.length, t.id).toBeGreaterThan(0);
    }
    const types = Object.fromEntries(templates.flatMap((t) => t.taskTypes.map((tt) => [tt.type, t.id])));
    expect(types).toMatchObject({ workout_optimization: 'workout-optimizer', progress_monitoring: 'progress-monitor', scheduling_optimization: 'scheduling-intelligence' });
    // One agent per task type by default.
    expect(templates.flatMap((t) => t.taskTypes).length).toBe(Object.keys(types).length);
  });

  describe('a broken file fails loudly, naming the file and the field', () => {
    let dir: string;
    const good = readFileSync(path.join(PACKS_DIR, 'fitness/templates/progress-monitor.yaml'), 'utf8');
    const write = (name: string, text: string, pack = 'gym') => {
      mkdirSync(path.join(dir, pack, 'templates'), { recursive: true });
      writeFileSync(path.join(dir, pack, 'templates', name), text);
    };
    beforeAll(() => {
      dir = mkdtempSync(path.join(tmpdir(), 'troupe-templates-'));
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('a field that breaks the schema', () => {
      write('progress-monitor.yaml', good.replace('pack: fitness', 'pack: gym').replace(/^recommendedModel: .*$/m, 'recommendedModel: gpt-4o'));
      expect(() => loadTemplates(dir)).toThrow(/gym\/templates\/progress-monitor\.yaml: recommendedModel: /);
    });

    it('YAML that does not parse', () => {
      write('progress-monitor.yaml', 'id: [unclosed');
      expect(() => loadTemplates(dir)).toThrow(/progress-monitor\.yaml: not readable YAML/);
    });

    it('an id that is not the file name, a pack that is not the folder, an unknown field', () => {
      write('progress-monitor.yaml', good.replace('pack: fitness', 'pack: gym').replace('id: progress-monitor', 'id: other-name'));
      expect(() => loadTemplates(dir)).toThrow(/id is "other-name"; it must be the file's name, "progress-monitor"/);
      write('progress-monitor.yaml', good);
      expect(() => loadTemplates(dir)).toThrow(/pack is "fitness"; it must be its folder's name, "gym"/);
      write('progress-monitor.yaml', `${good.replace('pack: fitness', 'pack: gym')}\nsurprise: 1\n`);
      expect(() => loadTemplates(dir)).toThrow(/progress-monitor\.yaml: .*surprise/);
    });

    it('an approval tool the template does not have, a task type that is not snake_case', () => {
      write('progress-monitor.yaml', `${good.replace('pack: fitness', 'pack: gym')}\napprovalTools: [send_bulk_message]\n`);
      expect(() => loadTemplates(dir)).toThrow(/approvalTools\.0: send_bulk_message is not in tools/);
      write('progress-monitor.yaml', good.replace('pack: fitness', 'pack: gym').replace('type: progress_monitoring', 'type: Progress-Monitoring'));
      expect(() => loadTemplates(dir)).toThrow(/taskTypes\.0\.type: must be snake_case/);
    });

    it('two packs using one id', () => {
      write('progress-monitor.yaml', good.replace('pack: fitness', 'pack: gym'));
      write('progress-monitor.yaml', good.replace('pack: fitness', 'pack: yoga'), 'yoga');
      expect(() => loadTemplates(dir)).toThrow(/yoga\/templates\/progress-monitor\.yaml: the id "progress-monitor" is already used by .*gym/);
    });
  });

  it('filters by pack, tag and words, and tells which tools a server lacks', () => {
    const catalog = new TemplateCatalog(templates, (name) => name !== 'predict_progress');
    expect(catalog.list({ pack: 'fitness' })).toHaveLength(9);
    expect(catalog.list({ pack: 'yoga' })).toHaveLength(0);
    expect(catalog.list({ tag: 'Coaching' }).map((t) => t.id).sort()).toEqual(['progress-monitor', 'scheduling-intelligence', 'workout-optimizer']);
    expect(catalog.list({ q: 'workout plan' }).map((t) => t.id)).toContain('workout-optimizer');
    expect(catalog.list({ q: 'retention_outreach' }).map((t) => t.id)).toEqual(['retention-specialist']);
    expect(catalog.get('progress-monitor').missingTools).toEqual(['predict_progress']);
    expect(catalog.get('progress-monitor').models[0]).toBe('openai:gpt-4o-mini');
  });
});

describe('the template gallery API', () => {
  let t: TestApp;
  let r: Awaited<ReturnType<typeof seedRoles>>;
  beforeAll(async () => {
    t = await createTestApp('postgres');
    r = await seedRoles(t.ctx);
  });
  afterAll(() => t?.close());

  it('lists and shows templates to viewers', async () => {
    const list = json<{ items: AgentTemplate[] }>(await t.app.inject({ url: '/api/v1/agent-templates?pack=fitness', headers: r.viewer.headers }));
    expect(list.items.map((i) => i.name).sort()).toEqual([...NINE].sort());
    const one = json<AgentTemplate>(await t.app.inject({ url: '/api/v1/agent-templates/support-assistant', headers: r.viewer.headers }));
    expect(one).toMatchObject({ id: 'support-assistant', recommendedModel: 'openai:gpt-4o-mini', taskTypes: [expect.objectContaining({ type: 'support_request' })] });
    expect(one.missingTools).toEqual(one.tools.filter((name) => !t.ctx.services.tools.get(name)));
    expect(expectProblem(await t.app.inject({ url: '/api/v1/agent-templates/no-such', headers: r.viewer.headers }), 404).code).toBe('not_found');
    expect(json<{ items: unknown[] }>(await t.app.inject({ url: '/api/v1/agent-templates?tag=finance&q=mrr', headers: r.viewer.headers })).items).toHaveLength(1);
  });

  it('installs a template through the agent service: version 1, the prompt, the model, skipped tools reported, task types mapped, audited', async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/agent-templates/progress-monitor/install', headers: r.admin.headers, payload: {} });
    expect(res.statusCode, res.body).toBe(201);
    const body = json<InstallResult>(res);
    const template = json<AgentTemplate>(await t.app.inject({ url: '/api/v1/agent-templates/progress-monitor', headers: r.viewer.headers }));
    expect(body.agent).toMatchObject({
      name: 'Progress Monitor',
      model: 'openai:gpt-4o-mini',
      role: template.role,
      instructions: template.systemPrompt,
      version: 1,
      personality: template.personality,
      tags: expect.arrayContaining(['coaching', 'fitness', 'template:progress-monitor']),
      limits: expect.objectContaining({ maxSteps: 8 }),
    });
    const registered = template.tools.filter((name) => t.ctx.services.tools.get(name));
    expect(body.agent.tools).toEqual(registered);
    expect(body.skippedTools.map((s) => s.name)).toEqual(template.tools.filter((name) => !registered.includes(name)));
    expect(body.skippedTools.every((s) => s.reason === 'unknown_tool')).toBe(true);
    expect(body.taskTypes).toEqual([{ type: 'progress_monitoring', status: 'mapped', agentId: body.agent.id }]);

    const versions = json<{ items: { version: number; changeNote: string }[] }>(await t.app.inject({ url: `/api/v1/agents/${body.agent.id}/versions`, headers: r.viewer.headers }));
    expect(versions.items).toEqual([expect.objectContaining({ version: 1, changeNote: 'Created' })]);
    const entries = await t.ctx.database.withOrg(r.owner.orgId, (tx) =>
      tx.select().from(auditLog).where(and(eq(auditLog.orgId, r.owner.orgId), eq(auditLog.action, 'agent.created'), eq(auditLog.targetId, body.agent.id))),
    );
    expect(entries).toHaveLength(1);
    expect(entries[0]!.actorId).toBe(r.admin.userId);
    expect(entries[0]!.details).toMatchObject({ template: 'progress-monitor' });
  });

  it('a taken name is 409 naming body.name; another name and model install a second agent, and the task type stays with the first', async () => {
    const again = expectProblem(await t.app.inject({ method: 'POST', url: '/api/v1/agent-templates/progress-monitor/install', headers: r.admin.headers, payload: {} }), 409);
    expect(again.code).toBe('agent_name_taken');
    expect(again.detail).toMatch(/"Progress Monitor" already exists .* another name \(body\.name\)/);
    expect(again.errors).toEqual([{ path: 'body.name', message: '"Progress Monitor" is taken' }]);

    const second = await t.app.inject({ method: 'POST', url: '/api/v1/agent-templates/progress-monitor/install', headers: r.admin.headers, payload: { name: 'Progress Monitor (GPT-4o)', model: 'openai:gpt-4o' } });
    expect(second.statusCode, second.body).toBe(201);
    const body = json<InstallResult>(second);
    expect(body.agent).toMatchObject({ name: 'Progress Monitor (GPT-4o)', model: 'openai:gpt-4o' });
    expect(body.taskTypes[0]).toMatchObject({ type: 'progress_monitoring', status: 'already_mapped' });
    expect(body.taskTypes[0]!.agentId).not.toBe(body.agent.id);
  });

  it('refuses members, bad models and unknown fields', async () => {
    expect((await t.app.inject({ method: 'POST', url: '/api/v1/agent-templates/financial-analyst/install', headers: r.member.headers, payload: {} })).statusCode).toBe(403);
    expect(expectProblem(await t.app.inject({ method: 'POST', url: '/api/v1/agent-templates/financial-analyst/install', headers: r.admin.headers, payload: { model: 'gpt-4o' } }), 400).errors?.[0]?.path).toBe('body.model');
    expect(expectProblem(await t.app.inject({ method: 'POST', url: '/api/v1/agent-templates/financial-analyst/install', headers: r.admin.headers, payload: { tools: ['x'] } }), 400).code).toBe('validation_failed');
    expect(expectProblem(await t.app.inject({ method: 'POST', url: '/api/v1/agent-templates/nope/install', headers: r.admin.headers, payload: {} }), 404).code).toBe('not_found');
  });

  it("a tool the installer's role may not grant is skipped, not fatal", async () => {
    // The registry as seen by the install: every tool exists, send_report_email is the owner's to grant.
    const template = loadTemplates().find((x) => x.id === 'financial-analyst')!;
    const deps = {
      agents: t.ctx.services.agents,
      tool: (name: string) => ({ grantRoles: name === 'send_report_email' ? (['owner'] as const) : (['admin', 'owner'] as const) }),
      taskTypes: t.ctx.services.taskTypes,
      audit: t.ctx.services.audit,
    };
    const admin = { orgId: r.admin.orgId, role: 'admin' as const, userId: r.admin.userId, apiKeyId: null };
    // The agent service checks names against the real registry: only registered tools can be given here.
    const real = { ...deps, tool: (name: string) => (t.ctx.services.tools.get(name) ? deps.tool(name) : undefined) };
    const body = await installTemplate(real, admin, template, { name: 'Analyst (admin)' });
    expect(body.agent.tools).not.toContain('send_report_email');
    const skipped = body.skippedTools.find((s) => s.name === 'send_report_email');
    if (t.ctx.services.tools.get('send_report_email')) {
      expect(skipped).toEqual({ name: 'send_report_email', reason: 'not_grantable', message: 'The admin role may not give agents send_report_email (needs owner)' });
    } else {
      expect(skipped?.reason).toBe('unknown_tool');
    }
    // Unit view of the same rule, whatever the registry holds: nothing reaches the agent service's own check.
    const recorded: unknown[] = [];
    const fake = { ...deps, agents: { create: async (_a: unknown, input: { tools: string[] }) => ({ ...body.agent, tools: input.tools }) }, taskTypes: { registerDefaults: async () => [] }, audit: { record: async (e: unknown) => void recorded.push(e) } };
    const unit = await installTemplate(fake as never, admin, template, {});
    expect(unit.skippedTools).toEqual([{ name: 'send_report_email', reason: 'not_grantable', message: 'The admin role may not give agents send_report_email (needs owner)' }]);
    expect(unit.agent.tools).toEqual(template.tools.filter((n) => n !== 'send_report_email'));
    expect(recorded).toHaveLength(1);
  });

  it("another organization's install is its own: its task types are its own", async () => {
    const res = await t.app.inject({ method: 'POST', url: '/api/v1/agent-templates/progress-monitor/install', headers: r.stranger.headers, payload: {} });
    expect(res.statusCode).toBe(201);
    expect(json<InstallResult>(res).taskTypes[0]).toMatchObject({ status: 'mapped' });
  });
});

/**
 * The templates name the fitness pack's tools by name; this holds them to the registry, so a
 * renamed or missing tool shows here rather than as a silently skipped tool at install.
 */
describe('template tools against the tool registry', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await createTestApp('postgres');
  });
  afterAll(() => t?.close());

  it('every tool a template names is registered', () => {
    const missing = [...new Set(loadTemplates().flatMap((tpl) => tpl.tools))].filter((name) => !t.ctx.services.tools.get(name)).sort();
    expect(missing).toEqual([]);
  });
});
