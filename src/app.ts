import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { Redis } from 'ioredis';
import type { Config } from './config/load.js';
import { resolveSecretKey } from './config/secret-key.js';
import { openPostgres, type Database } from './db/client.js';
import { openEmbedded } from './db/embedded-postgres.js';
import { AgentService } from './agents/service.js';
import { AuditService } from './audit/service.js';
import { BillingService } from './billing/service.js';
import { AuthService } from './auth/service.js';
import { OrgService } from './auth/org-service.js';
import { AccessTokens } from './auth/tokens.js';
import { ModelService } from './models/service.js';
import { conversationOwner } from './conversations/lookups.js';
import { inVisibleConversation } from './conversations/visibility.js';
import { taskTitles } from './tasks/lookups.js';
import { workflowNames } from './workflows/lookups.js';
import { ConversationService } from './conversations/service.js';
import { VisitorChats } from './conversations/visitors.js';
import { TaskTypeService } from './execute/service.js';
import { PublicationService } from './publications/service.js';
import { VisitorTokens } from './publications/visitor-token.js';
import { RunBus } from './runs/bus.js';
import { chooseRelay } from './runs/relay/choose.js';
import { BullMqDispatcher } from './dispatch/bullmq.js';
import { InProcessDispatcher } from './dispatch/in-process.js';
import type { Dispatcher } from './runs/dispatch-port.js';
import { releaseDeadLeases, RunRecovery } from './dispatch/recovery.js';
import { TableMaintenance } from './db/maintenance.js';
import { Scheduler } from './schedules/scheduler.js';
import { ScheduleService } from './schedules/service.js';
import { TaskService } from './tasks/service.js';
import { RunExecutor } from './runs/engine/executor.js';
import { RunService } from './runs/service.js';
import { ToolService } from './tools/service.js';
import { WorkflowService } from './workflows/service.js';
import { WorkflowRunner } from './workflows/engine/runner.js';
import { EventService } from './events/service.js';
import { TriggerService } from './events/triggers.js';
import { WebhookService } from './events/webhooks.js';
import { EventProcessor } from './events/processor.js';
import { recordHappenings } from './events/happenings.js';
import { StaffService } from './staff/service.js';
import { staffByIds } from './staff/lookups.js';
import { PipelineService } from './pipelines/service.js';
import { PipelineItemService } from './pipelines/items.js';
import { pipelineTools } from './pipelines/tools.js';
import { InboxService } from './email-in/service.js';
import { ImapPoller } from './email-in/imap-poller.js';
import { SmtpListener } from './email-in/smtp-listener.js';
import { emailSettings } from './email-in/settings.js';
import { membersByIds, orgNames } from './auth/lookups.js';
import { CalendarService } from './calendars/service.js';
import { ReminderProcessor } from './calendars/reminders.js';
import { calendarTools } from './calendars/tools.js';
import { DbSourceService } from './db-sources/service.js';
import { DbSourceRunner } from './db-sources/runner.js';
import { compileAllowlist } from './tools/net/allowlist.js';
import { fitnessTools } from './packs/fitness/tools/index.js';
import { analyticsTools } from './packs/fitness/analytics/tools.js';
import { SecretBox } from './shared/crypto.js';
import { createLogger, type Logger } from './shared/logger.js';
import type { Registry } from 'prom-client';
import { EngineEvents } from './observability/events.js';
import { logEngineEvents } from './observability/log-events.js';
import { createMetrics } from './observability/metrics.js';
import { registerDbMetrics } from './db/metrics.js';
import { startTracing, type ProcessRole, type Tracing } from './observability/tracing.js';
import { pendingApprovalCounts } from './runs/approval-counts.js';
import { ApprovalNotices } from './runs/approval-notices.js';
import { ChangeFeed } from './db/changes.js';
import { HotReads } from './http/hot-reads.js';

/** A run in one of these is over: it holds no place under a trigger's concurrency limit. */
const FINAL_RUN_STATUSES = new Set(['succeeded', 'failed', 'canceled']);
import { DecisionRunner } from './decisions/runner.js';
import { DecisionService } from './decisions/service.js';
import type { DecisionRunInput } from './decisions/store.js';

