import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import { actorOf } from '../http/access.js';
import { problemResponses, problemSchema } from '../http/problem.js';
import { pageOf, pageQuery } from '../shared/pagination.js';
import {
  createWorkflowBody,
  createWorkflowEnvelope,
  restoreVersionBody,
  saveWorkflowBody,
  saveWorkflowEnvelope,
  validateWorkflowBody,
  validateWorkflowEnvelope,
  validationResultSchema,
  versionComparisonSchema,
  workflowFileSchema,
  workflowLoose,
  workflowSchema,
  workflowListItemSchema,
  workflowVersionLoose,
  workflowVersionSchema,
  workflowVersionSummarySchema,
  type Workflow,
} from './dto.js';
import { EXPORT_FORMATS, YAML_MEDIA_TYPES } from './file-format.js';
import { listWorkflowsQuery } from './list-query.js';
import type { WorkflowService } from './service.js';
import type { RunService } from '../runs/service.js';

const tags = ['workflows'];
const errors = { ...problemResponses, 412: problemSchema };
/** Ids are plain strings so a malformed id answers 404 like any unknown one (the service checks the format). */
const idParams = z.object({ id: z.string().max(100).describe('Workflow id (UUID)') });
const versionParams = idParams.extend({ version: z.string().max(20).describe('Version number (1, 2, …)') });
const compareQuery = z.object({
  from: z.coerce.number().int().min(1),
  to: z.coerce.number().int().min(1).optional().describe('Default: the current version'),
});
const exportQuery = z.object({
  format: z.enum(EXPORT_FORMATS).default('json'),
  version: z.coerce.number().int().min(1).optional().describe('Default: the current version'),
});
const ifMatchHeaders = z.object({ 'if-match': z.string().max(200).optional().describe('"<version>": fail with 412 unless the workflow is at that version') });

const INVALID = 'A definition with problems answers 400 `invalid_workflow`: each entry of `errors` has the `path` of the field in the request, and the `nodeId` and `field` (path inside the node or the definition) that validation names.';

/**
 * The schemas a route checks and serializes with, where they differ from the ones it documents
 * (see dto.ts): definitions in bodies go to validateWorkflow as they came; definitions in
 * responses go out as stored.
 */
const RUNTIME = new Map<unknown, unknown>([
  [createWorkflowBody, createWorkflowEnvelope],
  [saveWorkflowBody, saveWorkflowEnvelope],
  [validateWorkflowBody, validateWorkflowEnvelope],
  [workflowFileSchema, z.unknown()],
  [workflowSchema, workflowLoose],
  [workflowVersionSchema, workflowVersionLoose],
]);

const withEtag = (reply: FastifyReply, w: Workflow) => {
  reply.header('etag', `"${w.currentVersion}"`);
  return w;
};
const ifMatchOf = (req: FastifyRequest) => {
  const v = req.headers['if-match'];
  return Array.isArray(v) ? v.join(',') : v;
};

/**
 * /workflows: definitions, their versions, comparison and restore, export and import, and
 * validation without saving. Viewers read, export and validate; admins create, save, archive,
 * restore and import (as for agents). In a plugin of its own, so the YAML body parser and the
 * swapped schema compilers apply to these routes alone.
 */
export function registerWorkflowRoutes(api: FastifyInstance, ctx: AppContext): void {
  void api.register(async (scope) => {
    // The import's body may be the file as text (YAML, or JSON, which is YAML too).
    scope.addContentTypeParser(YAML_MEDIA_TYPES, { parseAs: 'string' }, (_req, body, done) => done(null, body));
    scope.setValidatorCompiler((req) => validatorCompiler({ ...req, schema: (RUNTIME.get(req.schema) ?? req.schema) as z.ZodType }));
    scope.setSerializerCompiler((req) => serializerCompiler({ ...req, schema: (RUNTIME.get(req.schema) ?? req.schema) as z.ZodType }));
    routes(scope, () => ctx.services.workflows, (actor, ids) => ctx.services.runs.workflowStats(actor, ids));
  });
}

