import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestApp, expectProblem, json, seedOperator, seedRoles, type Member, type TestApp } from '../../test/helpers/app.js';
import { ROLES, type Role } from '../shared/roles.js';
import type { Access } from '../http/access.js';

/**
 * The role rules of the product, written out by hand: viewers read; members use agents; admins
 * manage agents, keys, members and credentials; owners manage billing and delete the
 * organization; instance operators (a flag on the user, not a role) run the install: the run
 * queue's switch and a scheduler pass for everyone. Any route added without a line here fails
 * the first test, on purpose.
 */
const EXPECTED: Record<string, Access> = {
  'GET /api/v1/openapi.json': 'public',
  'POST /api/v1/auth/signup': 'public',
  'POST /api/v1/auth/signup/confirm': 'public',
  'POST /api/v1/auth/signin': 'public',
  'POST /api/v1/auth/refresh': 'public',
  'POST /api/v1/auth/signout': 'public',
  'GET /api/v1/setup': 'public',
  'POST /api/v1/setup': 'public',
  'GET /api/v1/auth/me': 'user',
  'PATCH /api/v1/auth/me': 'user',
  'POST /api/v1/auth/password': 'user',
  'GET /api/v1/orgs': 'user',
  'POST /api/v1/orgs': 'user',
  'POST /api/v1/invitations/accept': 'user',
  'GET /api/v1/orgs/current': 'viewer',
  'PATCH /api/v1/orgs/current': 'admin', // billing fields additionally need the owner (tested in org.test.ts)
  'DELETE /api/v1/orgs/current': 'owner',
  'GET /api/v1/members': 'viewer',
  'PATCH /api/v1/members/:userId': 'admin',
  'DELETE /api/v1/members/:userId': 'viewer', // anyone may leave; removing others needs admin (org.test.ts)
  'GET /api/v1/invitations': 'admin',
  'POST /api/v1/invitations': 'admin',
  'DELETE /api/v1/invitations/:id': 'admin',
  'GET /api/v1/api-keys': 'admin',
  'POST /api/v1/api-keys': 'admin',
  'DELETE /api/v1/api-keys/:id': 'admin',
  'GET /api/v1/agents': 'viewer',
  'POST /api/v1/agents': 'admin',
  'POST /api/v1/agents/prompt-preview': 'viewer',
  'GET /api/v1/agents/:id': 'viewer',
  'PATCH /api/v1/agents/:id': 'admin',
  'DELETE /api/v1/agents/:id': 'admin',
  'POST /api/v1/agents/:id/restore': 'admin',
  'POST /api/v1/agents/:id/enable': 'admin',
  'POST /api/v1/agents/:id/disable': 'admin',
  'GET /api/v1/agents/:id/prompt': 'viewer',
  'GET /api/v1/agents/:id/versions': 'viewer',
  'GET /api/v1/agents/:id/versions/compare': 'viewer',
  'GET /api/v1/agents/:id/versions/:version': 'viewer',
  'POST /api/v1/agents/:id/versions/:version/restore': 'admin',
  'POST /api/v1/agents/:id/execute': 'member',
  'GET /api/v1/agents/:id/executions': 'viewer',
  'GET /api/v1/agents/:id/metrics': 'viewer',
  'GET /api/v1/runs': 'viewer',
  'GET /api/v1/runs/:id': 'viewer',
  'GET /api/v1/runs/:id/steps': 'viewer',
  'GET /api/v1/runs/:id/events': 'viewer',
  'POST /api/v1/runs/:id/cancel': 'member',
  'POST /api/v1/conversations': 'member',
  'GET /api/v1/conversations': 'viewer',
  'GET /api/v1/conversations/:id': 'viewer',
  'PATCH /api/v1/conversations/:id': 'member',
  'DELETE /api/v1/conversations/:id': 'member',
  'GET /api/v1/conversations/:id/messages': 'viewer',
  'POST /api/v1/conversations/:id/messages': 'member',
  'POST /api/v1/conversations/:id/regenerate': 'member',
  'GET /api/v1/approvals': 'viewer',
  'GET /api/v1/approvals/:id': 'viewer',
  'POST /api/v1/approvals/:id/approve': 'member', // and at least the lowest role that may grant the tool (engine.test.ts)
  'POST /api/v1/approvals/:id/reject': 'member',
  'GET /api/v1/models': 'viewer',
  'GET /api/v1/models/:provider/:modelId': 'viewer',
  'GET /api/v1/providers': 'viewer',
  'GET /api/v1/classification-rules': 'viewer',
  'POST /api/v1/classification-rules': 'admin',
  'PATCH /api/v1/classification-rules/:id': 'admin',
  'DELETE /api/v1/classification-rules/:id': 'admin',
  'POST /api/v1/classification-rules/test': 'viewer',
  'GET /api/v1/tools': 'viewer',
  'GET /api/v1/tool-settings': 'admin',
  'PUT /api/v1/tool-settings': 'admin',
  'PUT /api/v1/tool-settings/webhook-secret': 'admin',
  'DELETE /api/v1/tool-settings/webhook-secret': 'admin',
  'GET /api/v1/notifications': 'viewer',
  'POST /api/v1/notifications/read-all': 'viewer',
  'POST /api/v1/notifications/:id/read': 'viewer',
  'GET /api/v1/tickets': 'viewer',
  'GET /api/v1/tickets/:id': 'viewer',
  'PATCH /api/v1/tickets/:id': 'member',
  'POST /api/v1/tasks': 'member',
  'GET /api/v1/tasks': 'viewer',
  'GET /api/v1/tasks/stats': 'viewer',
  'GET /api/v1/tasks/:id': 'viewer',
  'PATCH /api/v1/tasks/:id': 'member',
  'DELETE /api/v1/tasks/:id': 'member',
  'POST /api/v1/tasks/:id/execute': 'member',
  'GET /api/v1/tasks/:id/executions': 'viewer',
  'POST /api/v1/schedules/validate': 'viewer',
  'GET /api/v1/schedules': 'viewer',
  'GET /api/v1/schedules/:id': 'viewer',
  'POST /api/v1/schedules/:id/pause': 'member',
  'POST /api/v1/schedules/:id/resume': 'member',
  'GET /api/v1/scheduler': 'viewer',
  'POST /api/v1/scheduler/start': 'admin',
  'POST /api/v1/scheduler/stop': 'admin',
  'POST /api/v1/scheduler/check': 'operator', // fires every organization's due schedules
  'GET /api/v1/queue': 'admin', // install-wide figures only for an operator, else the organization's (queue.routes.test.ts)
  'POST /api/v1/queue/pause': 'operator',
  'POST /api/v1/queue/resume': 'operator',
  'GET /api/v1/outbox': 'admin',
  'GET /api/v1/outbox/:id/attachments/:index': 'admin',
  'GET /api/v1/follow-ups': 'viewer',
  'GET /api/v1/inbox/counts': 'viewer',
  'GET /api/v1/usage': 'viewer',
  'GET /api/v1/usage/history': 'viewer',
  'GET /api/v1/usage/export.csv': 'viewer',
  'GET /api/v1/audit': 'admin',
  'GET /api/v1/credentials': 'admin',
  'PUT /api/v1/credentials/:provider': 'admin',
  'DELETE /api/v1/credentials/:provider': 'admin',
  'POST /api/v1/credentials/:provider/test': 'admin',
  'GET /api/v1/fitness/contacts': 'viewer',
  'POST /api/v1/fitness/contacts': 'member',
  'GET /api/v1/fitness/contacts/:id': 'viewer',
  'PATCH /api/v1/fitness/contacts/:id': 'member',
  'DELETE /api/v1/fitness/contacts/:id': 'admin',
  'GET /api/v1/fitness/staff': 'viewer',
  'POST /api/v1/fitness/staff': 'member',
  'GET /api/v1/fitness/staff/:id': 'viewer',
  'PATCH /api/v1/fitness/staff/:id': 'member',
  'DELETE /api/v1/fitness/staff/:id': 'admin',
  'GET /api/v1/fitness/lead-stages': 'viewer',
  'POST /api/v1/fitness/lead-stages': 'member',
  'GET /api/v1/fitness/lead-stages/:id': 'viewer',
  'PATCH /api/v1/fitness/lead-stages/:id': 'member',
  'DELETE /api/v1/fitness/lead-stages/:id': 'admin',
  'GET /api/v1/fitness/notes': 'viewer',
  'POST /api/v1/fitness/notes': 'member',
  'GET /api/v1/fitness/notes/:id': 'viewer',
  'PATCH /api/v1/fitness/notes/:id': 'member',
  'DELETE /api/v1/fitness/notes/:id': 'admin',
  'GET /api/v1/fitness/communications': 'viewer',
  'POST /api/v1/fitness/communications': 'member',
  'GET /api/v1/fitness/communications/:id': 'viewer',
  'PATCH /api/v1/fitness/communications/:id': 'member',
  'DELETE /api/v1/fitness/communications/:id': 'admin',
  'GET /api/v1/fitness/plans': 'viewer',
  'POST /api/v1/fitness/plans': 'member',
  'GET /api/v1/fitness/plans/:id': 'viewer',
  'PATCH /api/v1/fitness/plans/:id': 'member',
  'DELETE /api/v1/fitness/plans/:id': 'admin',
  'GET /api/v1/fitness/subscriptions': 'viewer',
  'POST /api/v1/fitness/subscriptions': 'member',
  'GET /api/v1/fitness/subscriptions/:id': 'viewer',
  'PATCH /api/v1/fitness/subscriptions/:id': 'member',
  'DELETE /api/v1/fitness/subscriptions/:id': 'admin',
  'GET /api/v1/fitness/payments': 'viewer',
  'POST /api/v1/fitness/payments': 'member',
  'GET /api/v1/fitness/payments/:id': 'viewer',
  'PATCH /api/v1/fitness/payments/:id': 'member',
  'DELETE /api/v1/fitness/payments/:id': 'admin',
  'GET /api/v1/fitness/classes': 'viewer',
  'POST /api/v1/fitness/classes': 'member',
  'GET /api/v1/fitness/classes/:id': 'viewer',
  'PATCH /api/v1/fitness/classes/:id': 'member',
  'DELETE /api/v1/fitness/classes/:id': 'admin',
  'GET /api/v1/fitness/sessions': 'viewer',
  'POST /api/v1/fitness/sessions': 'member',
  'GET /api/v1/fitness/sessions/:id': 'viewer',
  'PATCH /api/v1/fitness/sessions/:id': 'member',
  'DELETE /api/v1/fitness/sessions/:id': 'admin',
  'GET /api/v1/fitness/bookings': 'viewer',
  'POST /api/v1/fitness/bookings': 'member',
  'GET /api/v1/fitness/bookings/:id': 'viewer',
  'PATCH /api/v1/fitness/bookings/:id': 'member',
  'DELETE /api/v1/fitness/bookings/:id': 'admin',
  'GET /api/v1/fitness/check-ins': 'viewer',
  'POST /api/v1/fitness/check-ins': 'member',
  'GET /api/v1/fitness/check-ins/:id': 'viewer',
  'PATCH /api/v1/fitness/check-ins/:id': 'member',
  'DELETE /api/v1/fitness/check-ins/:id': 'admin',
  'GET /api/v1/fitness/goals': 'viewer',
  'POST /api/v1/fitness/goals': 'member',
  'GET /api/v1/fitness/goals/:id': 'viewer',
  'PATCH /api/v1/fitness/goals/:id': 'member',
  'DELETE /api/v1/fitness/goals/:id': 'admin',
  'GET /api/v1/fitness/measurements': 'viewer',
  'POST /api/v1/fitness/measurements': 'member',
  'GET /api/v1/fitness/measurements/:id': 'viewer',
  'PATCH /api/v1/fitness/measurements/:id': 'member',
  'DELETE /api/v1/fitness/measurements/:id': 'admin',
  'GET /api/v1/fitness/workout-plans': 'viewer',
  'POST /api/v1/fitness/workout-plans': 'member',
  'GET /api/v1/fitness/workout-plans/:id': 'viewer',
  'PATCH /api/v1/fitness/workout-plans/:id': 'member',
  'DELETE /api/v1/fitness/workout-plans/:id': 'admin',
  'POST /api/v1/fitness/import/contacts': 'member',
  'GET /api/v1/fitness/export/contacts.csv': 'viewer',
  'POST /api/v1/fitness/import/subscriptions': 'member',
  'GET /api/v1/fitness/export/subscriptions.csv': 'viewer',
  'POST /api/v1/fitness/import/payments': 'member',
  'GET /api/v1/fitness/export/payments.csv': 'viewer',
  'GET /api/v1/fitness/sms-settings': 'admin',
  'PUT /api/v1/fitness/sms-settings': 'admin',
  'DELETE /api/v1/fitness/sms-settings': 'admin',
  'GET /api/v1/fitness/sms-outbox': 'admin',
  'GET /api/v1/fitness/social-posts': 'viewer',
  'GET /api/v1/fitness/campaigns': 'viewer',
  // Agent templates, task types and POST /execute, published chats and their public side (docs/fitness.md, docs/widget.md).
  'GET /api/v1/agent-templates': 'viewer',
  'GET /api/v1/agent-templates/:id': 'viewer',
  'POST /api/v1/agent-templates/:id/install': 'admin',
  'GET /api/v1/task-types': 'viewer',
  'PUT /api/v1/task-types/:type': 'admin',
  'DELETE /api/v1/task-types/:type': 'admin',
  'POST /api/v1/execute': 'member',
  'POST /api/v1/ai/workout-recommendations': 'member',
  'POST /api/v1/ai/progress-prediction': 'member',
  'POST /api/v1/ai/scheduling-suggestions': 'member',
  'GET /api/v1/chat-publications': 'viewer',
  'POST /api/v1/chat-publications': 'admin',
  'GET /api/v1/chat-publications/:id': 'viewer',
  'PATCH /api/v1/chat-publications/:id': 'admin',
  'DELETE /api/v1/chat-publications/:id': 'admin',
  // No user credentials: the publication's public key, its origins and a visitor token (public-chat.test.ts).
  'OPTIONS /api/v1/public/chat/:publicKey': 'public',
  'OPTIONS /api/v1/public/chat/:publicKey/*': 'public',
  'GET /api/v1/public/chat/:publicKey': 'public',
  'POST /api/v1/public/chat/:publicKey/sessions': 'public',
  'GET /api/v1/public/chat/:publicKey/messages': 'public',
  'POST /api/v1/public/chat/:publicKey/messages': 'public',
  'POST /api/v1/fitness/demo': 'admin',
  'GET /api/v1/fitness/analytics/mrr': 'viewer',
  'GET /api/v1/fitness/analytics/arr': 'viewer',
  'GET /api/v1/fitness/analytics/revenue': 'viewer',
  'GET /api/v1/fitness/analytics/churn': 'viewer',
  'GET /api/v1/fitness/analytics/ltv': 'viewer',
  'GET /api/v1/fitness/analytics/turnover': 'viewer',
  'GET /api/v1/fitness/analytics/payment-trends': 'viewer',
  'GET /api/v1/fitness/analytics/class-attendance': 'viewer',
  'GET /api/v1/fitness/analytics/member-engagement': 'viewer',
  'GET /api/v1/fitness/analytics/no-show-rates': 'viewer',
  'GET /api/v1/fitness/analytics/at-risk-members': 'viewer',
  'GET /api/v1/fitness/analytics/operations': 'viewer',
  // Workflow definitions (issue 15): viewers read, export and validate; admins write, as for agents.
  'GET /api/v1/workflows': 'viewer',
  'POST /api/v1/workflows': 'admin',
  'POST /api/v1/workflows/validate': 'viewer',
  'POST /api/v1/workflows/import': 'admin',
  'GET /api/v1/workflows/:id': 'viewer',
  'PUT /api/v1/workflows/:id': 'admin',
  'DELETE /api/v1/workflows/:id': 'admin',
  'POST /api/v1/workflows/:id/unarchive': 'admin',
  'GET /api/v1/workflows/:id/versions': 'viewer',
  'GET /api/v1/workflows/:id/versions/compare': 'viewer',
  'GET /api/v1/workflows/:id/versions/:version': 'viewer',
  'POST /api/v1/workflows/:id/versions/:version/restore': 'admin',
  'GET /api/v1/workflows/:id/export': 'viewer',
  'POST /api/v1/workflows/:id/run': 'member',
  'POST /api/v1/workflows/:id/nodes/:nodeId/test': 'member',
  'GET /api/v1/runs/:id/nodes': 'viewer',
  // Events, triggers and inbound webhooks (docs/events.md); their public intake, POST /hooks/:id, is outside /api/v1 (events.routes.test.ts).
  'POST /api/v1/events': 'member',
  'GET /api/v1/events': 'viewer',
  'GET /api/v1/events/:id': 'viewer',
  'POST /api/v1/events/:id/replay': 'admin',
  'GET /api/v1/trigger-fires': 'viewer',
  'GET /api/v1/triggers': 'viewer',
  'POST /api/v1/triggers': 'admin',
  'GET /api/v1/triggers/:id': 'viewer',
  'PATCH /api/v1/triggers/:id': 'admin',
  'DELETE /api/v1/triggers/:id': 'admin',
  'GET /api/v1/webhooks': 'viewer',
  'POST /api/v1/webhooks': 'admin',
  'GET /api/v1/webhooks/:id': 'viewer',
  'PATCH /api/v1/webhooks/:id': 'admin',
  'POST /api/v1/webhooks/:id/rotate-secret': 'admin',
  'DELETE /api/v1/webhooks/:id': 'admin',
  'GET /api/v1/webhooks/:id/deliveries': 'viewer',
  'POST /api/v1/webhooks/:id/test': 'admin',
  // Database change sources (docs/db-sources.md): admins only, reading too (the organization's database).
  'GET /api/v1/db-sources': 'admin',
  'POST /api/v1/db-sources': 'admin',
  'GET /api/v1/db-sources/:id': 'admin',
  'PATCH /api/v1/db-sources/:id': 'admin',
  'DELETE /api/v1/db-sources/:id': 'admin',
  'POST /api/v1/db-sources/:id/test': 'admin',
  'GET /api/v1/db-sources/:id/tables': 'admin',
  // Staff and pipelines (docs/pipelines.md): members read (contact details) and move items; admins configure.
  'GET /api/v1/staff': 'member',
  'POST /api/v1/staff': 'admin',
  'GET /api/v1/staff/:id': 'member',
  'PATCH /api/v1/staff/:id': 'admin',
  'DELETE /api/v1/staff/:id': 'admin',
  'GET /api/v1/pipelines': 'member',
  'GET /api/v1/pipelines/context': 'member',
  'POST /api/v1/pipelines': 'admin',
  'GET /api/v1/pipelines/:id': 'member',
  'PATCH /api/v1/pipelines/:id': 'admin',
  'DELETE /api/v1/pipelines/:id': 'admin',
  'GET /api/v1/pipelines/:id/items': 'member',
  'POST /api/v1/pipelines/:id/items': 'member',
  'GET /api/v1/pipeline-items/:id': 'member',
  'PATCH /api/v1/pipeline-items/:id': 'member',
  // Decisions (docs/decision-engine.md).
  'POST /api/v1/decisions': 'member',
  'GET /api/v1/decisions': 'viewer',
  'GET /api/v1/decisions/analytics': 'viewer',
  'GET /api/v1/decisions/:id': 'viewer',
  'POST /api/v1/decisions/:id/approve': 'member',
  'POST /api/v1/decisions/:id/reject': 'member',
  'POST /api/v1/decisions/bulk': 'member',
  'GET /api/v1/decision-policies': 'viewer',
  'GET /api/v1/decision-policies/:id': 'viewer',
  'POST /api/v1/decision-policies': 'admin',
  'PUT /api/v1/decision-policies/:id': 'admin',
  'DELETE /api/v1/decision-policies/:id': 'admin',
  // Calendars (docs/calendars.md); the ICS feed, GET /ical/:file, is public outside /api/v1 (calendars.routes.test.ts).
  'GET /api/v1/calendars': 'viewer',
  'POST /api/v1/calendars': 'admin',
  'GET /api/v1/calendars/:id': 'viewer',
  'PATCH /api/v1/calendars/:id': 'admin',
  'DELETE /api/v1/calendars/:id': 'admin',
  'POST /api/v1/calendars/:id/ics-token': 'admin',
  'GET /api/v1/calendars/:id/free-slots': 'viewer',
  'GET /api/v1/calendars/:id/events': 'viewer',
  'POST /api/v1/calendars/:id/events': 'member',
  'GET /api/v1/calendar-events/:id': 'viewer',
  'PATCH /api/v1/calendar-events/:id': 'member',
  'POST /api/v1/calendar-events/:id/cancel': 'member',
  // Email inboxes (docs/email.md); their public intake, POST /hooks/email/:inboxId, is outside /api/v1 (email-in tests).
  'GET /api/v1/email-inboxes': 'member',
  'POST /api/v1/email-inboxes': 'admin',
  'GET /api/v1/email-inboxes/:id': 'member',
  'PATCH /api/v1/email-inboxes/:id': 'admin',
  'DELETE /api/v1/email-inboxes/:id': 'admin',
  'POST /api/v1/email-inboxes/:id/rotate-token': 'admin',
  'POST /api/v1/email-inboxes/:id/test-connection': 'admin',
  'POST /api/v1/email-inboxes/:id/poll': 'admin',
  'GET /api/v1/email-inboxes/:id/deliveries': 'member',
};

