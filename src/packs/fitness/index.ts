import type { FastifyInstance } from 'fastify';
import type { AppContext } from '../../app.js';
import type { Database } from '../../db/client.js';
import { registerFitnessCrmRoutes } from './crm/routes.js';
import { createFitnessCrm, type FitnessCrm } from './crm/service.js';
import { registerFitnessDemoRoutes } from './demo/routes.js';
import { registerFitnessToolRoutes } from './tools/routes.js';

/**
 * The fitness domain pack: a gym's CRM (crm/: tables, API, CSV import and export) under the same
 * tenancy as every other table. Later parts (tools, analytics, the demo gym, agent templates)
 * build on `fitnessCrmOf(database)`.
 */

export type { FitnessCrm } from './crm/service.js';

const crms = new WeakMap<Database, FitnessCrm>();

/** The CRM over `database` (one per database, made on first use). */
export function fitnessCrmOf(database: Database): FitnessCrm {
  let crm = crms.get(database);
  if (!crm) crms.set(database, (crm = createFitnessCrm(database)));
  return crm;
}

/**
 * The pack's routes under /fitness (inside the /api/v1 plugin). They sit in a plugin of their own
 * so the text/csv body parser of the import routes applies to them alone.
 */
export function registerFitnessRoutes(api: FastifyInstance, ctx: AppContext): void {
  void api.register(async (scope) => registerFitnessCrmRoutes(scope, () => fitnessCrmOf(ctx.database)));
  registerFitnessDemoRoutes(api, ctx.database);
  registerFitnessToolRoutes(api, { database: ctx.database, secrets: ctx.secrets });
}
