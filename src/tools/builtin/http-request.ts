import { z } from 'zod';
import type { Config } from '../../config/load.js';
import { defineTool } from '../define.js';
import { requestHeadersSchema } from '../net/headers.js';
import { guardedRequest, HTTP_METHODS } from '../net/request.js';
import { ToolSettings } from '../settings.js';
import { urlForPeople } from '../describe.js';

/** Longest request body the model may send (characters). */
export const MAX_REQUEST_BODY = 1_000_000;
/** Extra time over TROUPE_HTTP_TOOL_TIMEOUT_MS so the request reports its own, clearer timeout first. */
const GRACE_MS = 2_000;

/**
 * Calls a URL on the internet for the model. Private, loopback and link-local targets are refused
 * unless the organization allow-lists them (net/guard.ts); redirects are followed by hand (up to
 * 5, each checked); the whole exchange is bounded by TROUPE_HTTP_TOOL_TIMEOUT_MS (default 15 s)
 * and the body kept by TROUPE_HTTP_TOOL_MAX_BYTES (default 1 MiB). Not idempotent as a whole
 * (POST/PUT/DELETE change things), so the engine will not retry an interrupted call by itself.
 */
export const httpRequest = (config: Config) =>
  defineTool({
    name: 'http_request',
    category: 'web',
    description:
      'Makes an HTTP request to a public URL and returns the status, headers and body (as text, cut off at a size limit, ' +
      '`truncated` tells). Private and internal addresses are refused unless an administrator allowed them.',
    inputSchema: z
      .object({
        url: z.string().min(1).max(2048).describe('http:// or https:// URL'),
        method: z.enum(HTTP_METHODS).default('GET'),
        headers: requestHeadersSchema.optional(),
        body: z.string().max(MAX_REQUEST_BODY).optional().describe('Request body as text; set content-type in headers (e.g. application/json)'),
      })
      .superRefine((input, ctx) => {
        if (input.body !== undefined && (input.method === 'GET' || input.method === 'HEAD')) {
          ctx.addIssue({ code: 'custom', path: ['body'], message: `a ${input.method} request cannot have a body` });
        }
      }),
    outputSchema: z.object({
      url: z.string(),
      status: z.number().int(),
      headers: z.record(z.string(), z.string()),
      body: z.string(),
      truncated: z.boolean(),
      redirects: z.number().int(),
    }),
    grantRoles: ['admin', 'owner'],
    requiresApproval: false,
    idempotent: false,
    timeoutMs: config.TROUPE_HTTP_TOOL_TIMEOUT_MS + GRACE_MS,
    describe: (input) => `${input.method} ${urlForPeople(input.url)}`,
    async execute(input, ctx) {
      const allowlist = await new ToolSettings(ctx.database).allowlist(ctx.orgId);
      return guardedRequest({
        url: input.url,
        method: input.method,
        headers: input.headers,
        body: input.body,
        allowlist,
        timeoutMs: ctx.config.TROUPE_HTTP_TOOL_TIMEOUT_MS,
        maxBytes: ctx.config.TROUPE_HTTP_TOOL_MAX_BYTES,
        signal: ctx.signal,
      });
    },
  });
