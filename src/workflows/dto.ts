import { z } from 'zod';
import { workflowDefinitionSchema, type WorkflowDefinition, type WorkflowProblem } from './definition.js';

/**
 * The workflows API's wire shapes. A definition in a request body is documented with its full
 * schema (WorkflowDefinition) but taken as any JSON by the route: validateWorkflow checks it and
 * names each problem's node, which a schema error could not (routes.ts swaps the schemas).
 * Responses carry definitions as stored: a version saved under an older schema is still served.
 */

const isoTime = z.iso.datetime();
const note = z.string().trim().max(500).describe('Stored with the new version');
const expectedVersion = z
  .number()
  .int()
  .min(1)
  .describe('Fail with 409 version_conflict unless the workflow is at this version (or send If-Match: "<version>": 412)');

/** What the file format adds to a definition: `{troupeWorkflow: 1, ...definition}`. */
export const FILE_FORMAT_VERSION = 1;

// ---- requests: documented shapes, and the shapes the routes check before validateWorkflow ----

export const createWorkflowBody = z
  .strictObject({ definition: workflowDefinitionSchema, note: note.optional() })
  .meta({ id: 'CreateWorkflow', description: 'A new workflow, at version 1' });
export const createWorkflowEnvelope = z.strictObject({ definition: z.unknown(), note: note.optional() });

export const saveWorkflowBody = z
  .strictObject({ definition: workflowDefinitionSchema, note: note.optional(), expectedVersion: expectedVersion.optional() })
  .meta({ id: 'SaveWorkflow', description: 'A save: the definition becomes a new version' });
export const saveWorkflowEnvelope = z.strictObject({ definition: z.unknown(), note: note.optional(), expectedVersion: expectedVersion.optional() });
export type SaveWorkflowInput = z.output<typeof saveWorkflowEnvelope>;

export const validateWorkflowBody = z
  .strictObject({
    definition: workflowDefinitionSchema,
    workflowId: z.string().max(100).optional().describe('The workflow this definition would be saved to (a sub-workflow node may not start it)'),
  })
  .meta({ id: 'ValidateWorkflow' });
export const validateWorkflowEnvelope = z.strictObject({ definition: z.unknown(), workflowId: z.string().max(100).optional() });

export const workflowFileSchema = workflowDefinitionSchema
  .extend({ troupeWorkflow: z.literal(FILE_FORMAT_VERSION).describe('The file format') })
  .meta({ id: 'WorkflowFile', description: 'An exported workflow: JSON, or the same as YAML (application/yaml, text/yaml)' });

/** Optional: a POST without a body restores with the default note and no version check. */
export const restoreVersionBody = z.strictObject({ note: note.optional(), expectedVersion: expectedVersion.optional() }).nullish();

// ---- responses ----

const problem = z
  .object({
    nodeId: z.string().nullable().describe('The node the problem is on; null for the definition itself'),
    path: z.string().describe('Inside the node (`config.args.to`) or the definition (`settings.timeoutSeconds`)'),
    message: z.string(),
  })
  .meta({ id: 'WorkflowProblem' });

export const validationResultSchema = z
  .object({ valid: z.boolean(), problems: z.array(problem) })
  .meta({ id: 'WorkflowValidation' });
export type ValidationResult = { valid: boolean; problems: WorkflowProblem[] };

const summaryShape = {
  id: z.uuid(),
  orgId: z.uuid(),
  name: z.string(),
  description: z.string(),
  tags: z.array(z.string()),
  currentVersion: z.number().int().describe('Counts from 1; every save and restore adds one'),
  archivedAt: isoTime.nullable().describe('Set when archived (DELETE); archived workflows are left out of lists unless asked'),
  createdBy: z.uuid().nullable().describe('The person who created it; null when an API key did'),
  createdByApiKeyId: z.uuid().nullable(),
  createdAt: isoTime,
  updatedAt: isoTime,
};

export const workflowSummarySchema = z.object(summaryShape).meta({ id: 'WorkflowSummary' });
export type WorkflowSummary = z.output<typeof workflowSummarySchema>;

export const workflowStatsSchema = z
  .object({
    lastRunId: z.uuid().nullable(),
    lastRunStatus: z.string().nullable(),
    lastRunAt: isoTime.nullable(),
    runs: z.number().int().describe('Runs finished in the last 30 days'),
    succeeded: z.number().int(),
    failed: z.number().int(),
    costMicros: z.number().int().describe('What the runs of the last 30 days cost (their agent runs included), micro-dollars'),
    billedMicros: z.number().int().describe('The same, as billed (markup applied)'),
  })
  .meta({ id: 'WorkflowStats', description: "The workflow's own runs (not the agent runs they started): the latest, and the last 30 days" });
export const workflowListItemSchema = z.object({ ...summaryShape, stats: workflowStatsSchema }).meta({ id: 'WorkflowListItem' });
export type WorkflowListItem = z.output<typeof workflowListItemSchema>;

export const workflowSchema = z.object({ ...summaryShape, definition: workflowDefinitionSchema }).meta({ id: 'Workflow' });
/** Served as stored (see the module comment). */
export const workflowLoose = z.object({ ...summaryShape, definition: z.record(z.string(), z.unknown()) });
export type Workflow = WorkflowSummary & { definition: WorkflowDefinition };

const versionShape = {
  version: z.number().int(),
  note: z.string(),
  createdBy: z.uuid().nullable(),
  createdByApiKeyId: z.uuid().nullable(),
  createdAt: isoTime,
};
export const workflowVersionSummarySchema = z.object(versionShape).meta({ id: 'WorkflowVersionSummary' });
export type WorkflowVersionSummary = z.output<typeof workflowVersionSummarySchema>;

export const workflowVersionSchema = z.object({ ...versionShape, definition: workflowDefinitionSchema }).meta({ id: 'WorkflowVersion' });
export const workflowVersionLoose = z.object({ ...versionShape, definition: z.record(z.string(), z.unknown()) });
export type WorkflowVersion = WorkflowVersionSummary & { definition: WorkflowDefinition };

const fieldChange = z.object({
  field: z.string().describe('Dotted path'),
  from: z.unknown().optional().describe('Absent when the value was added'),
  to: z.unknown().optional().describe('Absent when the value was removed'),
});
const scope = z.array(z.string()).describe("The map nodes whose body holds it, outermost first; empty for the workflow's own graph");
const nodeRef = z.object({ scope, id: z.string(), type: z.string(), name: z.string().optional() });
const edgeRef = z.object({ scope, source: z.string(), target: z.string(), sourceHandle: z.string() });

export const versionComparisonSchema = z
  .object({
    from: z.number().int(),
    to: z.number().int(),
    fields: z.array(fieldChange).describe('Changes of name, description, tags, inputSchema and settings'),
    nodes: z.object({
      added: z.array(nodeRef),
      removed: z.array(nodeRef),
      changed: z.array(nodeRef.extend({ changes: z.array(fieldChange).describe('Paths inside the node (a map body is compared apart)') })),
    }),
    edges: z.object({ added: z.array(edgeRef), removed: z.array(edgeRef) }),
  })
  .meta({ id: 'WorkflowVersionComparison' });
export type VersionComparison = z.output<typeof versionComparisonSchema>;
