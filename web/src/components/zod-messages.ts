import type { z } from 'zod';

/**
 * Messages for people in place of Zod's defaults ("Too small: expected string to have >=1
 * characters"). Messages written into a schema (e.g. the password's) still win.
 */
export function friendlyMessage(issue: z.core.$ZodRawIssue): string | undefined {
  const noun = issue.origin === 'array' || issue.origin === 'set' ? 'items' : 'characters';
  switch (issue.code) {
    case 'invalid_type':
      return issue.input === undefined || issue.input === null ? 'Required' : `Must be a ${issue.expected}`;
    case 'too_small':
      if (issue.origin === 'string' && issue.minimum === 1) return 'Required';
      return issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint'
        ? `Must be at least ${String(issue.minimum)}`
        : `Must have at least ${String(issue.minimum)} ${noun}`;
    case 'too_big':
      return issue.origin === 'number' || issue.origin === 'int' || issue.origin === 'bigint'
        ? `Must be at most ${String(issue.maximum)}`
        : `Must have at most ${String(issue.maximum)} ${noun}`;
    case 'invalid_format':
      return issue.format === 'email' ? 'Enter an email address' : issue.format === 'url' ? 'Enter a URL' : issue.format === 'datetime' ? 'Enter a date and time' : undefined;
    case 'invalid_value':
      return 'Choose one of the options';
    default:
      return undefined;
  }
}

/** Empty text fields mean "not given": '' becomes undefined, so optional fields pass and required ones say "Required". */
export function blankToUndefined<T>(value: T): T {
  if (value === '') return undefined as T;
  if (Array.isArray(value)) return value as T;
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, blankToUndefined(v)])) as T;
  }
  return value;
}
