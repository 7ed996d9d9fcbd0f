import fastifySwagger from '@fastify/swagger';
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import { jsonSchemaTransform, jsonSchemaTransformObject, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedOperator, seedRoles, type TestApp } from '../../test/helpers/app.js';
import { registerAccessControl } from '../http/access.js';
import { errorHandler } from '../http/problem.js';
import { createLogger } from '../shared/logger.js';
import { registerScheduleRoutes } from './routes.js';
import { Scheduler } from './scheduler.js';
import { ScheduleService } from './service.js';
import { recorder, seedSchedule, setNextFire } from '../../test/helpers/schedule-fixtures.js';

interface Schedule {
  id: string;
  paused: boolean;
  nextFireAt: string | null;
}

/** The schedules routes on a server of their own, set up like src/api/server.ts (they are not wired there yet). */
async function scheduleServer(t: TestApp, deps: Parameters<typeof registerScheduleRoutes>[1]): Promise<FastifyInstance> {
  const app = Fastify();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  await app.register(fastifySwagger, { openapi: { openapi: '3.1.0', info: { title: 't', version: '0' } }, transform: jsonSchemaTransform, transformObject: jsonSchemaTransformObject });
  registerAccessControl(app, t.ctx.services.auth);
  await app.register(async (api) => registerScheduleRoutes(api, deps), { prefix: '/api/v1' });
  await app.ready();
  return app;
}

