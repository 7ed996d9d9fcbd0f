import { z } from 'zod';
import { pageQuery } from '../shared/page-schema.js';

/** Wire shapes of the audit API, shared with the dashboard (pure: zod only). */

export const auditEntrySchema = z
  .object({
    id: z.uuid(),
    actorType: z.enum(['user', 'api_key', 'system']),
    actorId: z.uuid().nullable().describe('The user or API key; null for the system'),
    action: z.string().describe('Dotted verb, e.g. agent.updated, run.started, auth.signin'),
    targetType: z.string().nullable(),
    targetId: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).describe('Ids, names and the names of changed fields; never secrets'),
    requestId: z.string().nullable(),
    createdAt: z.date().transform((d) => d.toISOString()).pipe(z.string()),
  })
  .meta({ id: 'AuditEntry' });

/**
 * Query of `GET /audit`: the shared page parameters (limit 20, newest first) plus filters, all
 * optional and combined with AND. `action` is exact (`agent.updated`) or, ending in a dot, a
 * prefix (`agent.`); `from` is inclusive and `to` exclusive.
 */
export const auditListQuery = pageQuery.extend({
  action: z
    .string()
    .regex(/^[a-z0-9_]+(\.[a-z0-9_]+)*\.?$/, 'must be an action like agent.updated, or a prefix ending in a dot like agent.')
    .max(100)
    .optional(),
  actorId: z.uuid().optional().describe('The user or API key that acted'),
  actorType: z.enum(['user', 'api_key', 'system']).optional(),
  actor: z
    .string()
    .regex(/^(system|(user|api_key):[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$/i, 'must be user:<id>, api_key:<id> or system')
    .optional()
    .describe('Who acted, as the dashboard names them: user:<id>, api_key:<id> or system (the same as actorType with actorId)'),
  targetType: z.string().trim().min(1).max(50).optional(),
  targetId: z.string().trim().min(1).max(200).optional(),
  q: z
    .string()
    .trim()
    .max(200)
    .optional()
    .transform((v) => v || undefined)
    .describe('Text: the target id starts with it, the target is an agent whose name contains it, or the action starts with it'),
  from: z.iso.datetime({ offset: true }).optional().describe('Entries at or after this time'),
  to: z.iso.datetime({ offset: true }).optional().describe('Entries before this time'),
});
