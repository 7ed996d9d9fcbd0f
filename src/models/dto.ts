import { z } from 'zod';

/** Request schemas of the models module shared with the dashboard (pure: zod only). */

function isPlainHttpUrl(value: string): boolean {
  try {
    const u = new URL(value);
    return (u.protocol === 'http:' || u.protocol === 'https:') && !u.username && !u.password;
  } catch {
    return false;
  }
}

/**
 * Body of PUT /credentials/:provider. Messages never quote the value: it may be a key.
 * Private and loopback base URLs are allowed on purpose — a local Ollama or vLLM is the point —
 * and only admins can set them.
 */
export const credentialBody = z.strictObject({
  apiKey: z
    .string()
    .min(1)
    .max(500)
    .regex(/^\S+$/, 'must not contain spaces or line breaks')
    .nullish()
    .describe('The provider API key; write-only, never returned. Required for providers that need a key.'),
  baseUrl: z
    .string()
    .max(2000)
    .refine(isPlainHttpUrl, 'must be an http:// or https:// URL without a user name or password (put secrets in apiKey)')
    .nullish()
    .describe('Endpoint of an OpenAI-compatible server (Ollama, vLLM, LM Studio) or a proxy; required for openai-compatible'),
});
export type CredentialBody = z.infer<typeof credentialBody>;
