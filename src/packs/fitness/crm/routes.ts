import { Readable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../../http/access.js';
import { problemResponses, problemSchema } from '../../../http/problem.js';
import { pageOf } from '../../../shared/pagination.js';
import { IMPORT_MODES, MAX_IMPORT_ROWS, MAX_REPORTED_ERRORS, type ImportReport } from './csv-import.js';
import * as classes from './dto/classes.js';
import * as memberships from './dto/memberships.js';
import * as people from './dto/people.js';
import * as progress from './dto/progress.js';
import { importFields, type ImportEntity } from './import-specs.js';
import type { FitnessCrm } from './service.js';
import type { Values } from './resource.js';

export const FITNESS_PREFIX = '/fitness';
const tags = ['fitness'];
/** Import bodies: a 10,000-row file is about 1.5 MB; up to MAX_IMPORT_ROWS rows fit. */
export const IMPORT_BODY_LIMIT = 16 * 1024 * 1024;

const idParams = z.object({ id: z.string().max(100).describe('Id (UUID)') });

interface Crud {
  list(actor: ReturnType<typeof actorOf>, q: never): Promise<unknown>;
  get(actor: ReturnType<typeof actorOf>, id: string): Promise<unknown>;
  create(actor: ReturnType<typeof actorOf>, input: Values): Promise<unknown>;
  update(actor: ReturnType<typeof actorOf>, id: string, patch: Values): Promise<unknown>;
  remove(actor: ReturnType<typeof actorOf>, id: string): Promise<void>;
}

interface CrudRoutes {
  /** URL segment: /fitness/<path>. */
  path: string;
  /** Singular for summaries and audit actions: "contact" → fitness.contact.created. */
  noun: string;
  resource: Crud;
  list: z.ZodType;
  create: z.ZodType;
  update: z.ZodType;
  view: z.ZodType;
}

/**
 * The five routes of one entity: list (viewer), get (viewer), create (member), change (member),
 * delete (admin: deletes are final and some take other rows with them).
 */
function registerCrud(app: FastifyInstance, spec: CrudRoutes) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  const base = `${FITNESS_PREFIX}/${spec.path}`;
  const snake = spec.noun.replace(/[ -]/g, '_');
  const targetType = `fitness_${snake}`;
  const action = (verb: string) => `fitness.${snake}.${verb}`;
  r.get(
    base,
    { config: { access: 'viewer' }, schema: { tags, summary: `List ${spec.path.replaceAll('-', ' ')} (filters, sort, offset or cursor pages)`, querystring: spec.list, response: { 200: pageOf(spec.view), ...problemResponses } } },
    async (req) => (await spec.resource.list(actorOf(req), req.query as never)) as never,
  );
  r.post(
    base,
    {
      config: { access: 'member', audit: { action: action('created'), targetType } },
      schema: { tags, summary: `Create a ${spec.noun}`, body: spec.create, response: { 201: spec.view, ...problemResponses } },
    },
    async (req, reply) => reply.code(201).send(await spec.resource.create(actorOf(req), req.body as Values)),
  );
  r.get(
    `${base}/:id`,
    { config: { access: 'viewer' }, schema: { tags, summary: `Get a ${spec.noun}`, params: idParams, response: { 200: spec.view, ...problemResponses } } },
    async (req) => (await spec.resource.get(actorOf(req), req.params.id)) as never,
  );
  r.patch(
    `${base}/:id`,
    {
      config: { access: 'member', audit: { action: action('updated'), targetType } },
      schema: { tags, summary: `Change a ${spec.noun} (the fields given; null clears)`, params: idParams, body: spec.update, response: { 200: spec.view, ...problemResponses } },
    },
    async (req) => (await spec.resource.update(actorOf(req), req.params.id, req.body as Values)) as never,
  );
  r.delete(
    `${base}/:id`,
    {
      config: { access: 'admin', audit: { action: action('deleted'), targetType } },
      schema: { tags, summary: `Delete a ${spec.noun}`, params: idParams, response: { 204: z.null(), ...problemResponses } },
    },
    async (req, reply) => {
      await spec.resource.remove(actorOf(req), req.params.id);
      return reply.code(204).send(null);
    },
  );
}

