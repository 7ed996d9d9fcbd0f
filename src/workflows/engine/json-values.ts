import { z } from 'zod';

/**
 * Values checked against JSON Schemas at run time (a workflow's input, an agent node's structured
 * output), with zod's `z.fromJSONSchema`, the same validator the definitions were checked with
 * (json-schema-check.ts). Compiled schemas are kept by their text.
 */
const compiled = new Map<string, z.ZodType>();

function schemaOf(schema: unknown): z.ZodType {
  const text = JSON.stringify(schema);
  let s = compiled.get(text);
  if (!s) {
    s = z.fromJSONSchema(schema as Parameters<typeof z.fromJSONSchema>[0]);
    if (compiled.size > 500) compiled.clear();
    compiled.set(text, s);
  }
  return s;
}

/** Problems of `value` against `schema` (a path and a message each); empty when it fits. */
export function jsonSchemaProblems(schema: unknown, value: unknown): { path: string; message: string }[] {
  const r = schemaOf(schema).safeParse(value);
  if (r.success) return [];
  return r.error.issues.map((i) => ({ path: i.path.map(String).join('.'), message: i.message }));
}

/**
 * The JSON value in a model's answer: the whole text, else the first fenced ```json block, else
 * the outermost `{…}`. Undefined when none parses.
 */
export function jsonInText(text: string): unknown {
  const tries = [text.trim()];
  const fence = /```(?:json)?\s*([\s\S]*?)```/i.exec(text);
  if (fence) tries.push(fence[1]!.trim());
  const open = text.indexOf('{');
  const close = text.lastIndexOf('}');
  if (open >= 0 && close > open) tries.push(text.slice(open, close + 1));
  for (const t of tries) {
    try {
      return JSON.parse(t) as unknown;
    } catch {
      // the next way
    }
  }
  return undefined;
}
