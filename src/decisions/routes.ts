import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import { actorOf } from '../http/access.js';
import { problemResponses } from '../http/problem.js';
import { pageOf } from '../shared/pagination.js';
import {
  analyticsQuery,
  analyticsSchema,
  approveDecisionBody,
  bulkDecideBody,
  decisionSchema,
  listDecisionsQuery,
  policyBody,
  policySchema,
  processBody,
  rejectDecisionBody,
} from './dto.js';

const idParams = z.object({ id: z.string().max(100) });
const tags = ['decisions'];

/** Decisions, their approval, analytics and policies (issue 16; docs/decision-engine.md). */
export function registerDecisionRoutes(app: FastifyInstance, ctx: AppContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { decisions, runs } = ctx.services;

  r.post(
    '/decisions',
    {
      config: { access: 'member' },
      schema: {
        tags,
        summary: 'Have an agent decide on an input (202 with the pending decision; ?wait=true: 200 once it is executed, rejected, failed or waits for a person)',
        body: processBody,
        querystring: z.object({ wait: z.stringbool().default(false) }),
        headers: z.object({ 'idempotency-key': z.string().min(1).max(200).optional() }),
        response: { 200: decisionSchema, 202: decisionSchema, ...problemResponses },
      },
    },
    async (req, reply) => {
      const actor = actorOf(req);
      const { decision } = await decisions.process(actor, req.body, req.headers['idempotency-key']);
      if (!req.query.wait) return reply.code(202).send(decision);
      await runs.waitForRest(actor, decision.id, ctx.config.TROUPE_RUN_WAIT_SECONDS * 1000, undefined, { pastChildRuns: true });
      const now = await decisions.get(actor, decision.id);
      return reply.code(now.status === 'pending' || now.status === 'approved' ? 202 : 200).send(now);
    },
  );
  r.get(
    '/decisions',
    { config: { access: 'viewer' }, schema: { tags, summary: 'Decision records, newest first (status, agent, intent, type, source, time)', querystring: listDecisionsQuery, response: { 200: pageOf(decisionSchema), ...problemResponses } } },
    async (req) => decisions.list(actorOf(req), req.query),
  );
  r.get(
    '/decisions/analytics',
    { config: { access: 'viewer' }, schema: { tags, summary: 'By intent and type: counts, confidence histogram, auto-execution, approval and edit rates', querystring: analyticsQuery, response: { 200: analyticsSchema, ...problemResponses } } },
    async (req) => decisions.analytics(actorOf(req), req.query),
  );
  r.get(
    '/decisions/:id',
    { config: { access: 'viewer' }, schema: { tags, summary: 'One decision record: input, prompt, raw answer, decision, policy outcome, actions and their results', params: idParams, response: { 200: decisionSchema, ...problemResponses } } },
    async (req) => decisions.get(actorOf(req), req.params.id),
  );
  r.post(
    '/decisions/:id/approve',
    {
      config: { access: 'member', audit: { action: 'decision.approved', targetType: 'decision' } },
      schema: { tags, summary: 'Approve a decision waiting for a person, optionally with changed actions; its actions run once', params: idParams, body: approveDecisionBody.optional(), response: { 200: decisionSchema, ...problemResponses } },
    },
    async (req) => decisions.approve(actorOf(req), req.params.id, req.body ?? {}),
  );
  r.post(
    '/decisions/:id/reject',
    {
      config: { access: 'member', audit: { action: 'decision.rejected', targetType: 'decision' } },
      schema: { tags, summary: 'Reject a decision waiting for a person: nothing it proposed happens', params: idParams, body: rejectDecisionBody.optional(), response: { 200: decisionSchema, ...problemResponses } },
    },
    async (req) => decisions.reject(actorOf(req), req.params.id, req.body?.comment),
  );
  r.post(
    '/decisions/bulk',
    {
      config: { access: 'member', audit: { action: 'decision.bulk_decided', targetType: 'decision' } },
      schema: {
        tags,
        summary: 'Approve or reject several waiting decisions (each on its own: one that cannot be says why)',
        body: bulkDecideBody,
        response: { 200: z.object({ items: z.array(z.object({ id: z.uuid(), ok: z.boolean(), status: z.number().int().optional(), code: z.string().optional(), message: z.string().optional() })) }), ...problemResponses },
      },
    },
    async (req) => ({ items: await decisions.bulk(actorOf(req), req.body.ids, req.body.decision, req.body.comment) }),
  );

  // ---- policies ----
  r.get(
    '/decision-policies',
    { config: { access: 'viewer' }, schema: { tags, summary: "Decision policies (an agent's default, and per decision type)", querystring: z.object({ agentId: z.uuid().optional() }), response: { 200: z.object({ items: z.array(policySchema) }), ...problemResponses } } },
    async (req) => ({ items: await decisions.policies(actorOf(req), req.query.agentId) }),
  );
  r.get(
    '/decision-policies/:id',
    { config: { access: 'viewer' }, schema: { tags, summary: 'One decision policy', params: idParams, response: { 200: policySchema, ...problemResponses } } },
    async (req) => decisions.policy(actorOf(req), req.params.id),
  );
  r.post(
    '/decision-policies',
    {
      config: { access: 'admin', audit: { action: 'decision_policy.created', targetType: 'decision_policy' } },
      schema: { tags, summary: 'Create a policy for an agent (decisionType null: its default)', body: policyBody, response: { 201: policySchema, ...problemResponses } },
    },
    async (req, reply) => reply.code(201).send(await decisions.createPolicy(actorOf(req), req.body)),
  );
  r.put(
    '/decision-policies/:id',
    {
      config: { access: 'admin', audit: { action: 'decision_policy.updated', targetType: 'decision_policy' } },
      schema: { tags, summary: 'Replace a policy (its agent and type stay)', params: idParams, body: policyBody, response: { 200: policySchema, ...problemResponses } },
    },
    async (req) => decisions.updatePolicy(actorOf(req), req.params.id, req.body),
  );
  r.delete(
    '/decision-policies/:id',
    {
      config: { access: 'admin', audit: { action: 'decision_policy.deleted', targetType: 'decision_policy' } },
      schema: { tags, summary: 'Delete a policy (the defaults apply again)', params: idParams, response: { 204: z.null(), ...problemResponses } },
    },
    async (req, reply) => {
      await decisions.deletePolicy(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
}