export const importQuery = z.object({
  dryRun: z.stringbool().default(false).describe('Check the file and report; write nothing'),
  mode: z.enum(IMPORT_MODES).default('all').describe('all: any bad row and nothing is imported (422); partial: import the good rows, report the bad'),
});

const importErrorSchema = z.object({
  row: z.number().int().describe("The record's number in the file, the header being 1 (as a spreadsheet shows it)"),
  column: z.string().nullable().describe('The CSV header of the column at fault; null for the row as a whole'),
  field: z.string().nullable(),
  message: z.string(),
});

export const importReportSchema = z
  .object({
    entity: z.string(),
    dryRun: z.boolean(),
    mode: z.enum(IMPORT_MODES),
    rows: z.number().int().describe('Data rows in the file'),
    valid: z.number().int().describe('Rows without a problem (imported, or would be)'),
    imported: z.number().int(),
    failed: z.number().int().describe('Rows with a problem (not imported)'),
    columns: z.array(z.object({ column: z.string(), field: z.string().nullable().describe('null: the column is skipped') })),
    errors: z.array(importErrorSchema).describe(`The first ${MAX_REPORTED_ERRORS} problems, by row`),
    errorCount: z.number().int(),
  })
  .meta({ id: 'FitnessImportReport' });

const importFailedSchema = problemSchema.extend({ report: importReportSchema });

const ENTITIES: ImportEntity[] = ['contacts', 'subscriptions', 'payments'];

