import { isConnectionLost } from '../db/errors.js';
import type { Logger } from '../shared/logger.js';
import { classifyModelError, endpointFailure, type ClassifiedError, type ErrorCategory } from './errors.js';
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
  /** Where the real cause of a failure at an organization's own base URL goes (the run shows a generic one). */
  logger?: Logger;
}

/** Why one model of the chain gave up, as a failed run records it: no key, no provider body beyond the redacted message. */
export interface ModelCause {
  model: string;
  code: string;
  message: string;
}

/**
 * Every model of the chain failed, and the offline rules model was not meant to answer (see
 * callWithFallback). The run fails with `all_models_failed` and these causes.
 */
export class AllModelsFailedError extends Error {
  override name = 'AllModelsFailedError';
  readonly code = 'all_models_failed';
  readonly category: ErrorCategory;
  /** One per model tried, in order: the error that made the chain give up on it. */
  readonly causes: ModelCause[];

  constructor(errors: ModelFailure[]) {
    const last = new Map<string, ModelFailure>();
    for (const e of errors) last.set(e.model, e);
    const causes = [...last.values()].map((e) => ({ model: e.model, code: e.code, message: e.message }));
    const list = causes.map((c) => `${c.model} (${c.code})`).join(', ');
    super(
      causes.length
        ? `None of the agent's models could answer: ${list}. An administrator can check the provider keys in the credentials settings and the agent's model and fallback models.`
        : 'The agent has no model to call.',
    );
    this.causes = causes;
    const categories = new Set([...last.values()].map((e) => e.category));
    // A wrong or missing key is the organization's to fix; an outage anywhere in the chain is the provider's.
    this.category = categories.has('third_party') ? 'third_party' : categories.size === 1 && categories.has('user') ? 'user' : 'system';
  }
}

/** The chain to try: the given refs without repeats. The rules model is in it only when listed. */
export function fallbackChain(refs: readonly string[]): string[] {
  return [...new Set(refs)];
}

/**
 * Calls `call` with refs[0] (retrying retryable errors), then each later ref. A non-retryable
 * error — 401/403, 400, a missing credential, a malformed ref — moves to the next model at once.
 * An abort is thrown as is, never treated as a failure.
 *
 * The offline rules model answers only when a ref names it (an agent that lists `rules:default`
 * as a fallback; after failures its fixed reply says which models failed), or when every ref
 * failed and no provider is configured at all for the organization, neither stored nor in the
 * environment (the zero-config trial: its reply says how to configure one). Otherwise, when every
 * ref failed, AllModelsFailedError is thrown with the cause per model: an outage or a wrong key
 * must fail the run, not let it succeed with a canned apology.
 *
 * Failures at a base URL the organization stored are all reported as one generic error
 * (errors.ts, endpointFailure).
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

  const attempt = async (ref: string, model: ResolvedModel): Promise<FallbackResult<T>> => {
    const classify = classifierFor(deps, orgId, ref, model);
    const result = await withRetries(
      () => {
        attempts++;
        return call(model, attempts);
      },
      {
        ...deps.retry,
        maxRetries: deps.maxRetries,
        signal,
        classify,
        onRetry: (info) => {
          errors.push({ ...info.error, model: ref });
          onEvent?.({ type: 'retry', model: model.id, attempt: info.attempt, delayMs: info.delayMs, error: info.error });
        },
      },
    );
    return { result, used: model, attempts, usedRulesModel: model.ref.provider === 'rules', errors };
  };

  for (const [i, ref] of chain.entries()) {
    if (signal?.aborted) throw abortReason(signal);
    let model: ResolvedModel | undefined;
    try {
      model = ref === RULES_REF && errors.length > 0 ? deps.models.rules(orgId, 'default', { fixedReply: failedReply(errors) }) : await deps.models.resolve(orgId, ref);
      return await attempt(ref, model);
    } catch (err) {
      if (signal?.aborted) throw abortReason(signal);
      // Resolving reads the organization's credentials: a lost database connection there is not
      // the model's failure (the run is handed back and resumed, not failed with all_models_failed).
      if (!model && isConnectionLost(err)) throw err;
      // The last call was classified (and logged) by the retry loop already; a resolve error was not.
      const error = model ? classifierFor(deps, orgId, ref, model, false)(err) : classifyModelError(err);
      if (error.code === 'aborted') throw err;
      errors.push({ ...error, model: ref });
      const next = chain[i + 1];
      if (next) onEvent?.({ type: 'fallback', from: ref, to: next, error });
    }
  }

  if (signal?.aborted) throw abortReason(signal);
  // The zero-config trial: nothing could have answered, so the rules model says how to configure one.
  if (!(await deps.models.anyProviderConfigured(orgId))) {
    const last = errors.at(-1);
    if (last) onEvent?.({ type: 'fallback', from: last.model, to: RULES_REF, error: last });
    return attempt(RULES_REF, deps.models.rules(orgId));
  }
  throw new AllModelsFailedError(errors);
}

/**
 * How the failures of `model` are classified: as they are, or, for an organization's own base
 * URL, as the one generic error (the real one goes to the operator's log, once per failed call).
 */
function classifierFor(deps: FallbackDeps, orgId: string, ref: string, model: ResolvedModel, log = true): (err: unknown) => ClassifiedError {
  const origin = model.tenantEndpoint;
  if (!origin) return classifyModelError;
  return (err) => {
    const real = classifyModelError(err);
    if (real.code === 'aborted') return real;
    if (log) deps.logger?.warn({ orgId, model: ref, endpoint: origin, code: real.code, status: real.status, cause: real.message }, "a call to an organization's model base URL failed");
    return endpointFailure(origin);
  };
}

/** The rules model's reply when an agent lists it as a fallback and the models before it failed: why, without any secret. */
function failedReply(errors: ModelFailure[]): string {
  // One reason per model: the error that made the chain give up on it (retried ones came before).
  const last = new Map(errors.map((e) => [e.model, e.code]));
  const reasons = [...last].map(([model, code]) => `${model}: ${code}`).join(', ');
  return (
    `The configured language models could not answer (${reasons}), so this is a fixed reply from the offline rules model. ` +
    'Please try again later; an administrator can check the provider keys and the agent’s model settings.'
  );
}
