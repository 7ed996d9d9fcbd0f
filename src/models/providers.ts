import { badRequest } from '../shared/errors.js';

/**
 * Model providers Troupe can call. `envKey`/`envBaseUrl` name the environment variables used when
 * an organization has stored no credential of its own. `rules` is the offline model (no network).
 */
export const PROVIDERS = {
  openai: { label: 'OpenAI', envKey: 'OPENAI_API_KEY', envBaseUrl: 'OPENAI_BASE_URL', needsKey: true },
  anthropic: { label: 'Anthropic', envKey: 'ANTHROPIC_API_KEY', envBaseUrl: 'ANTHROPIC_BASE_URL', needsKey: true },
  groq: { label: 'Groq', envKey: 'GROQ_API_KEY', envBaseUrl: 'GROQ_BASE_URL', needsKey: true },
  google: { label: 'Google', envKey: 'GOOGLE_GENERATIVE_AI_API_KEY', envBaseUrl: 'GOOGLE_GENERATIVE_AI_BASE_URL', needsKey: true },
  openrouter: { label: 'OpenRouter', envKey: 'OPENROUTER_API_KEY', envBaseUrl: 'OPENROUTER_BASE_URL', needsKey: true },
  ollama: { label: 'Ollama', envKey: null, envBaseUrl: 'OLLAMA_BASE_URL', needsKey: false },
  'openai-compatible': { label: 'OpenAI-compatible server (vLLM, LM Studio, …)', envKey: null, envBaseUrl: null, needsKey: false },
  rules: { label: 'Offline rules model', envKey: null, envBaseUrl: null, needsKey: false },
} as const satisfies Record<string, { label: string; envKey: string | null; envBaseUrl: string | null; needsKey: boolean }>;

export type ProviderId = keyof typeof PROVIDERS;
export const PROVIDER_IDS = Object.keys(PROVIDERS) as ProviderId[];

export const isProvider = (value: string): value is ProviderId => Object.hasOwn(PROVIDERS, value);

export interface ModelRef {
  provider: ProviderId;
  modelId: string;
}

const MODEL_ID = /^[A-Za-z0-9][\w.:/@-]{0,199}$/;

/** Why a `provider:model` string is not valid, or null when it is. */
export function modelRefProblem(ref: string): string | null {
  const i = ref.indexOf(':');
  if (i <= 0) return `must be "provider:model", e.g. "openai:gpt-4o-mini" (providers: ${PROVIDER_IDS.join(', ')})`;
  const provider = ref.slice(0, i);
  if (!isProvider(provider)) return `unknown provider "${provider}"; use one of ${PROVIDER_IDS.join(', ')}`;
  if (!MODEL_ID.test(ref.slice(i + 1))) return 'the model id after ":" is empty or has characters a model id cannot have';
  return null;
}

/** Parses `provider:model`; the model id may itself contain colons (`ollama:llama3.2:3b`). */
export function parseModelRef(ref: string, path = 'model'): ModelRef {
  const problem = modelRefProblem(ref);
  if (problem) throw badRequest(`${path}: ${problem}`, [{ path, message: problem }]);
  const i = ref.indexOf(':');
  return { provider: ref.slice(0, i) as ProviderId, modelId: ref.slice(i + 1) };
}
