import { badRequest } from '../shared/errors.js';

/**
 * A workflow approval's form values, checked against its fields (stored in the approval's args
 * as `form`): required fields present, each of its type, a select's value one of its options;
 * unknown names refused. 400 naming each field otherwise.
 */
export function formValues(args: unknown, values: Record<string, unknown>): Record<string, unknown> {
  const form = ((args as { form?: unknown } | null)?.form ?? []) as { name: string; label: string; type: string; required?: boolean; options?: string[] }[];
  const errors: { path: string; message: string }[] = [];
  const out: Record<string, unknown> = {};
  const names = new Set(form.map((f) => f.name));
  for (const k of Object.keys(values)) if (!names.has(k)) errors.push({ path: `body.values.${k}`, message: 'the form has no such field' });
  for (const f of form) {
    const v = values[f.name];
    const path = `body.values.${f.name}`;
    if (v === undefined || v === null || v === '') {
      if (f.required) errors.push({ path, message: `${f.label} is required` });
      continue;
    }
    const ok =
      f.type === 'number' ? typeof v === 'number' && Number.isFinite(v) : f.type === 'boolean' ? typeof v === 'boolean' : typeof v === 'string' && v.length <= 10_000;
    if (!ok) errors.push({ path, message: `${f.label} must be a ${f.type === 'number' || f.type === 'boolean' ? f.type : 'string'}` });
    else if (f.type === 'select' && f.options && !f.options.includes(v as string)) errors.push({ path, message: `${f.label} must be one of: ${f.options.join(', ')}` });
    else out[f.name] = v;
  }
  if (errors.length) throw badRequest('The form values do not fit the approval form', errors);
  return out;
}