describe('schedules routes', () => {
  let t: TestApp;
  let app: FastifyInstance;
  let r: Awaited<ReturnType<typeof seedRoles>>;
  let scheduler: Scheduler;
  let weekdays: string;
  let foreign: string;
  const rec = recorder();
  beforeAll(async () => {
    t = await createTestApp('postgres');
    r = await seedRoles(t.ctx);
    const db = t.ctx.database;
    scheduler = new Scheduler(db, rec.as('api'), createLogger('silent'));
    app = await scheduleServer(t, { schedules: new ScheduleService(db), scheduler: () => scheduler, isOperator: (userId) => t.ctx.services.auth.isOperator(userId) });
    weekdays = (await seedSchedule(db, { cron: '0 9 * * 1-5', timezone: 'Europe/Berlin' }, r.owner.orgId)).id;
    await seedSchedule(db, { onceAt: new Date(Date.now() + 3_600_000) }, r.owner.orgId);
    foreign = (await seedSchedule(db, { cron: '0 9 * * *' }, r.stranger.orgId)).id;
  });
  afterAll(async () => {
    await scheduler?.stop();
    await app?.close();
    await t?.close();
  });

  const post = (url: string, headers: Record<string, string>, payload?: object) => app.inject({ method: 'POST', url: `/api/v1${url}`, headers, ...(payload ? { payload } : {}) });
  const get = (url: string, headers: Record<string, string>) => app.inject({ url: `/api/v1${url}`, headers });

  it('validates cron expressions: 200 with description and next fires, 400 naming the field', async () => {
    const ok = await post('/schedules/validate', r.viewer.headers, { cron: '0 9 * * 1-5', timezone: 'Europe/Berlin' });
    expect(ok.statusCode).toBe(200);
    const body = json<{ valid: boolean; description: string; timezone: string; next: string[] }>(ok);
    expect(body).toMatchObject({ valid: true, description: 'At 09:00, Monday through Friday', timezone: 'Europe/Berlin' });
    expect(body.next).toHaveLength(5);
    expect(body.next.every((n) => /^\d{4}-\d\d-\d\dT0[78]:00:00\.000Z$/.test(n))).toBe(true);
    expect(json<{ timezone: string }>(await post('/schedules/validate', r.viewer.headers, { cron: '*/5 * * * * *' })).timezone).toBe('UTC');

    const minute = expectProblem(await post('/schedules/validate', r.viewer.headers, { cron: '99 9 * * *' }), 400);
    expect(minute.errors![0]).toEqual({ path: 'body.cron', message: expect.stringContaining('the minute field "99" is not valid') });
    const dow = expectProblem(await post('/schedules/validate', r.viewer.headers, { cron: '0 9 * * 9' }), 400);
    expect(dow.errors![0]!.message).toContain('day of week');
    const tz = expectProblem(await post('/schedules/validate', r.viewer.headers, { cron: '0 9 * * *', timezone: 'Moon/Base' }), 400);
    expect(tz.errors![0]!.path).toBe('body.timezone');
    expect(expectProblem(await post('/schedules/validate', r.viewer.headers, {}), 400).errors![0]!.path).toBe('body.cron');
    expect(expectProblem(await post('/schedules/validate', r.viewer.headers, { cron: 5 }), 400).errors![0]!.path).toBe('body.cron');
    expectProblem(await post('/schedules/validate', {}, { cron: '* * * * *' }), 401);
  });

  it('lists and gets for viewers; other organizations, unknown and malformed ids are 404', async () => {
    const list = json<{ items: Schedule[]; total: number }>(await get('/schedules', r.viewer.headers));
    expect(list.total).toBe(2);
    expect(list.items.map((i) => i.id)).toContain(weekdays);
    expect(list.items.map((i) => i.nextFireAt)).toEqual([...list.items.map((i) => i.nextFireAt)].sort());
    expect(json<Schedule>(await get(`/schedules/${weekdays}`, r.viewer.headers))).toMatchObject({ id: weekdays, cron: '0 9 * * 1-5', timezone: 'Europe/Berlin' });
    expectProblem(await get(`/schedules/${foreign}`, r.owner.headers), 404);
    expectProblem(await get(`/schedules/${randomUUID()}`, r.owner.headers), 404);
    expectProblem(await get('/schedules/123', r.owner.headers), 404);
    expect(expectProblem(await get('/schedules?taskId=nope', r.viewer.headers), 400).errors![0]!.path).toBe('querystring.taskId');
    expect(expectProblem(await get('/schedules?cursor=bad', r.viewer.headers), 400).errors![0]!.path).toBe('querystring.cursor');
    expect(json<{ items: Schedule[] }>(await get('/schedules?paused=true', r.viewer.headers)).items).toEqual([]);
  });

  it('members pause and resume; viewers cannot; another organization gets 404', async () => {
    expect(expectProblem(await post(`/schedules/${weekdays}/pause`, r.viewer.headers), 403).code).toBe('insufficient_role');
    const paused = json<Schedule>(await post(`/schedules/${weekdays}/pause`, r.member.headers));
    expect([paused.paused, paused.nextFireAt]).toEqual([true, null]);
    const resumed = json<Schedule>(await post(`/schedules/${weekdays}/resume`, r.member.headers));
    expect(resumed.paused).toBe(false);
    expect(Date.parse(resumed.nextFireAt!)).toBeGreaterThan(Date.now());
    expectProblem(await post(`/schedules/${foreign}/pause`, r.owner.headers), 404);
    expectProblem(await post(`/schedules/${foreign}/resume`, r.owner.headers), 404);
    expectProblem(await post('/schedules/nope/pause', r.owner.headers), 404);
  });

  it('scheduler: viewers read the status, admins stop and start, instance operators check; members cannot', async () => {
    const status = json<{ running: boolean; nextFires: { scheduleId: string }[]; process: { leader: boolean } | null }>(await get('/scheduler', r.viewer.headers));
    expect(status.running).toBe(true);
    expect(status.nextFires.length).toBeGreaterThan(0);
    expect(status.nextFires.map((f) => f.scheduleId)).toContain(weekdays);
    expect(status.process).toMatchObject({ started: false, leader: false });
    for (const path of ['/scheduler/stop', '/scheduler/start']) {
      expect(expectProblem(await post(path, r.member.headers), 403).code).toBe('insufficient_role');
    }
    // A pass fires every organization's schedules: an organization's owner may not start one.
    expect(expectProblem(await post('/scheduler/check', r.owner.headers), 403).code).toBe('operator_required');
    expect(json<{ running: boolean }>(await post('/scheduler/stop', r.admin.headers)).running).toBe(false);
    expect(json<{ running: boolean }>(await get('/scheduler', r.viewer.headers)).running).toBe(false);
    expect(json<{ running: boolean }>(await post('/scheduler/start', r.admin.headers)).running).toBe(true);

    await setNextFire(t.ctx.database, weekdays, new Date(Date.now() - 1_000));
    const operator = await seedOperator(t.ctx, 'viewer', r.owner.orgId);
    const check = json<{ ran: boolean; leader: boolean; fired: number }>(await post('/scheduler/check', operator.headers));
    expect(check).toMatchObject({ ran: true, leader: true, fired: 1 });
    expect(rec.calls.map((c) => c.scheduleId)).toEqual([weekdays]);
    const after = json<{ leader: { holder: string | null; heartbeatAt: string; expiresAt: string } | null; process: { leader: boolean; holder: string | null } }>(
      await get('/scheduler', r.viewer.headers),
    );
    // Which machine and process leads is the install's business: an organization's viewer (and
    // its owner) sees that one leads; an instance operator sees which.
    expect(after.leader?.holder).toBeNull();
    expect(after.process.holder).toBeNull();
    expect(json<{ leader: { holder: string | null } }>(await get('/scheduler', r.owner.headers)).leader.holder).toBeNull();
    const seen = json<{ leader: { holder: string | null }; process: { holder: string | null } }>(await get('/scheduler', operator.headers));
    expect(seen.leader.holder).toBe(scheduler.holder);
    expect(seen.process.holder).toBe(scheduler.holder);
    // The lease: 10 s from its last renewal (the pass just run).
    expect(Date.parse(after.leader!.expiresAt) - Date.parse(after.leader!.heartbeatAt)).toBe(10_000);
    expect(after.process.leader).toBe(true);
  });

  it('describes every route in OpenAPI with its schemas', async () => {
    const doc = app.swagger() as { paths: Record<string, Record<string, unknown>>; components: { schemas: Record<string, unknown> } };
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/v1/scheduler',
      '/api/v1/scheduler/check',
      '/api/v1/scheduler/start',
      '/api/v1/scheduler/stop',
      '/api/v1/schedules',
      '/api/v1/schedules/validate',
      '/api/v1/schedules/{id}',
      '/api/v1/schedules/{id}/pause',
      '/api/v1/schedules/{id}/resume',
    ]);
    expect(Object.keys(doc.components.schemas)).toEqual(expect.arrayContaining(['Schedule', 'SchedulerStatus', 'CronValidation', 'SchedulerCheck']));
  });
});
