import type { z } from 'zod';
import { AppError, type FieldError } from '../shared/errors.js';
import { CliError } from './run.js';

/** One line per failing field, indented under the headline: `  path: message`. */
export function withFieldLines(headline: string, errors: readonly FieldError[] = []): string {
  const lines = errors.map((e) => `${e.path}: ${e.message}`).filter((line) => line !== headline);
  return [headline, ...lines.map((line) => `  ${line}`)].join('\n');
}

/** A service's AppError as the CLI reports it: its message and field paths, exit code 1. */
export function cliErrorFromApp(err: AppError): CliError {
  return new CliError(withFieldLines(err.message, err.errors), 1);
}

/** Runs fn, turning the services' AppErrors into CliErrors. */
export async function reportingAppErrors<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof AppError) throw cliErrorFromApp(err);
    throw err;
  }
}

/**
 * Zod issues as field errors. `nameOf` renames a path for the reader (e.g. `temperature` →
 * `--temperature` when the value came from that flag).
 */
export function fieldErrorsOf(error: z.ZodError, nameOf: (path: string) => string = (p) => p): FieldError[] {
  // An empty path is the input as a whole (e.g. an unknown key); nameOf may name it, else "(input)".
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    return { path: nameOf(path) || '(input)', message: issue.message };
  });
}

/** A CliError (exit 1) for input that failed a schema, naming every failing field. */
export function invalidInput(what: string, error: z.ZodError, nameOf?: (path: string) => string): CliError {
  const errors = fieldErrorsOf(error, nameOf);
  return new CliError(withFieldLines(`invalid ${what}:`, errors), 1);
}

/** `maxOutputTokens` → `--max-output-tokens`. */
export const flagName = (field: string) => `--${field.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;
