import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { AppContext } from '../app.js';
import { actorOf } from '../http/access.js';
import { problemResponses, problemSchema } from '../http/problem.js';
import { maskedUrl } from './connection.js';
import { createDbSourceBody, dbSourceSchema, deleteResultSchema, sourceTableSchema, testResultSchema, updateDbSourceBody } from './dto.js';
import { eventTableName, parseTableName } from './identifiers.js';
import type { DbSourceRow } from './service.js';

const idParams = z.object({ id: z.string().max(100) });

/** What the API shows of a source: the connection without its password, and its event types' prefix. */
export function sourceView(row: DbSourceRow, warning: string | null = null) {
  const { connectionEnc: _secret, connectionView, lastLogId: _l, pollCursor: _c, pollKey: _k, leaseOwner: _o, leaseUntil: _u, createdBy: _b, ...rest } = row;
  const table = row.tableName ? parseTableName(row.tableName) : null;
  return {
    ...rest,
    connection: { host: connectionView.host, port: connectionView.port, database: connectionView.database, user: connectionView.user, sslmode: connectionView.sslmode, masked: maskedUrl(connectionView) },
    eventTypePrefix: table ? `db.${eventTableName(table)}` : null,
    warning,
  };
}

/** Database change sources (issue 16; docs/db-sources.md): an admin's, all of them (the connection is the organization's database). */
export function registerDbSourceRoutes(app: FastifyInstance, ctx: AppContext): void {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const { dbSources } = ctx.services;
  const tags = ['db-sources'];
  r.get('/db-sources', { config: { access: 'admin' }, schema: { tags, summary: "The organization's database sources", response: { 200: z.object({ items: z.array(dbSourceSchema) }), ...problemResponses } } }, async (req) => ({
    items: (await dbSources.list(actorOf(req))).map((row) => sourceView(row)),
  }));
  r.post(
    '/db-sources',
    {
      config: { access: 'admin', audit: { action: 'db_source.created', targetType: 'db_source' } },
      schema: { tags, summary: "A PostgreSQL database's table whose changes become events (enabled: the trigger is installed now)", body: createDbSourceBody, response: { 201: dbSourceSchema, ...problemResponses } },
    },
    async (req, reply) => reply.code(201).send(sourceView(await dbSources.create(actorOf(req), req.body))),
  );
  r.get('/db-sources/:id', { config: { access: 'admin' }, schema: { tags, summary: 'One database source', params: idParams, response: { 200: dbSourceSchema, ...problemResponses } } }, async (req) =>
    sourceView(await dbSources.get(actorOf(req), req.params.id)),
  );
  r.patch(
    '/db-sources/:id',
    {
      config: { access: 'admin', audit: { action: 'db_source.updated', targetType: 'db_source' } },
      schema: { tags, summary: 'Change a source; enabled false drops its trigger (warning: when the database could not be reached)', params: idParams, body: updateDbSourceBody, response: { 200: dbSourceSchema, ...problemResponses } },
    },
    async (req) => {
      const { row, warning } = await dbSources.update(actorOf(req), req.params.id, req.body);
      return sourceView(row, warning);
    },
  );
  r.delete(
    '/db-sources/:id',
    {
      config: { access: 'admin', audit: { action: 'db_source.deleted', targetType: 'db_source' } },
      schema: { tags, summary: 'Delete a source and drop its trigger (best effort: warning says when the database could not be reached)', params: idParams, response: { 200: deleteResultSchema, ...problemResponses } },
    },
    async (req) => ({ deleted: true as const, ...(await dbSources.remove(actorOf(req), req.params.id)) }),
  );
  r.post(
    '/db-sources/:id/test',
    { config: { access: 'admin' }, schema: { tags, summary: 'Connect to the database and list its tables; ok false with the error when it cannot', params: idParams, response: { 200: testResultSchema, ...problemResponses } } },
    async (req) => dbSources.test(actorOf(req), req.params.id),
  );
  r.get(
    '/db-sources/:id/tables',
    { config: { access: 'admin' }, schema: { tags, summary: "The database's tables with their columns (502 when it cannot be reached)", params: idParams, response: { 200: z.object({ items: z.array(sourceTableSchema) }), ...problemResponses, 502: problemSchema } } },
    async (req) => ({ items: await dbSources.tables(actorOf(req), req.params.id) }),
  );
}