/** Everything a process holds: settings, the database, the logger and the services. */
export interface AppContext {
  config: Config;
  database: Database;
  logger: Logger;
  secrets: SecretBox;
  tokens: AccessTokens;
  /** Present when REDIS_URL is set. */
  redis: Redis | null;
  /** The engine's event port: runs, steps, model and tool calls, approvals, fires, failed dispatches (metrics, traces and logs subscribe). */
  events: EngineEvents;
  /** The process's Prometheus registry (Node, engine and, with the API, HTTP series). */
  metrics: Registry;
  /** OpenTelemetry traces; null (nothing subscribed, no hooks) unless an OTLP endpoint is set. */
  tracing: Tracing | null;
  /** What changed, in any process (the API starts listening; decision 59). */
  changes: ChangeFeed;
  /** Serialized bodies of hot reads (GET /agents), dropped when `changes` tells of a change. */
  hotReads: HotReads;
  services: {
    auth: AuthService;
    orgs: OrgService;
    agents: AgentService;
    models: ModelService;
    audit: AuditService;
    billing: BillingService;
    tools: ToolService;
    conversations: ConversationService;
    runs: RunService;
    runBus: RunBus;
    executor: RunExecutor;
    dispatcher: Dispatcher;
    recovery: RunRecovery;
    tasks: TaskService;
    schedules: ScheduleService;
    /** This process's scheduler loop (created always, started by the roles that run it). */
    scheduler: Scheduler;
    /** Task types: which agent answers POST /execute for each. */
    taskTypes: TaskTypeService;
    /** Agents published as a website widget and a public chat page; their visitors' chats and session tokens. */
    publications: PublicationService;
    visitorChats: VisitorChats;
    visitorTokens: VisitorTokens;
    /** Workflow definitions: saved versions, validation, export and import. */
    workflows: WorkflowService;
    /** The event log (issue 16): events stored once per dedupe key, replayed. */
    events: EventService;
    /** What events start: agent runs and workflow runs. */
    triggers: TriggerService;
    /** Inbound webhook endpoints and their public intake. */
    webhooks: WebhookService;
    /** Matches events to triggers (started by the worker role). */
    eventProcessor: EventProcessor;
    /** Organizations' PostgreSQL databases whose changes become events (docs/db-sources.md). */
    dbSources: DbSourceService;
    /** Follows the enabled database sources this process holds the lease of (started by the worker role). */
    dbSourceRunner: DbSourceRunner;
    decisions: DecisionService;
    /** The people who receive work: job roles, capacity, their dashboard user (docs/pipelines.md). */
    staff: StaffService;
    /** Pipelines and their stages; `contextOf` is what a decision sees of them and the staff. */
    pipelines: PipelineService;
    /** Items in pipelines: created with an assignee by role and load, moved, their history and events. */
    pipelineItems: PipelineItemService;
    /** Calendars of staff and rooms, their events, free slots and ICS feeds (issue 16). */
    calendars: CalendarService;
    /** Delivers calendar reminders and confirmation mails (started by the worker role). */
    reminders: ReminderProcessor;
    /** Email inboxes (SMTP addresses, IMAP mailboxes, inbound-parse webhooks) and their intake. */
    emailInboxes: InboxService;
    /** Polls IMAP inboxes (started by the worker role). */
    emailPoller: ImapPoller;
    /** The inbound SMTP listener (started by the API role when TROUPE_SMTP_INBOUND_PORT is set; src/api/start.ts). */
    smtpListener: SmtpListener;
  };
  /**
   * Starts the background roles this process plays: `worker` takes runs from the dispatcher
   * (and re-dispatches lost ones from the database), `scheduler` fires schedules.
   */
  startRoles(roles: { worker: boolean; scheduler: boolean; recover?: boolean }): void;
  /** Graceful stop: no new work; active runs get `graceMs` to reach a step boundary, the rest are handed back. */
  close(graceMs?: number): Promise<void>;
}

