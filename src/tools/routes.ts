import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../http/access.js';
import type { AppContext } from '../app.js';
import { badRequest } from '../shared/errors.js';
import { errors, toolInfoSchema, toolSettingsSchema, webhookSecretBody } from './dto.js';
import { allowlistSchema } from './net/allowlist.js';
import { registerNotificationRoutes } from './notification-routes.js';
import { registerRecordRoutes } from './record-routes.js';
import { registerTicketRoutes } from './ticket-routes.js';

// Not in dto.ts (which the dashboard imports): entries are checked with node:net, so this body stays here.
// A field left out keeps its value; at least one is needed.
const toolSettingsBody = z.object({
  httpAllowlist: allowlistSchema.optional(),
  webhookRetryOnCrash: z
    .boolean()
    .optional()
    .describe('Send an interrupted send_webhook call again, same x-troupe-delivery id, instead of asking a person (receivers must drop repeated ids)'),
});

const tags = ['tools'];

/**
 * /tools (the catalog) and /tool-settings, plus the built-in tools' data: notifications,
 * tickets, outbox and follow-ups.
 */
export function registerToolRoutes(app: FastifyInstance, ctx: AppContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const tools = () => ctx.services.tools;

  r.get(
    '/tools',
    {
      config: { access: 'viewer' },
      schema: { tags, summary: 'The tools agents can be given, with their JSON Schemas and flags', response: { 200: z.object({ items: z.array(toolInfoSchema) }), ...errors } },
    },
    async () => ({ items: tools().describe() }),
  );

  r.get(
    '/tool-settings',
    { config: { access: 'admin' }, schema: { tags, summary: "The organization's tool settings", response: { 200: toolSettingsSchema, ...errors } } },
    async (req) => tools().settings.get(actorOf(req).orgId),
  );

  r.put(
    '/tool-settings',
    {
      config: { access: 'admin', audit: { action: 'tool_settings.updated', targetType: 'tool_settings' } },
      schema: {
        tags,
        summary: 'Change the tool settings: the http allowlist (private hosts and ranges http tools may reach), webhookRetryOnCrash; fields left out keep their value',
        body: toolSettingsBody,
        response: { 200: toolSettingsSchema, ...errors },
      },
    },
    async (req) => {
      if (req.body.httpAllowlist === undefined && req.body.webhookRetryOnCrash === undefined) {
        throw badRequest('Nothing to change', [{ path: 'body.httpAllowlist', message: 'give httpAllowlist, webhookRetryOnCrash or both' }]);
      }
      return tools().settings.update(actorOf(req), req.body);
    },
  );

  r.put(
    '/tool-settings/webhook-secret',
    {
      config: { access: 'admin', audit: { action: 'tool_settings.webhook_secret_set', targetType: 'tool_settings' } },
      schema: {
        tags,
        summary: 'Set the key send_webhook signs every delivery with (stored encrypted, never shown again)',
        body: webhookSecretBody,
        response: { 200: toolSettingsSchema, ...errors },
      },
    },
    async (req) => tools().settings.setWebhookSecret(actorOf(req), req.body.secret),
  );

  r.delete(
    '/tool-settings/webhook-secret',
    {
      config: { access: 'admin', audit: { action: 'tool_settings.webhook_secret_removed', targetType: 'tool_settings' } },
      schema: { tags, summary: 'Remove the webhook secret: deliveries go unsigned', response: { 200: toolSettingsSchema, ...errors } },
    },
    async (req) => tools().settings.setWebhookSecret(actorOf(req), null),
  );

  registerNotificationRoutes(app, ctx);
  registerTicketRoutes(app, ctx);
  registerRecordRoutes(app, ctx);
}
