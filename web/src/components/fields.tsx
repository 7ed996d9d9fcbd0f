import type { InputHTMLAttributes, ReactNode, SelectHTMLAttributes, TextareaHTMLAttributes } from 'react';

interface FieldChrome {
  /** The visible label (every field has one: it is also what screen readers announce). */
  label: ReactNode;
  /** Help under the field. */
  hint?: ReactNode;
  /** The error for this field, shown under it and announced. */
  error?: string;
  id: string;
}

function describedBy(id: string, hint: ReactNode, error: string | undefined) {
  return [error ? `${id}-error` : null, hint ? `${id}-hint` : null].filter(Boolean).join(' ') || undefined;
}

function Chrome({ id, label, hint, error, children }: FieldChrome & { children: ReactNode }) {
  return (
    <div className={`field${error ? ' field-invalid' : ''}`}>
      <label htmlFor={id}>{label}</label>
      {children}
      {hint && (
        <p id={`${id}-hint`} className="field-hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      )}
    </div>
  );
}

export type TextFieldProps = FieldChrome & Omit<InputHTMLAttributes<HTMLInputElement>, 'id'>;

/** A labelled input with its hint and error (spread `form.field('name')` into it). */
export function TextField({ label, hint, error, id, required, ...input }: TextFieldProps) {
  return (
    <Chrome id={id} label={label} hint={hint} error={error}>
      <input id={id} aria-invalid={error ? true : undefined} aria-describedby={describedBy(id, hint, error)} aria-required={required || undefined} {...input} />
    </Chrome>
  );
}

export type TextAreaFieldProps = FieldChrome & Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'id'>;

export function TextAreaField({ label, hint, error, id, required, ...input }: TextAreaFieldProps) {
  return (
    <Chrome id={id} label={label} hint={hint} error={error}>
      <textarea id={id} aria-invalid={error ? true : undefined} aria-describedby={describedBy(id, hint, error)} aria-required={required || undefined} {...input} />
    </Chrome>
  );
}

export type SelectFieldProps = FieldChrome &
  Omit<SelectHTMLAttributes<HTMLSelectElement>, 'id'> & { options: { value: string; label: string }[] };

export function SelectField({ label, hint, error, id, options, required, ...select }: SelectFieldProps) {
  return (
    <Chrome id={id} label={label} hint={hint} error={error}>
      <select id={id} aria-invalid={error ? true : undefined} aria-describedby={describedBy(id, hint, error)} aria-required={required || undefined} {...select}>
        {options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </Chrome>
  );
}

export type CheckboxFieldProps = Omit<FieldChrome, 'id'> & { id: string } & Omit<InputHTMLAttributes<HTMLInputElement>, 'id' | 'type'>;

export function CheckboxField({ label, hint, error, id, ...input }: CheckboxFieldProps) {
  return (
    <div className={`field field-checkbox${error ? ' field-invalid' : ''}`}>
      <input id={id} type="checkbox" aria-invalid={error ? true : undefined} aria-describedby={describedBy(id, hint, error)} {...input} />
      <label htmlFor={id}>{label}</label>
      {hint && (
        <p id={`${id}-hint`} className="field-hint">
          {hint}
        </p>
      )}
      {error && (
        <p id={`${id}-error`} className="field-error">
          {error}
        </p>
      )}
    </div>
  );
}

/** The error of a whole form (not about one field), announced when it appears. */
export function FormError({ message }: { message: string | undefined }) {
  return (
    <div role="alert" className={message ? 'form-error' : 'visually-hidden'}>
      {message}
    </div>
  );
}
