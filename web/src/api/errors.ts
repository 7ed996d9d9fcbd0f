import type { FieldError, Problem } from './types';

/**
 * A failed API call: the server's problem+json (status, stable `code`, human `detail`, failing
 * fields), or a network failure (status 0, code `network_error`).
 */
export class ApiError extends Error {
  override name = 'ApiError';
  readonly status: number;
  readonly code: string;
  readonly detail: string;
  readonly errors: FieldError[];
  readonly requestId: string | undefined;
  /** The whole problem body, with the fields some endpoints add (a calendar clash's `alternatives`). */
  readonly body: Record<string, unknown>;

  constructor(problem: Pick<Problem, 'status' | 'code' | 'detail'> & Partial<Problem> & Record<string, unknown>) {
    super(problem.detail);
    this.body = problem;
    this.status = problem.status;
    this.code = problem.code;
    this.detail = problem.detail;
    this.errors = problem.errors ?? [];
    this.requestId = problem.requestId;
  }

  /**
   * The failing fields keyed by form field name: `body.limits.maxSteps` → `limits.maxSteps`
   * (the `body.`/`querystring.` prefix dropped). The first message per field wins.
   */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of this.errors) {
      const name = fieldName(e.path);
      if (name && !(name in out)) out[name] = e.message;
    }
    return out;
  }

  /** The message for one field, if the server named it. */
  fieldError(name: string): string | undefined {
    return this.fieldErrors()[name];
  }

  get isNetworkError() {
    return this.status === 0;
  }
}

/** `body.name` → `name`; `querystring.limit` → `limit`; `headers.x-org-id` → null (no form field). */
export function fieldName(path: string): string | null {
  const m = /^(body|querystring|params)\.(.+)$/.exec(path);
  return m ? m[2]! : null;
}

export const isApiError = (err: unknown): err is ApiError => err instanceof ApiError;

/** A message for a person, whatever was thrown. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return err.detail;
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Reads a failed response into an ApiError, whether or not it is problem+json. */
export async function toApiError(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  try {
    const body = JSON.parse(text) as Partial<Problem>;
    if (typeof body.code === 'string' && typeof body.detail === 'string') {
      return new ApiError({ ...body, status: res.status, code: body.code, detail: body.detail });
    }
  } catch {
    // not JSON: a proxy's error page, for instance
  }
  return new ApiError({
    status: res.status,
    code: `http_${res.status}`,
    detail: res.status >= 500 ? `The server failed (HTTP ${res.status}); try again in a moment` : `Request failed (HTTP ${res.status})`,
  });
}

export const networkError = (cause: unknown) =>
  new ApiError({ status: 0, code: 'network_error', detail: `Could not reach the Troupe server (${errorMessage(cause)})` });