export interface ContextOptions {
  /** Use this database instead of opening one from the config (tests). */
  database?: Database;
  logger?: Logger;
  /** What this process does (the traces' `troupe.process.role`); default serve. */
  role?: ProcessRole;
}

/** Opens the database (applying migrations) and wires the services. */
export async function createContext(config: Config, options: ContextOptions = {}): Promise<AppContext> {
  const logger = options.logger ?? createLogger(config.LOG_LEVEL);
  const { key, generated } = resolveSecretKey(config);
  if (generated) logger.info({ dataDir: config.dataDir }, 'generated a new secret key in the data folder (secret.key); back it up');
  const database =
    options.database ??
    (config.DATABASE_URL
      ? await openPostgres(config.DATABASE_URL, config.DATABASE_POOL_SIZE)
      : await openEmbedded({ dataDir: config.dataDir, choice: config.TROUPE_EMBEDDED_DB, poolSize: config.DATABASE_POOL_SIZE, logger }));
  if (database.migrated.length) logger.info({ migrations: database.migrated }, 'applied database migrations');
  // Embedded: the data folder's lock proves the process that left runs `running` is gone, so they
  // resume at this start's sweep, not after their lease (decision 41).
  if (!options.database && database.embedded) {
    const released = await releaseDeadLeases(database);
    if (released) logger.info({ runs: released }, 'resuming runs the previous process left running');
  }
  const events = new EngineEvents(logger);
  logEngineEvents(events, logger);
  const tracing = startTracing(config, events, { role: options.role, logger });
  const secrets = new SecretBox(key);
  const tokens = new AccessTokens(key, config.TROUPE_ACCESS_TOKEN_TTL);
  const models = new ModelService(database, secrets, config, { logger });
  await models.syncCatalog();
  const orgs = new OrgService(database, config, logger);
  const auth = new AuthService(database, tokens, config, orgs);
  const tools = new ToolService(database, config, logger, secrets);
  tools.registerPack(fitnessTools({ secrets }));
  tools.registerPack(analyticsTools);
  const changes = new ChangeFeed(database, logger);
  const hotReads = new HotReads(changes);
  const agents = new AgentService(database, tools, changes);
  const audit = new AuditService(database);
  auth.setAudit(audit);
  const billing = new BillingService(database, models, audit);
  orgs.onBillingSettingsChanged = (orgId) => billing.forgetMarkup(orgId);
  const conversations = new ConversationService(database);
  // Run events, rests and cancels reach the install's other processes through the relay (decision 38).
  const runBus = new RunBus({ relay: chooseRelay(config, logger), logger });
  await runBus.start();
  const workerId = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  // A parent workflow run a child's end queued (troupe_runs_write_org) is dispatched at once; the
  // recovery sweep covers a dispatch that fails.
  const wake = (orgId: string, runId: string, reason: string) =>
    void dispatcher.dispatch({ orgId, runId, wake: reason }).catch((err: unknown) => events.emit('dispatch:failed', { orgId, runId, at: new Date(), error: err instanceof Error ? err.message : String(err) }));
  const workflowRunner = new WorkflowRunner(database);
  // Decisions (issue 16): what the model is shown of the organization comes from the modules that
  // own it (decisionContext parts), whom a notification reaches from the people directories.
  const decisionContext: ((orgId: string, d: { agentId: string; input: DecisionRunInput['input']; decisionId: string }) => Promise<Record<string, unknown>>)[] = [];
  const decisionRunner = new DecisionRunner({
    database,
    rules: (orgId) => models.listClassificationRules(orgId),
    context: async (orgId, d) => Object.assign({}, ...(await Promise.all(decisionContext.map((part) => part(orgId, d))))),
    // A staff member (the pipelines' assignees, by staff id) or a member (by user id).
    person: async (orgId, id) => {
      const [staffMember, [member]] = await database.readOrg(orgId, (tx) => Promise.all([staffByIds(tx, orgId, [id]), membersByIds(tx, orgId, [id])]));
      const s = staffMember.get(id);
      if (s) return { userId: s.userId, email: s.email, name: s.name };
      return member ? { userId: member.userId, email: member.email, name: member.name } : null;
    },
  });
  const executor = new RunExecutor(
    { database, config, logger, bus: runBus, agents, models, tools, billing, audit, conversations, events, workflows: workflowRunner, decisions: decisionRunner, wake },
    workerId,
    config.TROUPE_RUN_LEASE_SECONDS * 1000,
  );
  const queue = {
    concurrency: config.TROUPE_WORKER_CONCURRENCY,
    attempts: config.TROUPE_QUEUE_ATTEMPTS,
    backoffMs: config.TROUPE_QUEUE_BACKOFF_MS,
    ratePerMinute: config.TROUPE_QUEUE_RATE_PER_MINUTE ?? null,
  };
  const dispatcher: Dispatcher = config.REDIS_URL
    ? new BullMqDispatcher({ connection: config.REDIS_URL, queueName: config.TROUPE_QUEUE_NAME, keepCompletedSec: config.TROUPE_JOB_RETENTION_HOURS * 3600, lockMs: config.TROUPE_RUN_LEASE_SECONDS * 1000, ...queue }, logger)
    : new InProcessDispatcher(queue, logger);
  const recovery = new RunRecovery(database, dispatcher, logger, config.TROUPE_RECOVER_EVERY_SECONDS * 1000);
  const maintenance = new TableMaintenance(database, logger, config.TROUPE_MAINTENANCE_SECONDS * 1000);
  // What runs read of the modules built on them (tasks, chat), so runs import neither.
  const origins = { taskTitles, conversationOwner, inVisibleConversation, workflowNames };
  const runs = new RunService(database, agents, tools, audit, runBus, origins, dispatcher, events);
  const schedules = new ScheduleService(database);
  const tasks = new TaskService(database, agents, runs, schedules);
  tools.followUpTask = { create: (orgId, f) => tasks.createFollowUp(orgId, f) };
  // The people who may decide a waiting tool call hear of it (notification; mail with SMTP_URL), in the process that asked.
  const approvalNotices = new ApprovalNotices({ database, config, logger, tools, notifications: tools.notifications, origins });
  events.on('approval:requested', (e) => void approvalNotices.requested(e));
  const taskTypes = new TaskTypeService(database, agents);
  const publications = new PublicationService(database, agents, config.publicUrl);
  const visitorChats = new VisitorChats(database, conversations);
  const visitorTokens = new VisitorTokens(secrets);
  const workflows = new WorkflowService(database, tools, runs, schedules);
  tools.workflowStarter = workflows.starterForTools;
  // A failed workflow run starts its error workflow (settings.errorWorkflowId), once.
  workflowRunner.onFailure = (orgId, errorWorkflowId, input, key) =>
    workflows.start({ orgId, role: 'owner', userId: null, apiKeyId: null }, errorWorkflowId, input, { source: 'workflow', idempotencyKey: key });
  // Events (issue 16): stored by the API, matched to triggers by the workers' processor.
  const eventLog = new EventService(database);
  const system = (orgId: string) => ({ orgId, role: 'owner' as const, userId: null, apiKeyId: null });
  const exists = (p: Promise<unknown>) => p.then(() => true, (err: unknown) => (err instanceof Error && (err as { status?: number }).status === 404 ? false : Promise.reject(err)));
  const triggers = new TriggerService(database, {
    agentExists: (actor, id) => exists(agents.get(actor, id)),
    workflowExists: (actor, id) => exists(workflows.get(actor, id)),
  });
  workflows.eventTriggers = triggers;
  const decisions = new DecisionService(database, runs);
  decisionContext.push(async (orgId, d) => ({ 'Recent decisions of this agent': await decisions.recent(orgId, d.agentId, d.decisionId) }));
  events.on('run:finished', (e) => {
    if (e.source === 'decision' && !e.agentId) void decisions.runEnded(e).catch((err: unknown) => logger.warn({ err, runId: e.runId }, 'could not close the record of an ended decision'));
  });
  const webhooks = new WebhookService(database, secrets, eventLog);
  const names = new Map<string, { name: string; at: number }>();
  const eventProcessor = new EventProcessor(database, triggers, {
    agentRun: async (orgId, agentId, input, idempotencyKey) => (await runs.create(system(orgId), agentId, input, { source: 'event', idempotencyKey })).run.id,
    workflowRun: async (orgId, workflowId, input, idempotencyKey) => (await workflows.start(system(orgId), workflowId, input, { source: 'event', idempotencyKey })).run.id,
    decision: async (orgId, d, idempotencyKey) => (await decisions.start(system(orgId), d, idempotencyKey)).decision.id,
    orgName: async (orgId) => {
      const hit = names.get(orgId);
      if (hit && Date.now() - hit.at < 60_000) return hit.name;
      const name = (await database.readOrg(orgId, (tx) => orgNames(tx, [orgId]))).get(orgId) ?? '';
      if (names.size > 10_000) names.clear();
      names.set(orgId, { name, at: Date.now() });
      return name;
    },
    activeRuns: async (orgId, runIds) => {
      const rows = await Promise.all(runIds.map((id) => runs.get(system(orgId), id).catch(() => null)));
      return new Set(rows.filter((r) => r !== null && !FINAL_RUN_STATUSES.has(r.status)).map((r) => r!.id));
    },
  }, logger, { leaseMs: config.TROUPE_RUN_LEASE_SECONDS * 1000 });
  // A trigger's run ended: its place under the trigger's concurrency limit is free (docs/events.md).
  events.on('run:finished', (e) => {
    if (e.source === 'event' && FINAL_RUN_STATUSES.has(e.status)) void eventProcessor.runEnded(e.orgId, e.runId).catch((err: unknown) => logger.warn({ err }, 'could not free a trigger run place; the processor poll will'));
  });
  eventLog.onEmitted = () => eventProcessor.kick();
  recordHappenings(events, eventLog, triggers, logger);
  // Lower modules tell of their happenings (a ticket opened, a budget alert) on the engine's port.
  tools.engineEvents = events;
  billing.events = events;
  const dbSources = new DbSourceService(database, secrets, compileAllowlist(config.TROUPE_PRIVATE_DATABASE_HOSTS));
  const dbSourceRunner = new DbSourceRunner(database, dbSources, eventLog, logger, { owner: workerId, leaseMs: config.TROUPE_RUN_LEASE_SECONDS * 1000 });
  dbSources.onChanged = () => dbSourceRunner.kick();
  tools.eventEmitter = {
    emit: async (orgId, e) => {
      const { event, created } = await eventLog.emit(orgId, { ...e, source: 'agent' });
      return { eventId: event.id, duplicate: !created };
    },
  };
  // Pipelines and the staff they assign to (issue 16): their items' changes are events.
  const staff = new StaffService(database);
  const pipelines = new PipelineService(database);
  const pipelineItems = new PipelineItemService(database, eventLog, logger);
  tools.registerPack(pipelineTools(pipelines, pipelineItems));
  // A decision sees the pipelines (stages, rule) and the active staff with their load.
  decisionContext.push(async (orgId) => {
    const { pipelines: open, staff: people } = await pipelines.contextOf(orgId);
    return { Pipelines: open, 'Staff (openItems is their load)': people };
  });
  // Calendars (issue 16): bookings by the API and by decisions' tools; reminders by the workers.
  const calendars = new CalendarService(database, eventLog);
  tools.registerPack(calendarTools(calendars));
  const reminders = new ReminderProcessor(database, eventLog, { SMTP_URL: config.SMTP_URL, SMTP_FROM: config.SMTP_FROM }, logger, { leaseMs: config.TROUPE_RUN_LEASE_SECONDS * 1000 });
  calendars.onNotice = () => reminders.kick();
  decisionContext.push(async (orgId) => {
    const now = new Date();
    return { 'Calendars (busy times in the next 14 days)': await calendars.contextOf(orgId, { from: now, to: new Date(now.getTime() + 14 * 86_400_000) }) };
  });
  // Email (issue 16; docs/email.md): mail stored as events by the SMTP listener, the IMAP pollers and the parse webhooks.
  const emailInboxes = new InboxService(database, secrets, eventLog, emailSettings(config));
  const emailPoller = new ImapPoller(database, emailInboxes, logger, { owner: workerId });
  emailInboxes.onDue = () => emailPoller.kick();
  const smtpListener = new SmtpListener(emailInboxes, logger);
  const scheduler = new Scheduler(database, (fire) => (fire.workflowId ? workflows.fire(fire.orgId, fire.workflowId, fire.fireAt) : tasks.fire(fire.orgId, fire.taskId!)), logger, { leaseMs: config.TROUPE_SCHEDULER_LEASE_SECONDS * 1000, events });
  const metrics = createMetrics({
    events,
    logger,
    pendingApprovals: () => pendingApprovalCounts(database),
    queue: () => dispatcher.stats(),
    executing: () => executor.activeCount,
    schedulerLeader: () => scheduler.started && scheduler.isLeader,
  });
  // Every process's round trips (the API's, a worker's and a scheduler's metrics port alike).
  registerDbMetrics(metrics, database);
  let cleaner: NodeJS.Timeout | undefined;
  const roles = { worker: false, scheduler: false };
  const redis = config.REDIS_URL
    ? new Redis(config.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, enableOfflineQueue: false })
    : null;
  if (redis) {
    redis.on('error', (err) => logger.warn({ err: err.message }, 'redis connection error'));
    redis.connect().catch(() => {});
  }
  return {
    config,
    database,
    logger,
    secrets,
    tokens,
    redis,
    events,
    metrics,
    tracing,
    changes,
    hotReads,
    services: { auth, orgs, agents, models, audit, billing, tools, conversations, runs, runBus, executor, dispatcher, recovery, tasks, schedules, scheduler, taskTypes, publications, visitorChats, visitorTokens, workflows, events: eventLog, triggers, webhooks, eventProcessor, decisions, staff, pipelines, pipelineItems, calendars, reminders, emailInboxes, emailPoller, smtpListener, dbSources, dbSourceRunner },
    startRoles(want) {
      if (want.worker && !roles.worker) {
        roles.worker = true;
        dispatcher.work((job, signal) => executor.execute(job.orgId, job.runId, signal));
        if (want.recover !== false) recovery.start();
        const retention = config.TROUPE_JOB_RETENTION_HOURS * 3_600_000;
        // Finished jobs in the queue, and recurring schedules' old fire records (dedupe keys no
        // fire can reach any more), past the retention.
        cleaner = setInterval(() => {
          void dispatcher.clean(retention).catch(() => {});
          void schedules.pruneFires(retention).catch((err: unknown) => logger.warn({ err }, 'could not prune old schedule fires; will try again'));
          void eventLog.prune(new Date(Date.now() - config.TROUPE_EVENT_RETENTION_DAYS * 86_400_000)).catch((err: unknown) => logger.warn({ err }, 'could not prune old events; will try again'));
        }, Math.min(retention, 3_600_000));
        cleaner.unref();
        // Workers write the busy tables; they keep their statistics fresh (one at a time).
        maintenance.start();
        eventProcessor.start();
        reminders.start();
        emailPoller.start();
        dbSourceRunner.start();
      }
      if (want.scheduler && !roles.scheduler) {
        roles.scheduler = true;
        scheduler.start();
      }
    },
    async close(graceMs = config.TROUPE_SHUTDOWN_GRACE_SECONDS * 1000) {
      clearInterval(cleaner);
      recovery.stop();
      await smtpListener.stop();
      await emailPoller.stop();
      await eventProcessor.stop();
      await reminders.stop();
      await dbSourceRunner.stop();
      await maintenance.stop();
      await scheduler.stop().catch(() => {});
      // Active runs stop at their next step boundary and go back to the queue; past the grace,
      // the dispatcher aborts them (they are handed back at once).
      executor.drain();
      await dispatcher.close(graceMs);
      // After the runs stopped, so their last spans go out with the final flush.
      await tracing?.close().catch((err: unknown) => logger.warn({ err }, 'could not flush traces'));
      await runBus.close();
      await changes.close();
      redis?.disconnect();
      await database.close();
    },
  };
}
