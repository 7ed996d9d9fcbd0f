import { useMutation } from '@tanstack/react-query';
import { useCallback, useRef, useState, type ChangeEvent, type FormEvent } from 'react';
import type { z } from 'zod';
import { ApiError, errorMessage } from '../api/errors';
import { blankToUndefined, friendlyMessage } from './zod-messages';

/** Zod issues keyed by dotted field path (`limits.maxSteps`); the first message per field wins. */
export function zodFieldErrors(error: z.ZodError): Record<string, string> {
  const out: Record<string, string> = {};
  for (const issue of error.issues) {
    const name = issue.path.map(String).join('.');
    if (!(name in out)) out[name] = issue.message;
  }
  return out;
}

const getPath = (obj: unknown, path: string): unknown =>
  path.split('.').reduce<unknown>((o, k) => (o && typeof o === 'object' ? (o as Record<string, unknown>)[k] : undefined), obj);

function setPath<T>(obj: T, path: string, value: unknown): T {
  const [head, ...rest] = path.split('.');
  const base = (obj && typeof obj === 'object' ? obj : {}) as Record<string, unknown>;
  return { ...base, [head!]: rest.length ? setPath(base[head!], rest.join('.'), value) : value } as T;
}

/** Props for a text-like input (spread onto <TextField>, <TextAreaField> or <SelectField>). */
export interface FieldProps {
  id: string;
  name: string;
  value: string;
  onChange: (e: ChangeEvent<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>) => void;
  error: string | undefined;
}

export interface ZodFormOptions<S extends z.ZodType, R> {
  /** The same schema the server validates the body with (from src/<module>/dto.ts). */
  schema: S;
  initial: z.input<S>;
  /** Called with the parsed values; an ApiError it throws is shown next to the fields it names. */
  submit: (data: z.output<S>) => Promise<R>;
  onSuccess?: (result: R, data: z.output<S>) => void;
  /** Prefix of field ids, to keep two forms on one page apart. */
  idPrefix?: string;
}

/**
 * State of a form validated with a Zod schema before it is sent, and errors from the API shown
 * next to the field they name (`body.name` → field `name`). Errors that name no field of this
 * form (or none at all) come back as `formError`.
 *
 * ```tsx
 * const form = useZodForm({ schema: createOrgBody, initial: { name: '' }, submit: authApi.createOrg });
 * <form onSubmit={form.handleSubmit} noValidate>
 *   <TextField label="Name" {...form.field('name')} />
 *   <FormError message={form.formError} />
 *   <Button type="submit" busy={form.submitting}>Create</Button>
 * </form>
 * ```
 */
export function useZodForm<S extends z.ZodType, R>(options: ZodFormOptions<S, R>) {
  const { schema, submit, onSuccess, idPrefix = 'f' } = options;
  const [values, setValues] = useState<z.input<S>>(options.initial);
  const [clientErrors, setClientErrors] = useState<Record<string, string>>({});
  // Fields edited since the last server error: their server message no longer applies.
  const [edited, setEdited] = useState<ReadonlySet<string>>(new Set());
  const formRef = useRef<HTMLFormElement | null>(null);

  const mutation = useMutation({ mutationFn: submit, onSuccess: (result, data) => onSuccess?.(result, data) });

  const serverFieldErrors = mutation.error instanceof ApiError ? mutation.error.fieldErrors() : {};
  const errorFor = (name: string): string | undefined =>
    clientErrors[name] ?? (edited.has(name) ? undefined : serverFieldErrors[name]);

  const setValue = useCallback((name: string, value: unknown) => {
    setValues((v) => setPath(v, name, value));
    setClientErrors((e) => {
      if (!(name in e)) return e;
      const { [name]: _removed, ...rest } = e;
      return rest;
    });
    setEdited((s) => (s.has(name) ? s : new Set(s).add(name)));
  }, []);

  const field = (name: string): FieldProps => {
    const value = getPath(values, name);
    return {
      id: `${idPrefix}-${name}`,
      name,
      value: value === undefined || value === null ? '' : String(value),
      onChange: (e) => setValue(name, e.target.value),
      error: errorFor(name),
    };
  };

  const handleSubmit = (e: FormEvent<HTMLFormElement>) => {
    e.preventDefault();
    formRef.current = e.currentTarget;
    const parsed = schema.safeParse(blankToUndefined(values), { error: friendlyMessage });
    if (!parsed.success) {
      const errors = zodFieldErrors(parsed.error);
      setClientErrors(errors);
      focusFirstInvalid(e.currentTarget, Object.keys(errors));
      return;
    }
    setClientErrors({});
    setEdited(new Set());
    mutation.mutate(parsed.data, {
      onError: (err) => {
        if (err instanceof ApiError && formRef.current) focusFirstInvalid(formRef.current, Object.keys(err.fieldErrors()));
      },
    });
  };

  // Server errors about fields this form does not have (its fields are those of `initial`), and
  // errors about no field at all, are shown for the whole form.
  const names = leafPaths(options.initial);
  const shownOnFields = Object.keys(serverFieldErrors).some((name) => names.has(name));
  const formError = mutation.error && !shownOnFields ? errorMessage(mutation.error) : undefined;

  return {
    values,
    setValue,
    field,
    errorFor,
    handleSubmit,
    formError,
    submitting: mutation.isPending,
    succeeded: mutation.isSuccess,
    result: mutation.data,
    reset: () => {
      setValues(options.initial);
      setClientErrors({});
      setEdited(new Set());
      mutation.reset();
    },
  };
}

/** Dotted paths of an object's leaves: `{ a: { b: 1 }, c: '' }` → `a.b`, `c` (and `a`). */
function leafPaths(obj: unknown, prefix = '', out = new Set<string>()): Set<string> {
  if (obj && typeof obj === 'object' && !Array.isArray(obj)) {
    for (const [k, v] of Object.entries(obj)) {
      const path = prefix ? `${prefix}.${k}` : k;
      out.add(path);
      leafPaths(v, path, out);
    }
  }
  return out;
}

function focusFirstInvalid(form: HTMLFormElement, names: string[]) {
  const before = document.activeElement;
  for (const el of Array.from(form.elements)) {
    const name = (el as HTMLInputElement).name;
    if (name && names.includes(name)) {
      // After React has rendered the messages, and only if focus has not moved on meanwhile:
      // someone already typing in another field keeps it (a late frame would send their
      // keystrokes to this field instead).
      requestAnimationFrame(() => {
        if (document.activeElement === before || document.activeElement === document.body) (el as HTMLElement).focus();
      });
      return;
    }
  }
}