function registerImportExport(app: FastifyInstance, crm: () => FitnessCrm) {
  const r = app.withTypeProvider<ZodTypeProvider>();
  // A CSV body arrives as the JSON form's `csv` (its columns matched by name, no mapping).
  app.addContentTypeParser('text/csv', { parseAs: 'string' }, (_req, body, done) => done(null, { csv: body }));

  for (const entity of ENTITIES) {
    const fields = importFields(entity);
    const body = z.strictObject({
      csv: z.string().max(IMPORT_BODY_LIMIT).describe('The file, header row first'),
      mapping: z
        .record(z.string().max(500), z.enum(fields).nullable())
        .optional()
        .describe('CSV header → field (null skips the column); unmapped columns are matched by name'),
    });
    r.post(
      `${FITNESS_PREFIX}/import/${entity}`,
      {
        bodyLimit: IMPORT_BODY_LIMIT,
        config: { access: 'member', audit: { action: `fitness.${entity}.imported` } },
        schema: {
          tags,
          summary: `Import ${entity} from CSV (text/csv, or JSON {csv, mapping})`,
          description:
            `Fields: ${fields.join(', ')}. At most ${MAX_IMPORT_ROWS} rows. All or nothing unless mode=partial: ` +
            'a file with a bad row imports nothing and answers 422 with the report. A dry run answers 200 with the report and writes nothing.',
          querystring: importQuery,
          body,
          response: { 200: importReportSchema, 422: importFailedSchema, ...problemResponses },
        },
      },
      async (req, reply) => {
        const report: ImportReport = await crm().importCsv(actorOf(req), entity, req.body, req.query);
        if (report.dryRun || report.mode === 'partial' || report.failed === 0) return report;
        const first = report.errors[0];
        return reply
          .code(422)
          .type('application/problem+json')
          .serializer(JSON.stringify)
          .send({
            type: 'urn:troupe:error:import_failed',
            title: 'Unprocessable Content',
            status: 422,
            detail: `${report.failed} of ${report.rows} rows have problems, so nothing was imported${first ? ` (row ${first.row}${first.column ? `, ${first.column}` : ''}: ${first.message})` : ''}; fix them, or import the good rows with mode=partial`,
            code: 'import_failed',
            errors: report.errors.slice(0, 100).map((e) => ({ path: `csv.row${e.row}${e.column ? `.${e.column}` : ''}`, message: e.message })),
            requestId: String(req.id),
            report,
          });
      },
    );

    r.get(
      `${FITNESS_PREFIX}/export/${entity}.csv`,
      {
        config: { access: 'viewer' },
        schema: {
          tags,
          summary: `The organization's ${entity} as CSV (the import's columns; text/csv, RFC 4180)`,
          // A stream, not serialized: the schema only documents it.
          response: { 200: z.any().describe('text/csv, header row first'), ...problemResponses },
        },
      },
      async (req, reply) =>
        reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="fitness-${entity}-${new Date().toISOString().slice(0, 10)}.csv"`)
          .send(Readable.from(crm().exportCsv(actorOf(req).orgId, entity))),
    );
  }
}

/** Every route of the fitness CRM under /fitness. Viewers read and export; members create, change and import; admins delete. */
export function registerFitnessCrmRoutes(app: FastifyInstance, crm: () => FitnessCrm): void {
  const c = crm();
  const crud: CrudRoutes[] = [
    { path: 'contacts', noun: 'contact', resource: c.contacts, list: people.listContactsQuery, create: people.createContactBody, update: people.updateContactBody, view: people.contactSchema },
    { path: 'staff', noun: 'staff member', resource: c.staff, list: people.listStaffQuery, create: people.createStaffBody, update: people.updateStaffBody, view: people.staffSchema },
    { path: 'lead-stages', noun: 'lead stage', resource: c.leadStages, list: people.listLeadStagesQuery, create: people.createLeadStageBody, update: people.updateLeadStageBody, view: people.leadStageSchema },
    { path: 'notes', noun: 'note', resource: c.notes, list: people.listNotesQuery, create: people.createNoteBody, update: people.updateNoteBody, view: people.noteSchema },
    {
      path: 'communications',
      noun: 'communication',
      resource: c.communications,
      list: people.listCommunicationsQuery,
      create: people.createCommunicationBody,
      update: people.updateCommunicationBody,
      view: people.communicationSchema,
    },
    { path: 'plans', noun: 'plan', resource: c.plans, list: memberships.listPlansQuery, create: memberships.createPlanBody, update: memberships.updatePlanBody, view: memberships.planSchema },
    {
      path: 'subscriptions',
      noun: 'subscription',
      resource: c.subscriptions,
      list: memberships.listSubscriptionsQuery,
      create: memberships.createSubscriptionBody,
      update: memberships.updateSubscriptionBody,
      view: memberships.subscriptionSchema,
    },
    { path: 'payments', noun: 'payment', resource: c.payments, list: memberships.listPaymentsQuery, create: memberships.createPaymentBody, update: memberships.updatePaymentBody, view: memberships.paymentSchema },
    { path: 'classes', noun: 'class', resource: c.classes, list: classes.listClassesQuery, create: classes.createClassBody, update: classes.updateClassBody, view: classes.classSchema },
    { path: 'sessions', noun: 'session', resource: c.sessions, list: classes.listSessionsQuery, create: classes.createSessionBody, update: classes.updateSessionBody, view: classes.sessionSchema },
    { path: 'bookings', noun: 'booking', resource: c.bookings, list: classes.listBookingsQuery, create: classes.createBookingBody, update: classes.updateBookingBody, view: classes.bookingSchema },
    { path: 'check-ins', noun: 'check-in', resource: c.checkIns, list: classes.listCheckInsQuery, create: classes.createCheckInBody, update: classes.updateCheckInBody, view: classes.checkInSchema },
    { path: 'goals', noun: 'goal', resource: c.goals, list: progress.listGoalsQuery, create: progress.createGoalBody, update: progress.updateGoalBody, view: progress.goalSchema },
    {
      path: 'measurements',
      noun: 'measurement',
      resource: c.measurements,
      list: progress.listMeasurementsQuery,
      create: progress.createMeasurementBody,
      update: progress.updateMeasurementBody,
      view: progress.measurementSchema,
    },
    {
      path: 'workout-plans',
      noun: 'workout plan',
      resource: c.workoutPlans,
      list: progress.listWorkoutPlansQuery,
      create: progress.createWorkoutPlanBody,
      update: progress.updateWorkoutPlanBody,
      view: progress.workoutPlanSchema,
    },
  ];
  for (const spec of crud) registerCrud(app, spec);
  registerImportExport(app, crm);
}
