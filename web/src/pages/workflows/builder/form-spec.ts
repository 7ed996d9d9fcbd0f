import { z } from 'zod';
import { NODE_CONFIGS, workflowSettingsSchema, type NodeType } from '@server/workflows/definition';

/**
 * Form fields from a JSON Schema: the node forms come from each node type's Zod config schema
 * (NODE_CONFIGS, through z.toJSONSchema), so a field added to a schema shows up in the builder
 * without touching it. What a field is follows the schema: strings, numbers, booleans, enums,
 * nested objects, lists of objects (a switch's cases) and of strings; anything else, and every
 * free-form JSON value (a transform's value, a tool's arguments, an output schema), is a JSON
 * textarea. A string the schema describes as a JSONata expression or a template gets the
 * expression editor, which suggests upstream outputs.
 */

export interface JsonSchema {
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  required?: string[];
  items?: JsonSchema;
  enum?: unknown[];
  const?: unknown;
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  $ref?: string;
  $defs?: Record<string, JsonSchema>;
  description?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  additionalProperties?: JsonSchema | boolean;
  format?: string;
  title?: string;
}

export type TextRole = 'plain' | 'expression' | 'template';

export type FieldSpec =
  | { kind: 'text'; role: TextRole; format?: string }
  | { kind: 'number'; integer: boolean; minimum?: number; maximum?: number }
  | { kind: 'boolean' }
  | { kind: 'enum'; options: string[] }
  | { kind: 'object'; fields: FieldDef[] }
  | { kind: 'variant'; discriminator: string; variants: { value: string; description?: string; fields: FieldDef[] }[] }
  | { kind: 'objectList'; item: FieldDef[] }
  | { kind: 'stringList' }
  | { kind: 'json' };

export interface FieldDef {
  name: string;
  label: string;
  required: boolean;
  description?: string;
  default?: unknown;
  spec: FieldSpec;
}

const LABELS: Record<string, string> = {
  agentId: 'Agent',
  agentVersion: 'Agent version',
  outputSchema: 'Output schema (JSON Schema)',
  workflowId: 'Workflow',
  errorWorkflowId: 'Error workflow',
  timeoutSeconds: 'Timeout (seconds)',
  backoffMs: 'Backoff (ms)',
  maxConcurrentRuns: 'Most runs at once',
  eventType: 'Event type',
  approverRole: 'Approver role',
  structuredRetries: 'Structured output retries',
  when: 'When',
};

/** `structuredRetries` → "Structured retries". */
export function labelOf(name: string): string {
  if (LABELS[name]) return LABELS[name];
  const words = name.replace(/_/g, ' ').replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

/** The description without the marker the definition's helpers put first ("JSONata expression: …"). */
function roleOf(description: string | undefined): { role: TextRole; text?: string } {
  if (!description) return { role: 'plain' };
  const expression = /^JSONata expression: (.*)$/s.exec(description);
  if (expression) return { role: 'expression', text: expression[1] };
  const template = /^Text with \{\{ JSONata \}\} templates: (.*)$/s.exec(description);
  if (template) return { role: 'template', text: template[1] };
  return { role: 'plain', text: description };
}

/** Follows `$ref`s into the root's `$defs`, keeping the outermost description. */
function resolve(schema: JsonSchema, root: JsonSchema): JsonSchema {
  let s = schema;
  let description = schema.description;
  for (let i = 0; i < 20 && s.$ref; i++) {
    const name = /^#\/\$defs\/(.+)$/.exec(s.$ref)?.[1];
    const target = name ? root.$defs?.[name] : undefined;
    if (!target) return { description };
    s = target;
    description ??= s.description;
  }
  return { ...s, description };
}

const isJsonValueRef = (s: JsonSchema) => s.$ref === '#/$defs/JsonValue';

function specOf(raw: JsonSchema, root: JsonSchema): { spec: FieldSpec; description?: string } {
  if (isJsonValueRef(raw)) return { spec: { kind: 'json' }, description: raw.description };
  const s = resolve(raw, root);
  const variants = s.oneOf ?? s.anyOf;
  if (variants && variants.every((v) => resolve(v, root).type === 'object')) {
    const resolved = variants.map((v) => resolve(v, root));
    const discriminator = Object.keys(resolved[0]?.properties ?? {}).find((k) => resolved.every((v) => v.properties?.[k]?.const !== undefined));
    if (discriminator) {
      return {
        description: s.description,
        spec: {
          kind: 'variant',
          discriminator,
          variants: resolved.map((v) => ({
            value: String(v.properties![discriminator]!.const),
            description: v.properties![discriminator]!.description,
            fields: fieldsOf(v, root).filter((f) => f.name !== discriminator),
          })),
        },
      };
    }
  }
  if (s.enum && s.enum.every((v) => typeof v === 'string')) return { spec: { kind: 'enum', options: s.enum as string[] }, description: s.description };
  switch (s.type) {
    case 'string': {
      const { role, text } = roleOf(s.description);
      return { spec: { kind: 'text', role, format: s.format }, description: text };
    }
    case 'integer':
    case 'number':
      return { spec: { kind: 'number', integer: s.type === 'integer', minimum: s.minimum, maximum: s.maximum }, description: s.description };
    case 'boolean':
      return { spec: { kind: 'boolean' }, description: s.description };
    case 'object':
      if (s.properties && !s.additionalProperties) return { spec: { kind: 'object', fields: fieldsOf(s, root) }, description: s.description };
      return { spec: { kind: 'json' }, description: s.description };
    case 'array': {
      const item = s.items ? resolve(s.items, root) : undefined;
      if (item?.type === 'object' && item.properties) return { spec: { kind: 'objectList', item: fieldsOf(item, root) }, description: s.description };
      if (item?.type === 'string' && !item.enum) return { spec: { kind: 'stringList' }, description: s.description };
      return { spec: { kind: 'json' }, description: s.description };
    }
    default:
      return { spec: { kind: 'json' }, description: s.description };
  }
}

/** The fields of an object schema, in the schema's order. */
export function fieldsOf(schema: JsonSchema, root: JsonSchema = schema): FieldDef[] {
  const s = resolve(schema, root);
  const required = new Set(s.required ?? []);
  return Object.entries(s.properties ?? {}).map(([name, prop]) => {
    const { spec, description } = specOf(prop, root);
    return { name, label: labelOf(name), required: required.has(name), description, default: resolve(prop, root).default, spec };
  });
}

/** The whole form of a schema (an object's fields, or a variant picker). */
export function formOf(schema: JsonSchema): FieldSpec {
  return specOf(schema, schema).spec;
}

const toJson = (schema: z.ZodType) => z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;

const nodeForms = new Map<NodeType, FieldSpec>();

/** A node type's config form (a map's body is edited on the canvas, not in the form). Computed once per type. */
export function nodeConfigForm(type: NodeType): FieldSpec {
  let form = nodeForms.get(type);
  if (!form) {
    form = formOf(toJson(NODE_CONFIGS[type]));
    if (form.kind === 'object') form = { ...form, fields: form.fields.filter((f) => f.name !== 'graph') };
    nodeForms.set(type, form);
  }
  return form;
}

let settingsForm: FieldSpec | undefined;
/** The workflow's settings form (timeout, concurrency, error policy, error workflow). */
export function settingsFormSpec(): FieldSpec {
  settingsForm ??= formOf(toJson(workflowSettingsSchema));
  return settingsForm;
}

/** A problem's field path (`config.cases[0].when`) as the form names fields (`config.cases.0.when`). */
export const normalizePath = (path: string) => path.replace(/\[(\d+)\]/g, '.$1').replace(/^\./, '');
