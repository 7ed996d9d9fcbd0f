import { parseAllDocuments, stringify } from 'yaml';
import { inspect } from '../http/input-guard.js';
import { AppError, badRequest } from '../shared/errors.js';
import type { WorkflowDefinition } from './definition.js';
import { FILE_FORMAT_VERSION } from './dto.js';

/**
 * The workflow file: `{troupeWorkflow: 1, ...definition}`, as JSON or YAML. An export is a
 * function of the stored definition alone (no ids, no times), so exporting what an import made
 * gives the same bytes again; the definition's keys come in the schema's order, as validation
 * wrote them.
 */

export const EXPORT_FORMATS = ['json', 'yaml'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const CONTENT_TYPES: Record<ExportFormat, string> = {
  json: 'application/json; charset=utf-8',
  yaml: 'application/yaml; charset=utf-8',
};

/** Media types whose body is the file as text (YAML, or JSON, which is YAML too). */
export const YAML_MEDIA_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];

/** The file's text: JSON indented by two spaces, or YAML with no line folding and no anchors; both end with a newline. */
export function renderFile(definition: WorkflowDefinition, format: ExportFormat): string {
  const file = { troupeWorkflow: FILE_FORMAT_VERSION, ...definition };
  if (format === 'json') return `${JSON.stringify(file, null, 2)}\n`;
  // lineWidth 0: long texts stay on one line, so nothing depends on where the folding fell;
  // no aliases: a value repeated in two places is written twice, as JSON would.
  return stringify(file, { lineWidth: 0, aliasDuplicateObjects: false });
}

/** A file name from the workflow's name: `lead-scoring.workflow.yaml`. */
export function fileName(name: string, format: ExportFormat): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[^\w\s-]/g, '')
    .trim()
    .toLowerCase()
    .replace(/[\s_-]+/g, '-')
    .slice(0, 80)
    .replace(/^-+|-+$/g, '');
  return `${slug || 'workflow'}.workflow.${format}`;
}

/** YAML aliases a file may use: enough for shared blocks, far too few for a "billion laughs" expansion. */
const MAX_ALIASES = 100;

/** The text of a file (JSON or YAML) as a value; 400 invalid_yaml naming the line and column. */
function parseText(text: string): unknown {
  let value: unknown;
  try {
    const docs = parseAllDocuments(text, { uniqueKeys: true, prettyErrors: true, logLevel: 'silent' });
    // parseDocument would read the first of several documents and say nothing of the others.
    if (!Array.isArray(docs) || docs.length !== 1) {
      const count = Array.isArray(docs) ? docs.length : 0;
      throw new AppError(400, 'invalid_yaml', `The file holds ${count} YAML documents; a workflow file is one`, [{ path: 'body', message: `${count} documents` }]);
    }
    const doc = docs[0]!;
    const error = doc.errors[0];
    if (error) {
      const at = error.linePos?.[0];
      const where = at ? `line ${at.line}, column ${at.col}` : 'the file';
      throw new AppError(400, 'invalid_yaml', `The file is not valid YAML or JSON (${where}): ${error.message.split('\n')[0]}`, [
        { path: 'body', message: `${where}: ${error.code}` },
      ]);
    }
    value = doc.toJS({ maxAliasCount: MAX_ALIASES });
  } catch (err) {
    if (err instanceof AppError) throw err;
    // Too many aliases, nesting deeper than the parser's stack: the text is refused, not the server.
    throw new AppError(400, 'invalid_yaml', `The file could not be read: ${(err as Error).message.split('\n')[0]}`, [{ path: 'body', message: 'unreadable' }]);
  }
  const bad = inspect(value, 'body');
  if (bad) throw badRequest(`${bad.path}: ${bad.detail}`, [{ path: bad.path, message: bad.message }]);
  return value;
}

/** Keys that would reach an object's prototype (refused as the JSON body parser refuses them). */
function poisonedKey(value: unknown): boolean {
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (typeof v !== 'object' || v === null) continue;
    if (!Array.isArray(v) && Object.hasOwn(v, '__proto__')) return true;
    for (const child of Object.values(v)) stack.push(child);
  }
  return false;
}

/**
 * The definition inside an uploaded file: the body as parsed JSON, or as text (YAML or JSON) from
 * a YAML or plain-text body. 400 when it is not a workflow file of a format version this server reads.
 */
export function definitionFromFile(body: unknown): Record<string, unknown> {
  const file = typeof body === 'string' ? parseText(body) : body;
  if (typeof file !== 'object' || file === null || Array.isArray(file)) {
    throw badRequest('A workflow file is an object: {"troupeWorkflow": 1, "name": …, "graph": …}', [{ path: 'body', message: 'must be an object' }]);
  }
  if (poisonedKey(file)) throw badRequest('The file has a "__proto__" key', [{ path: 'body', message: 'has a __proto__ key' }]);
  const { troupeWorkflow, ...definition } = file as Record<string, unknown>;
  if (troupeWorkflow === undefined) {
    throw badRequest('Not a Troupe workflow file: "troupeWorkflow": 1 is missing', [{ path: 'body.troupeWorkflow', message: 'is required' }], 'not_a_workflow_file');
  }
  if (troupeWorkflow !== FILE_FORMAT_VERSION) {
    throw badRequest(
      `This server reads workflow files of format ${FILE_FORMAT_VERSION}, not ${JSON.stringify(troupeWorkflow)?.slice(0, 20)}`,
      [{ path: 'body.troupeWorkflow', message: `must be ${FILE_FORMAT_VERSION}` }],
      'unsupported_file_format',
    );
  }
  return definition;
}
