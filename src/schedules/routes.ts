import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { actorOf } from '../http/access.js';
import { uuidOr404 } from '../shared/ids.js';
import { pageOf } from '../shared/pagination.js';
import { checkResultSchema, cronCheckSchema, errors, idParams, listSchedulesQuery, scheduleSchema, schedulerStatusSchema, validateBody } from './dto.js';
import type { Scheduler } from './scheduler.js';
import type { ScheduleService, SchedulerStatus } from './service.js';

const tags = ['schedules'];

export interface ScheduleRouteDeps {
  schedules: ScheduleService;
  /** This process's scheduler, or null when it runs none (an API-only process). */
  scheduler: () => Scheduler | null;
  /** Whether a person is an instance operator: only they see which machine and process leads. */
  isOperator: (userId: string) => Promise<boolean>;
}

/**
 * /schedules (when tasks run) and /scheduler (the organization's switch and status). Viewers
 * read and validate; members pause and resume; admins start and stop the scheduler; instance
 * operators run a pass now (it fires every organization's due schedules).
 */
export function registerScheduleRoutes(app: FastifyInstance, deps: ScheduleRouteDeps): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { schedules } = deps;
  // The leader's holder is hostname:pid, a fact about the install: an organization's people see
  // that a process leads and since when, an instance operator also which one.
  const withProcess = async (req: FastifyRequest, status: SchedulerStatus) => {
    const s = deps.scheduler();
    const operator = req.userId ? await deps.isOperator(req.userId) : false;
    return {
      ...status,
      leader: status.leader && { ...status.leader, holder: operator ? status.leader.holder : null },
      process: s ? { holder: operator ? s.holder : null, started: s.started, leader: s.isLeader, fireDelays: s.fireDelays() } : null,
    };
  };

  r.post(
    '/schedules/validate',
    {
      config: { access: 'viewer' },
      schema: { tags, summary: 'Check a cron expression in a time zone: its description and next five fires', body: validateBody, response: { 200: cronCheckSchema, ...errors } },
    },
    async (req) => ({ ...schedules.validate(req.body.cron, req.body.timezone, { path: 'body.' }), timezone: req.body.timezone }),
  );

  r.get(
    '/schedules',
    {
      config: { access: 'viewer' },
      schema: { tags, summary: 'Task schedules, soonest next fire first (filter by paused, taskId)', querystring: listSchedulesQuery, response: { 200: pageOf(scheduleSchema), ...errors } },
    },
    async (req) => schedules.list(actorOf(req), req.query),
  );

  r.get(
    '/schedules/:id',
    { config: { access: 'viewer' }, schema: { tags, summary: 'Get a schedule', params: idParams, response: { 200: scheduleSchema, ...errors } } },
    async (req) => schedules.get(actorOf(req), uuidOr404(req.params.id, 'Schedule')),
  );

  r.post(
    '/schedules/:id/pause',
    {
      config: { access: 'member', audit: { action: 'schedule.paused', targetType: 'schedule' } },
      schema: { tags, summary: 'Pause a schedule (fires due while paused are not made up)', params: idParams, response: { 200: scheduleSchema, ...errors } },
    },
    async (req) => schedules.pause(actorOf(req), uuidOr404(req.params.id, 'Schedule')),
  );

  r.post(
    '/schedules/:id/resume',
    {
      config: { access: 'member', audit: { action: 'schedule.resumed', targetType: 'schedule' } },
      schema: { tags, summary: 'Resume a schedule: it fires next at its first time after now', params: idParams, response: { 200: scheduleSchema, ...errors } },
    },
    async (req) => {
      const view = await schedules.resume(actorOf(req), uuidOr404(req.params.id, 'Schedule'));
      deps.scheduler()?.wake();
      return view;
    },
  );

  r.get(
    '/scheduler',
    {
      config: { access: 'viewer' },
      schema: { tags, summary: "The organization's scheduler: running or stopped, the leader, the next fires", response: { 200: schedulerStatusSchema, ...errors } },
    },
    async (req) => withProcess(req, await schedules.status(actorOf(req))),
  );

  r.post(
    '/scheduler/stop',
    {
      config: { access: 'admin', audit: { action: 'scheduler.stopped', targetType: 'organization' } },
      schema: { tags, summary: "Stop the organization's schedules firing (until started again)", response: { 200: schedulerStatusSchema, ...errors } },
    },
    async (req) => withProcess(req, await schedules.stop(actorOf(req))),
  );

  r.post(
    '/scheduler/start',
    {
      config: { access: 'admin', audit: { action: 'scheduler.started', targetType: 'organization' } },
      schema: { tags, summary: "Start the organization's schedules again; fires missed while stopped follow each schedule's misfire policy", response: { 200: schedulerStatusSchema, ...errors } },
    },
    async (req) => {
      const status = await schedules.start(actorOf(req));
      deps.scheduler()?.wake();
      return withProcess(req, status);
    },
  );

  r.post(
    '/scheduler/check',
    {
      // A pass fires every organization's due schedules and counts them all: the install's (decision 32).
      config: { access: 'operator' },
      schema: { tags, summary: 'Run one scheduler pass now in the process that answers, if it leads, for every organization (instance operators)', response: { 200: checkResultSchema, ...errors } },
    },
    async () => {
      const s = deps.scheduler();
      if (!s) return { ran: false, leader: false, fired: 0, detail: 'This process runs no scheduler' };
      const fired = await s.checkNow();
      if (!s.isLeader) return { ran: false, leader: false, fired: 0, detail: 'Another process leads; it fires the schedules on its own' };
      return { ran: true, leader: true, fired, detail: `Fired ${fired} due schedule${fired === 1 ? '' : 's'}` };
    },
  );
}
