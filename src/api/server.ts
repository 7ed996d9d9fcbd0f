import fastifyCors from '@fastify/cors';
import fastifyRateLimit from '@fastify/rate-limit';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
} from 'fastify-type-provider-zod';
import { registerAgentRoutes } from '../agents/routes.js';
import { registerAuditRoutes } from '../audit/routes.js';
import { registerConversationRoutes } from '../conversations/routes.js';
import { registerBillingRoutes } from '../billing/routes.js';
import type { AppContext } from '../app.js';
import { fastifyTrustProxy } from '../config/trust-proxy.js';
import { registerAuthRoutes } from '../auth/routes.js';
import { registerOrgRoutes } from '../auth/org-routes.js';
import { registerModelRoutes } from '../models/routes.js';
import { registerRunRoutes } from '../runs/routes.js';
import { registerToolRoutes } from '../tools/routes.js';
import { registerTaskRoutes } from '../tasks/routes.js';
import { registerScheduleRoutes } from '../schedules/routes.js';
import { registerQueueRoutes } from '../dispatch/routes.js';
import { registerFitnessRoutes } from '../packs/fitness/index.js';
import { registerAgentTemplateRoutes } from '../agents/template-routes.js';
import { registerExecuteRoutes } from '../execute/routes.js';
import { registerPublicationRoutes } from '../publications/routes.js';
import { registerPublicChatRoutes } from '../publications/public-routes.js';
import { registerChatPages } from '../publications/pages.js';
import { registerInboxRoutes } from '../inbox/routes.js';
import { registerWorkflowRoutes } from '../workflows/routes.js';
import { registerWorkflowRunRoutes } from '../workflows/run-routes.js';
import { registerEventRoutes } from '../events/routes.js';
import { registerDecisionRoutes } from '../decisions/routes.js';
import { registerHookRoutes } from '../events/hook-routes.js';
import { registerDbSourceRoutes } from '../db-sources/routes.js';
import { registerStaffRoutes } from '../staff/routes.js';
import { registerPipelineRoutes } from '../pipelines/routes.js';
import { registerCalendarRoutes, registerIcsFeedRoutes } from '../calendars/routes.js';
import { registerEmailInboxRoutes } from '../email-in/routes.js';
import { registerEmailHookRoutes } from '../email-in/hook-routes.js';
import { toolsInboxCounter } from '../tools/inbox-counts.js';
import { fitnessInboxCounter } from '../packs/fitness/inbox-counts.js';
import { registerAccessControl } from '../http/access.js';
import { registerDashboard } from './dashboard.js';
import { VERSION } from '../shared/version.js';
import { registerHealthRoutes } from './health.js';
import { registerMetrics } from './metrics.js';
import { registerInputGuard } from '../http/input-guard.js';
import { securityHeaders } from './security-headers.js';
import { RequestLogController } from './request-log.js';
import { registerTracing } from '../observability/tracing-http.js';
import { clientErrorHandler, errorHandler, frameworkErrorHandler, sendProblem } from '../http/problem.js';

export const API_PREFIX = '/api/v1';