const fill = (url: string, value: string) => url.replace(/:[A-Za-z]+/g, value);

describe('every route', () => {
  let t: TestApp;
  let r: Awaited<ReturnType<typeof seedRoles>>;
  let key: string;
  let operator: Member;
  beforeAll(async () => {
    t = await createTestApp('postgres');
    r = await seedRoles(t.ctx);
    // An operator with the weakest role: being an operator does not depend on the role.
    operator = await seedOperator(t.ctx, 'viewer', r.owner.orgId);
    key = json<{ key: string }>(await t.app.inject({ method: 'POST', url: '/api/v1/api-keys', headers: r.owner.headers, payload: { name: 'k', role: 'owner' } })).key;
  });
  afterAll(() => t.close());

  const routes = () => t.app.accessTable.map((x) => ({ ...x, name: `${x.method} ${x.url}` }));

  it('declares exactly the access levels of the role rules', () => {
    expect(Object.fromEntries(routes().map((x) => [x.name, x.access]))).toEqual(EXPECTED);
  });

  it('answers 401 problem+json without credentials, and with a bogus token', async () => {
    for (const route of routes().filter((x) => x.access !== 'public')) {
      const url = fill(route.url, randomUUID());
      const none = await t.app.inject({ method: route.method as 'GET', url, payload: {} });
      expect(none.statusCode, route.name).toBe(401);
      expectProblem(none, 401);
      const bogus = await t.app.inject({ method: route.method as 'GET', url, payload: {}, headers: { authorization: 'Bearer trp_bogus' } });
      expect(bogus.statusCode, route.name).toBe(401);
    }
  });

  it('answers 403 to the role just below the required one, and lets the required role through', async () => {
    const byRole: Record<Role, typeof r.owner> = { viewer: r.viewer, member: r.member, admin: r.admin, owner: r.owner };
    for (const route of routes()) {
      if (route.access === 'public' || route.access === 'user') continue;
      const url = fill(route.url, randomUUID());
      if (route.access === 'operator') {
        // Every role below an operator is refused: even an owner, who runs only an organization.
        const res = await t.app.inject({ method: route.method as 'GET', url, headers: r.owner.headers, payload: {} });
        expect(res.statusCode, `${route.name} as a non-operator owner`).toBe(403);
        expect(expectProblem(res, 403).code).toBe('operator_required');
        const at = await t.app.inject({ method: route.method as 'GET', url, headers: operator.headers, payload: {} });
        expect([401, 403], `${route.name} as an operator: ${at.body}`).not.toContain(at.statusCode);
        continue;
      }
      const rank = ROLES.indexOf(route.access);
      if (rank > 0) {
        const below = byRole[ROLES[rank - 1]!];
        const res = await t.app.inject({ method: route.method as 'GET', url, headers: below.headers, payload: {} });
        expect(res.statusCode, `${route.name} as ${below.role}`).toBe(403);
        expect(expectProblem(res, 403).code).toBe('insufficient_role');
      }
      // The required role passes the access check (whatever the handler then says about the input).
      const at = await t.app.inject({ method: route.method as 'GET', url, headers: byRole[route.access].headers, payload: {} });
      expect([401, 403], `${route.name} as ${route.access}: ${at.body}`).not.toContain(at.statusCode);
    }
  });

  it("'user' and 'operator' routes refuse API keys (even an owner's); role routes accept them", async () => {
    for (const route of routes().filter((x) => x.access === 'user' || x.access === 'operator')) {
      const res = await t.app.inject({ method: route.method as 'GET', url: route.url, headers: { authorization: `Bearer ${key}` }, payload: {} });
      expect(res.statusCode, route.name).toBe(403);
    }
    const ok = await t.app.inject({ url: '/api/v1/agents', headers: { authorization: `Bearer ${key}` } });
    expect(ok.statusCode).toBe(200);
  });

  it('never answers 500 to anything a client can send', { timeout: 180_000 }, async () => {
    const spec = json<{ paths: Record<string, Record<string, { requestBody?: { content: Record<string, { schema: { properties?: object } }> } }>> }>(
      await t.app.inject({ url: '/api/v1/openapi.json' }),
    );
    const hostile: unknown[] = [null, -1, 1e308, 'x'.repeat(20_000), [], {}, true, '\u0000', "'; drop table agents; --", { $gt: '' }, [1, 'a', null]];
    const params = [randomUUID(), 'not-a-uuid', '%00', 'a'.repeat(600), '..%2F..%2Fetc%2Fpasswd'];
    const queries = ['', '?limit=-1&offset=abc&cursor=%25%25&sortBy=drop&sortOrder=sideways&status=1&includeDeleted=maybe', '?limit=1e9&cursor=eyJ4Ijp9&from=a&to=-3'];
    const failures: string[] = [];
    for (const route of routes()) {
      if (route.name === 'DELETE /api/v1/orgs/current') continue; // a hostile body cannot match the name; tested in org.test.ts
      const specPath = route.url.replace(/:([A-Za-z]+)/g, '{$1}');
      const props = Object.keys(spec.paths[specPath]?.[route.method.toLowerCase()]?.requestBody?.content['application/json']?.schema.properties ?? {});
      const bodies: unknown[] = [undefined, ...hostile, ...hostile.map((v) => Object.fromEntries(props.map((p) => [p, v])))];
      const hasParams = route.url.includes(':');
      const isRead = route.method === 'GET' || route.method === 'DELETE';
      for (const param of hasParams ? params : [params[0]!]) {
        for (const query of isRead ? queries : ['']) {
          for (const body of isRead ? [undefined] : bodies) {
            const res = await t.app.inject({
              method: route.method as 'GET',
              url: fill(route.url, param) + query,
              headers: { ...r.owner.headers, 'content-type': 'application/json' },
              ...(body === undefined ? {} : { payload: JSON.stringify(body) }),
            });
            if (res.statusCode >= 500) failures.push(`${route.name} ${param} ${query} ${JSON.stringify(body)?.slice(0, 80)} → ${res.statusCode} ${res.body.slice(0, 200)}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
  });
});
