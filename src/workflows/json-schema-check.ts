import { z } from 'zod';

/**
 * Checks that a value is a usable JSON Schema (draft 2020-12): a structural check of the
 * keywords' shapes (the part of the meta-schema that matters: `type` names, sub-schemas,
 * non-negative limits, valid `pattern`s), then a compile with zod's `z.fromJSONSchema`, the
 * validator Troupe uses for workflow inputs and structured output (it has no ajv of its own):
 * it refuses references it cannot resolve and keywords it does not implement (`not`,
 * `if`/`then`/`else`), which would otherwise fail only when a run starts.
 *
 * @returns problems with a path inside the schema (`properties.age.minimum`; '' for the root).
 */
export function checkJsonSchema(schema: unknown): { path: string; message: string }[] {
  const problems: { path: string; message: string }[] = [];
  checkSchema(schema, '', problems, 0);
  if (problems.length > 0) return problems;
  try {
    z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
  } catch (err) {
    problems.push({ path: '', message: `the schema cannot be used: ${err instanceof Error ? err.message : String(err)}` });
  }
  return problems;
}

const TYPES = new Set(['string', 'number', 'integer', 'boolean', 'object', 'array', 'null']);
const SCHEMA_KEYS = ['items', 'additionalProperties', 'unevaluatedProperties', 'unevaluatedItems', 'contains', 'propertyNames', 'not', 'if', 'then', 'else', 'additionalItems'];
const SCHEMA_MAP_KEYS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'];
const SCHEMA_LIST_KEYS = ['prefixItems', 'allOf', 'anyOf', 'oneOf'];
const COUNT_KEYS = ['minLength', 'maxLength', 'minItems', 'maxItems', 'minProperties', 'maxProperties', 'minContains', 'maxContains'];
const NUMBER_KEYS = ['minimum', 'maximum', 'exclusiveMinimum', 'exclusiveMaximum'];
const STRING_KEYS = ['format', 'title', 'description', '$id', '$ref', '$schema', '$anchor', '$comment', 'contentMediaType', 'contentEncoding'];
const BOOLEAN_KEYS = ['uniqueItems', 'readOnly', 'writeOnly', 'deprecated'];
const MAX_DEPTH = 64;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const at = (path: string, key: string | number) => (typeof key === 'number' ? `${path}[${key}]` : path === '' ? key : `${path}.${key}`);

function validRegExp(pattern: string): string | undefined {
  try {
    new RegExp(pattern, 'u');
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

function checkSchema(s: unknown, path: string, out: { path: string; message: string }[], depth: number): void {
  if (typeof s === 'boolean') return;
  if (!isObject(s)) {
    out.push({ path, message: 'a schema is an object (or true/false)' });
    return;
  }
  if (depth > MAX_DEPTH) {
    out.push({ path, message: `the schema nests deeper than ${MAX_DEPTH} levels` });
    return;
  }
  const bad = (key: string, message: string) => out.push({ path: at(path, key), message });
  for (const [key, v] of Object.entries(s)) {
    if (key === 'type') {
      const names = Array.isArray(v) ? v : [v];
      if (names.length === 0 || names.some((t) => typeof t !== 'string' || !TYPES.has(t)) || new Set(names).size !== names.length) {
        bad(key, `type is one of ${[...TYPES].join(', ')}, or a list of distinct ones`);
      }
    } else if (SCHEMA_KEYS.includes(key)) checkSchema(v, at(path, key), out, depth + 1);
    else if (SCHEMA_MAP_KEYS.includes(key)) {
      if (!isObject(v)) bad(key, `${key} is an object of schemas`);
      else
        for (const [name, sub] of Object.entries(v)) {
          const reason = key === 'patternProperties' ? validRegExp(name) : undefined;
          if (reason) bad(key, `${name} is not a valid regular expression (${reason})`);
          checkSchema(sub, at(at(path, key), name), out, depth + 1);
        }
    } else if (SCHEMA_LIST_KEYS.includes(key)) {
      if (!Array.isArray(v) || v.length === 0) bad(key, `${key} is a non-empty list of schemas`);
      else v.forEach((sub, i) => checkSchema(sub, at(at(path, key), i), out, depth + 1));
    } else if (key === 'required') {
      if (!Array.isArray(v) || v.some((r) => typeof r !== 'string') || new Set(v).size !== v.length) bad(key, 'required is a list of distinct property names');
    } else if (key === 'enum') {
      if (!Array.isArray(v)) bad(key, 'enum is a list of values');
    } else if (key === 'dependentRequired') {
      if (!isObject(v) || Object.values(v).some((l) => !Array.isArray(l) || l.some((r) => typeof r !== 'string'))) bad(key, 'dependentRequired maps property names to lists of names');
    } else if (COUNT_KEYS.includes(key)) {
      if (!Number.isInteger(v) || (v as number) < 0) bad(key, `${key} is a whole number, 0 or more`);
    } else if (NUMBER_KEYS.includes(key)) {
      if (typeof v !== 'number' || !Number.isFinite(v)) bad(key, `${key} is a number`);
    } else if (key === 'multipleOf') {
      if (typeof v !== 'number' || !(v > 0)) bad(key, 'multipleOf is a number above 0');
    } else if (key === 'pattern') {
      const reason = typeof v === 'string' ? validRegExp(v) : 'not a string';
      if (reason) bad(key, `pattern is not a valid regular expression (${reason})`);
    } else if (STRING_KEYS.includes(key)) {
      if (typeof v !== 'string') bad(key, `${key} is a string`);
    } else if (BOOLEAN_KEYS.includes(key)) {
      if (typeof v !== 'boolean') bad(key, `${key} is true or false`);
    }
  }
  if (typeof s.minimum === 'number' && typeof s.maximum === 'number' && s.minimum > s.maximum) bad('minimum', 'minimum is above maximum');
}
