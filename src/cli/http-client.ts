import { withFieldLines } from './errors.js';
import { CliError } from './run.js';

export const DEFAULT_URL = 'http://127.0.0.1:3000';
const API_PREFIX = '/api/v1';
const TIMEOUT_MS = 60_000;

export interface ApiClientOptions {
  /** Server root, e.g. http://127.0.0.1:3000 (a trailing /api/v1 is accepted too). */
  url: string;
  /** API key (or user access token), sent as `Authorization: Bearer …`. */
  apiKey: string;
  /** Organization id, sent as X-Org-Id. */
  orgId?: string;
}

export interface RequestOptions {
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
}

interface Problem {
  status?: number;
  code?: string;
  detail?: string;
  errors?: { path: string; message: string }[];
}

/**
 * A small client for the Troupe HTTP API. Every failure becomes a CliError (exit 1) a person can
 * act on: the server's problem detail with one `path: message` line per failing field, or that
 * the server cannot be reached at all.
 */
export class ApiClient {
  readonly root: string;

  constructor(private readonly options: ApiClientOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new CliError(`--url / TROUPE_URL: "${options.url}" is not a URL (e.g. ${DEFAULT_URL})`, 2);
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new CliError(`--url / TROUPE_URL: must start with http:// or https:// (got "${options.url}")`, 2);
    }
    this.root = url.toString().replace(/\/+$/, '').replace(/\/api\/v1$/, '');
  }

  /** Sends one request; resolves with the parsed JSON body (null for 204). */
  async request<T>(method: string, path: string, { query, body }: RequestOptions = {}): Promise<T> {
    const url = new URL(`${this.root}${API_PREFIX}${path}`);
    for (const [key, value] of Object.entries(query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const headers: Record<string, string> = { accept: 'application/json', authorization: `Bearer ${this.options.apiKey}` };
    if (this.options.orgId) headers['x-org-id'] = this.options.orgId;
    if (body !== undefined) headers['content-type'] = 'application/json';

    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
    } catch (err) {
      throw this.unreachable(err);
    }
    const text = await response.text();
    if (!response.ok) throw this.failure(method, url, response, text);
    if (response.status === 204 || text === '') return null as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(`${method} ${url.pathname}: the server answered ${response.status} with a body that is not JSON`);
    }
  }

  private unreachable(err: unknown): CliError {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError') return new CliError(`the Troupe server at ${this.root} did not answer within ${TIMEOUT_MS / 1000} s`);
    const reason = e.cause?.code ?? e.cause?.message ?? e.message;
    return new CliError(`cannot reach the Troupe server at ${this.root} (is it running? set TROUPE_URL or --url)${reason ? `: ${reason}` : ''}`);
  }

  private failure(method: string, url: URL, response: Response, text: string): CliError {
    let problem: Problem | null = null;
    try {
      problem = JSON.parse(text) as Problem;
    } catch {
      // Not problem+json (a proxy's error page, say): show the start of it.
    }
    if (!problem || typeof problem.detail !== 'string') {
      const snippet = text.replace(/\s+/g, ' ').trim().slice(0, 200);
      return new CliError(`${method} ${url.pathname} failed: HTTP ${response.status} ${response.statusText}${snippet ? `: ${snippet}` : ''}`);
    }
    const code = problem.code ? ` (${response.status} ${problem.code})` : ` (${response.status})`;
    // A single-field problem's detail already reads `path: message`; do not repeat it.
    const fields = (problem.errors ?? []).filter((e) => `${e.path}: ${e.message}` !== problem.detail);
    return new CliError(withFieldLines(`${problem.detail}${code}`, fields));
  }
}
