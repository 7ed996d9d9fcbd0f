/**
 * Errors that carry meaning across the HTTP boundary. Services throw these; the API renders them
 * as application/problem+json with the same `code`, so clients can branch on a stable string.
 */
export interface FieldError {
  /** Dotted path of the failing field, e.g. `body.limits.maxSteps`. */
  path: string;
  message: string;
}

export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }
}

export const badRequest = (message: string, errors?: FieldError[], code = 'validation_failed') =>
  new AppError(400, code, message, errors);
export const unauthorized = (message = 'Authentication required', code = 'unauthorized') =>
  new AppError(401, code, message, undefined, { 'www-authenticate': 'Bearer' });
export const forbidden = (message: string, code = 'forbidden') => new AppError(403, code, message);
export const notFound = (what: string) => new AppError(404, 'not_found', `${what} not found`);
export const conflict = (message: string, code = 'conflict') => new AppError(409, code, message);

/** Postgres unique_violation, seen through either driver (pg or PGlite). */
export function isUniqueViolation(err: unknown): boolean {
  let e: unknown = err;
  for (let depth = 0; e && depth < 4; depth++) {
    if ((e as { code?: string }).code === '23505') return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
