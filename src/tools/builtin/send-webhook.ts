import { createHmac } from 'node:crypto';
import { z } from 'zod';
import type { Config } from '../../config/load.js';
import type { SecretBox } from '../../shared/crypto.js';
import { AppError } from '../../shared/errors.js';
import { defineTool } from '../define.js';
import { ToolError } from '../errors.js';
import { lowerKeys, requestHeadersSchema } from '../net/headers.js';
import { ToolSettings } from '../settings.js';
import { postJson } from './post-json.js';
import { urlForPeople } from '../describe.js';

/** Largest JSON payload sent, in characters. */
export const MAX_WEBHOOK_PAYLOAD = 256 * 1024;

/** `sha256=<hex HMAC-SHA256 of the exact body>`, as GitHub and Stripe-style receivers verify it. */
export const signBody = (secret: string, body: string) => `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;

/**
 * POSTs a JSON payload to a URL (same SSRF rules as http_request). When the organization set a
 * webhook secret (PUT /tool-settings/webhook-secret), the body is signed in `x-troupe-signature`;
 * the key never passes through the model, the run's steps or its events. `x-troupe-delivery`
 * carries the tool call id so a receiver can drop a duplicate delivery; with the organization's
 * `webhookRetryOnCrash` on, a call the worker died during is sent again with that same id.
 */
export const sendWebhook = (config: Config, secrets?: SecretBox) =>
  defineTool({
    name: 'send_webhook',
    category: 'web',
    description:
      "POSTs a JSON object to a webhook URL, signed with HMAC-SHA256 (header x-troupe-signature) when the organization set a webhook secret. Fails when the receiver does not answer 2xx.",
    inputSchema: z.object({
      url: z.string().min(1).max(2048).describe('http:// or https:// URL of the receiver'),
      payload: z.record(z.string(), z.unknown()).describe('The JSON object to send'),
      headers: requestHeadersSchema.optional(),
    }),
    outputSchema: z.object({ delivered: z.literal(true), status: z.number().int(), response: z.string() }),
    grantRoles: ['admin', 'owner'],
    requiresApproval: false,
    idempotent: false,
    // An organization whose receivers drop a repeated x-troupe-delivery id turns this on: a call
    // interrupted by a worker's death is then sent again (same id, same body) without a person.
    retryInterruptedSetting: 'webhookRetryOnCrash',
    timeoutMs: config.TROUPE_HTTP_TOOL_TIMEOUT_MS + 2_000,
    describe: (input) => `POST a webhook to ${urlForPeople(input.url)} (${Object.keys(input.payload).length} fields)`,
    async execute(input, ctx) {
      const body = JSON.stringify(input.payload);
      if (body.length > MAX_WEBHOOK_PAYLOAD) throw new ToolError(`The payload is larger than ${MAX_WEBHOOK_PAYLOAD} characters`, 'invalid_arguments');
      // Ours come last so a model-given header of the same name cannot replace them.
      const headers: Record<string, string> = { ...lowerKeys(input.headers), 'x-troupe-delivery': ctx.toolCallId };
      const { allowlist, secret } = await new ToolSettings(ctx.database, secrets).forWebhook(ctx.orgId).catch((err: unknown) => {
        // Not sent unsigned: a receiver that checks signatures would take it as forged.
        if (err instanceof AppError && err.code === 'secret_unreadable') throw new ToolError(`${err.message}; an administrator must set it again`);
        throw err;
      });
      if (secret) headers['x-troupe-signature'] = signBody(secret, body);
      return { delivered: true as const, ...(await postJson(ctx, input.url, body, headers, allowlist)) };
    },
  });
