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
 * A base URL must reach a public address: the server refuses private and loopback ones (a model
 * server on its own network is the operator's to set, credential-input.ts).
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
    .describe(
      'Endpoint of an OpenAI-compatible server (Ollama, vLLM, LM Studio) or a proxy; required for openai-compatible. ' +
        'Private and loopback addresses are refused unless the server allows them (TROUPE_PRIVATE_MODEL_HOSTS).',
    ),
});
export type CredentialBody = z.infer<typeof credentialBody>;
