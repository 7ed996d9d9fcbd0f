import { classifyModelError, type ClassifiedError } from './errors.js';
import type { LanguageModels, ResolvedModel } from './language-model.js';
import { abortReason, withRetries, type RetryOptions } from './retry.js';

export const RULES_REF = 'rules:default';

/** What the fallback chain reports, for the run's event log. */
export type FallbackEvent =
  | { type: 'retry'; model: string; attempt: number; delayMs: number; error: ClassifiedError }
  | { type: 'fallback'; from: string; to: string; error: ClassifiedError };

/** A failure with the model (`provider:model` as configured) it came from. */
export type ModelFailure = ClassifiedError & { model: string };

export interface FallbackOptions {
  signal?: AbortSignal;
  onEvent?: (event: FallbackEvent) => void;
}

export interface FallbackResult<T> {
  result: T;
  used: ResolvedModel;
  /** Calls made in all, across every model tried. */
  attempts: number;
  usedRulesModel: boolean;
  /** Every failed call on the way (retried ones included), oldest first; empty when the first call succeeded. */
  errors: ModelFailure[];
}

export interface FallbackDeps {
  models: LanguageModels;
  maxRetries: number;
  /** Backoff settings and test hooks (sleep, random) handed to withRetries. */
  retry?: Pick<RetryOptions, 'baseDelayMs' | 'maxDelayMs' | 'sleep' | 'random'>;
}

/** The chain to try: the given refs without repeats, then the rules model unless already in it. */
export function fallbackChain(refs: readonly string[]): string[] {
  const chain = [...new Set(refs)];
  if (!chain.includes(RULES_REF)) chain.push(RULES_REF);
  return chain;
}

/**
 * Calls `call` with refs[0] (retrying retryable errors), then each later ref, then the rules
 * model. A non-retryable error — 401, 400, a missing credential, a malformed ref — moves to the
 * next model at once. When the rules model is reached only because the others failed, its fixed
 * reply says so. An abort is thrown as is, never treated as a failure. When even the last model
 * fails, its error is thrown.
 *
 * `call` gets the model and the 1-based number of this call across the whole chain; it must pass
 * `maxRetries: 0` to the AI SDK (see withRetries).
 */
export async function callWithFallback<T>(
  deps: FallbackDeps,
  orgId: string,
  refs: readonly string[],
  call: (model: ResolvedModel, attempt: number) => Promise<T>,
  options: FallbackOptions = {},
): Promise<FallbackResult<T>> {
  const { signal, onEvent } = options;
  const chain = fallbackChain(refs);
  const errors: ModelFailure[] = [];
  let attempts = 0;
  let lastError: unknown;

  for (const [i, ref] of chain.entries()) {
    if (signal?.aborted) throw abortReason(signal);
    try {
      const model =
        ref === RULES_REF && errors.length > 0
          ? deps.models.rules(orgId, 'default', { fixedReply: failedReply(errors) })
          : await deps.models.resolve(orgId, ref);
      const result = await withRetries(
        () => {
          attempts++;
          return call(model, attempts);
        },
        {
          ...deps.retry,
          maxRetries: deps.maxRetries,
          signal,
          onRetry: (info) => {
            errors.push({ ...info.error, model: ref });
            onEvent?.({ type: 'retry', model: model.id, attempt: info.attempt, delayMs: info.delayMs, error: info.error });
          },
        },
      );
      return { result, used: model, attempts, usedRulesModel: model.ref.provider === 'rules', errors };
    } catch (err) {
      if (signal?.aborted) throw abortReason(signal);
      const error = classifyModelError(err);
      if (error.code === 'aborted') throw err;
      errors.push({ ...error, model: ref });
      lastError = err;
      const next = chain[i + 1];
      if (next) onEvent?.({ type: 'fallback', from: ref, to: next, error });
    }
  }
  throw lastError;
}

/** The rules model's reply after every configured model failed: why, without any secret. */
function failedReply(errors: ModelFailure[]): string {
  // One reason per model: the error that made the chain give up on it (retried ones came before).
  const last = new Map(errors.map((e) => [e.model, e.code]));
  const reasons = [...last].map(([model, code]) => `${model}: ${code}`).join(', ');
  return (
    `The configured language models could not answer (${reasons}), so this is a fixed reply from the offline rules model. ` +
    'Please try again later; an administrator can check the provider keys and the agent’s model settings.'
  );
}
