import { useEffect, useState } from 'react';
import { errorMessage } from '../../../api/errors';
import { workflowsApi, type EditorDefinition, type Problem } from '../api';

/** Quiet time after the last change before the definition is checked: a word typed, not each key. */
const DEBOUNCE_MS = 400;

export interface ValidationState {
  problems: Problem[];
  /** A check is waiting or under way for the definition on screen. */
  checking: boolean;
  /** The last check failed (network, server): the problems shown are older. */
  error: string | null;
  /** The definition the problems are about. */
  checked: EditorDefinition | null;
}

/**
 * The definition's problems from `POST /workflows/validate` (the server's own rules: schema,
 * graph, expressions, agents and tools), checked again DEBOUNCE_MS after each change; a check
 * still running when the next starts is abandoned.
 */
export function useValidation(definition: EditorDefinition, workflowId: string | undefined): ValidationState {
  const [state, setState] = useState<ValidationState>({ problems: [], checking: true, error: null, checked: null });

  useEffect(() => {
    const controller = new AbortController();
    const timer = setTimeout(() => {
      workflowsApi
        .validate(definition, workflowId, controller.signal)
        .then((r) => setState({ problems: r.problems, checking: false, error: null, checked: definition }))
        .catch((err: unknown) => {
          if (controller.signal.aborted) return;
          setState((s) => ({ ...s, checking: false, error: errorMessage(err) }));
        });
    }, DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [definition, workflowId]);

  return { ...state, checking: state.checked !== definition && state.error === null };
}

/** Problems by node id; the definition's own (nodeId null) under ''. */
export function problemsByNode(problems: readonly Problem[]): Map<string, Problem[]> {
  const out = new Map<string, Problem[]>();
  for (const p of problems) {
    const key = p.nodeId ?? '';
    out.set(key, [...(out.get(key) ?? []), p]);
  }
  return out;
}