function routes(app: FastifyInstance, workflows: () => WorkflowService, statsOf: RunService['workflowStats']): void {
  const r = app.withTypeProvider<ZodTypeProvider>();

  r.post(
    '/workflows',
    {
      config: { access: 'admin', audit: { action: 'workflow.created', targetType: 'workflow' } },
      schema: { tags, summary: 'Create a workflow (version 1)', description: INVALID, body: createWorkflowBody, response: { 201: workflowSchema, ...errors } },
    },
    async (req, reply) => reply.code(201).send(withEtag(reply, await workflows().create(actorOf(req), req.body))),
  );

  r.get(
    '/workflows',
    {
      config: { access: 'viewer' },
      schema: {
        tags,
        summary: 'List workflows (search, tag, archived; offset or cursor pages), each with its latest run and its last 30 days: runs finished, succeeded, failed, cost',
        querystring: listWorkflowsQuery,
        response: { 200: pageOf(workflowListItemSchema), ...errors },
      },
    },
    async (req) => {
      const actor = actorOf(req);
      const page = await workflows().list(actor, req.query);
      const stats = await statsOf(actor, page.items.map((w) => w.id));
      return { ...page, items: page.items.map((w) => ({ ...w, stats: stats.get(w.id)! })) };
    },
  );

  r.post(
    '/workflows/validate',
    {
      config: { access: 'viewer' },
      schema: { tags, summary: "A definition's problems, each with its node and field (nothing is saved)", body: validateWorkflowBody, response: { 200: validationResultSchema, ...errors } },
    },
    async (req) => workflows().validate(actorOf(req), req.body.definition, req.body.workflowId),
  );

  r.post(
    '/workflows/import',
    {
      config: { access: 'admin', audit: { action: 'workflow.imported', targetType: 'workflow' } },
      schema: {
        tags,
        summary: 'Create a workflow from an exported file (JSON or YAML)',
        description: `The body is the file: JSON (application/json), or its text as YAML or JSON (application/yaml, text/yaml, text/plain). ${INVALID}`,
        consumes: ['application/json', 'application/yaml', 'text/yaml', 'text/plain'],
        body: workflowFileSchema,
        response: { 201: workflowSchema, ...errors },
      },
    },
    async (req, reply) => reply.code(201).send(withEtag(reply, await workflows().importFile(actorOf(req), req.body as unknown))),
  );

  r.get(
    '/workflows/:id',
    {
      config: { access: 'viewer' },
      schema: { tags, summary: 'Get a workflow with its current definition (ETag: its version)', params: idParams, response: { 200: workflowSchema, ...errors } },
    },
    async (req, reply) => withEtag(reply, await workflows().get(actorOf(req), req.params.id)),
  );

  r.put(
    '/workflows/:id',
    {
      config: { access: 'admin', audit: { action: 'workflow.updated', targetType: 'workflow' } },
      schema: {
        tags,
        summary: 'Save a workflow: the definition becomes a new version',
        description: `Optimistic: \`expectedVersion\` (409) or \`If-Match: "<version>"\` (412). An archived workflow is not saved (409 workflow_archived). ${INVALID}`,
        params: idParams,
        headers: ifMatchHeaders,
        body: saveWorkflowBody,
        response: { 200: workflowSchema, ...errors },
      },
    },
    async (req, reply) => withEtag(reply, await workflows().save(actorOf(req), req.params.id, req.body, ifMatchOf(req))),
  );

  r.delete(
    '/workflows/:id',
    {
      config: { access: 'admin', audit: { action: 'workflow.archived', targetType: 'workflow' } },
      schema: { tags, summary: 'Archive a workflow (out of lists; its versions stay)', params: idParams, response: { 204: z.null(), ...errors } },
    },
    async (req, reply) => {
      await workflows().archive(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );

  r.post(
    '/workflows/:id/unarchive',
    {
      config: { access: 'admin', audit: { action: 'workflow.unarchived', targetType: 'workflow' } },
      schema: { tags, summary: 'Undo an archive', params: idParams, response: { 200: workflowSchema, ...errors } },
    },
    async (req, reply) => withEtag(reply, await workflows().unarchive(actorOf(req), req.params.id)),
  );

  r.get(
    '/workflows/:id/versions',
    {
      config: { access: 'viewer' },
      schema: { tags, summary: "A workflow's versions, newest first", params: idParams, querystring: pageQuery, response: { 200: pageOf(workflowVersionSummarySchema), ...errors } },
    },
    async (req) => workflows().listVersions(actorOf(req), req.params.id, req.query),
  );

  // Static segment: find-my-way tries it before the :version parameter below.
  r.get(
    '/workflows/:id/versions/compare',
    {
      config: { access: 'viewer' },
      schema: {
        tags,
        summary: 'What changed between two versions: nodes added, removed and changed, edges added and removed, other fields changed',
        params: idParams,
        querystring: compareQuery,
        response: { 200: versionComparisonSchema, ...errors },
      },
    },
    async (req) => workflows().compare(actorOf(req), req.params.id, req.query.from, req.query.to),
  );

  r.get(
    '/workflows/:id/versions/:version',
    {
      config: { access: 'viewer' },
      schema: { tags, summary: 'One version with its definition', params: versionParams, response: { 200: workflowVersionSchema, ...errors } },
    },
    async (req) => workflows().getVersion(actorOf(req), req.params.id, req.params.version),
  );

  r.post(
    '/workflows/:id/versions/:version/restore',
    {
      config: { access: 'admin', audit: { action: 'workflow.version_restored', targetType: 'workflow' } },
      schema: {
        tags,
        summary: "Bring back a version's definition, as a new version (validated again)",
        description: `Optimistic as a save. ${INVALID}`,
        params: versionParams,
        headers: ifMatchHeaders,
        body: restoreVersionBody,
        response: { 200: workflowSchema, ...errors },
      },
    },
    async (req, reply) =>
      withEtag(reply, await workflows().restoreVersion(actorOf(req), req.params.id, req.params.version, { ...req.body, ifMatch: ifMatchOf(req) })),
  );

  r.get(
    '/workflows/:id/export',
    {
      config: { access: 'viewer' },
      schema: {
        tags,
        summary: 'The workflow as a file: {troupeWorkflow: 1, ...definition}, JSON or YAML',
        description: 'Importing the file and exporting the new workflow gives the same bytes.',
        params: idParams,
        querystring: exportQuery,
        // Sent as text: the schema only documents it.
        response: { 200: z.string().describe('The file (application/json or application/yaml)'), ...errors },
      },
    },
    async (req, reply) => {
      const file = await workflows().exportFile(actorOf(req), req.params.id, req.query.format, req.query.version);
      return reply.type(file.contentType).header('content-disposition', `attachment; filename="${file.filename}"`).send(file.body);
    },
  );
}