/** Assembles the HTTP server: plugins, error handling, access control, metrics and every module's routes. */
export async function buildServer(ctx: AppContext): Promise<FastifyInstance> {
  const { config } = ctx;
  // The cast drops pino's richer Logger type, which Fastify's FastifyInstance default does not carry.
  const app = Fastify({
    loggerInstance: ctx.logger,
    // Dashboard files and health/metrics probes log at debug; API requests at info.
    logController: new RequestLogController(),
    bodyLimit: config.TROUPE_BODY_LIMIT,
    genReqId: (req) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && /^[\w.-]{1,128}$/.test(given) ? given : randomUUID();
    },
    // Off unless the operator says which proxies to believe: X-Forwarded-For is then the client
    // address (request.ip) that rate limits key on; otherwise anyone could pick their own.
    trustProxy: fastifyTrustProxy(config.TROUPE_TRUST_PROXY),
    // Errors the router raises before any route exists for the request (bad % escape, an
    // over-long path segment) and requests Node's parser rejects: problem+json like the rest.
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
  }) as unknown as FastifyInstance;

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  app.setErrorHandler(errorHandler);
  app.addHook('onSend', async (request, reply) => {
    reply.header('x-request-id', request.id);
  });

  // First, so a request's span covers its access check too.
  registerTracing(app, ctx.tracing);
  const metrics = registerMetrics(app, ctx.metrics);
  // Helmet's headers, computed once: the plugin rebuilt them (parsing the CSP) on every request.
  const helmetHeaders = await securityHeaders({
    // Swagger UI's bundle needs inline styles; everything else stays on 'self'.
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        scriptSrc: ["'self'"],
        // Self-hosted installs are often plain HTTP on a LAN address; upgrading their asset
        // requests to HTTPS would break every page.
        upgradeInsecureRequests: null,
      },
    },
  });
  app.addHook('onRequest', async (_request, reply) => {
    reply.headers(helmetHeaders);
  });
  await app.register(fastifyCors, {
    origin: config.corsOrigins.includes('*') ? true : config.corsOrigins,
    credentials: !config.corsOrigins.includes('*'),
    exposedHeaders: ['x-request-id', 'retry-after'],
  });
  await app.register(fastifyRateLimit, {
    global: false,
    // With Redis the counters are shared, so N API processes keep one limit, not N. The queue
    // name already separates installs sharing a Redis. An unreachable Redis lets requests
    // through (the account lockout still holds) rather than failing every sign-in.
    ...(ctx.redis ? { redis: ctx.redis, nameSpace: `${config.TROUPE_QUEUE_NAME}:rate-limit:`, skipOnError: true } : {}),
    errorResponseBuilder: (_request, context) => {
      const err = new Error(`Too many requests; try again in ${Math.ceil(context.ttl / 1000)} s`) as Error & { statusCode: number };
      err.statusCode = 429;
      return err;
    },
  });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'Troupe API',
        version: VERSION,
        description:
          'Run a workforce of AI agents. Authenticate with `Authorization: Bearer <access token or API key>`; ' +
          'choose the organization with the `X-Org-Id` header (default: your first organization). ' +
          'Errors are application/problem+json.',
      },
      components: {
        securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'User access token or API key' } },
      },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    // Swagger UI sets inline styles on some elements; scripts stay restricted to 'self'.
    transformStaticCSP: (header) =>
      header.replace(/\s*upgrade-insecure-requests;?/g, '').replace(/style-src [^;]*;/, "style-src 'self' 'unsafe-inline';"),
  });

  // The web dashboard at / (page navigations that match no route get its index page); every
  // other unknown path stays a 404 problem.
  const dashboard = await registerDashboard(app, config.webDir);
  app.setNotFoundHandler((request, reply) => {
    if (dashboard.fallback(request, reply)) return reply;
    return sendProblem(reply, 404, 'route_not_found', `No route ${request.method} ${request.url.split('?')[0]}`);
  });

  // Caches of hot reads are trusted only while this process hears every change (decision 59).
  ctx.changes.start();
  registerAccessControl(app, ctx.services.auth);
  registerInputGuard(app);
  registerHealthRoutes(app, ctx, metrics);
  app.get(`${API_PREFIX}/openapi.json`, { config: { access: 'public' }, schema: { hide: true } }, async () => app.swagger());

  await app.register(
    async (api) => {
      registerAuthRoutes(api, ctx);
      registerOrgRoutes(api, ctx);
      registerAgentRoutes(api, ctx);
      registerModelRoutes(api, ctx);
      registerToolRoutes(api, ctx);
      registerRunRoutes(api, ctx);
      registerConversationRoutes(api, ctx);
      registerBillingRoutes(api, ctx);
      registerAuditRoutes(api, ctx);
      registerTaskRoutes(api, ctx);
      registerScheduleRoutes(api, { schedules: ctx.services.schedules, scheduler: () => ctx.services.scheduler, isOperator: (userId) => ctx.services.auth.isOperator(userId) });
      registerQueueRoutes(api, ctx);
      registerFitnessRoutes(api, ctx);
      registerAgentTemplateRoutes(api, ctx);
      registerExecuteRoutes(api, ctx);
      registerPublicationRoutes(api, ctx);
      registerPublicChatRoutes(api, ctx);
      registerInboxRoutes(api, { database: ctx.database, sources: [toolsInboxCounter, fitnessInboxCounter] });
      registerWorkflowRoutes(api, ctx);
      registerWorkflowRunRoutes(api, ctx);
      registerEventRoutes(api, ctx);
      registerDbSourceRoutes(api, ctx);
      registerStaffRoutes(api, ctx);
      registerPipelineRoutes(api, ctx);
      registerDecisionRoutes(api, ctx);
      registerCalendarRoutes(api, ctx);
      registerEmailInboxRoutes(api, ctx);
    },
    { prefix: API_PREFIX },
  );
  // Inbound webhooks, on a public path of their own (docs/events.md).
  registerHookRoutes(app, ctx);
  // Calendars' ICS feeds, public behind their token (docs/calendars.md).
  registerIcsFeedRoutes(app, ctx);
  // Inbound-parse email webhooks (docs/email.md).
  registerEmailHookRoutes(app, ctx);
  // The website widget's script and the public chat page (docs/widget.md).
  registerChatPages(app, ctx);
  return app;
}
