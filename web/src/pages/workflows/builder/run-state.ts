import { useQuery } from '@tanstack/react-query';
import { fieldName, isApiError } from '../../../api/errors';
import { isRunActive, workflowKeys, workflowsApi } from '../api';

/**
 * The run shown on the canvas, and its node executions, polled every second while the run is
 * active, `waiting` included (no SSE needed: one small request a second for one open builder).
 * The node list's key carries the run's status, so the run's end fetches it once more, complete.
 */
export function useShownRun(runId: string | null) {
  const run = useQuery({
    queryKey: workflowKeys.run(runId ?? ''),
    queryFn: ({ signal }) => workflowsApi.getRun(runId!, signal),
    enabled: runId !== null,
    refetchInterval: (q) => (isRunActive(q.state.data?.status) ? 1000 : false),
  });
  const status = run.data?.status ?? '';
  const nodes = useQuery({
    queryKey: workflowKeys.nodes(runId ?? '', status),
    queryFn: ({ signal }) => workflowsApi.nodeRuns(runId!, signal),
    enabled: runId !== null && run.data !== undefined,
    refetchInterval: isRunActive(status) ? 1000 : false,
    // The list of the run's previous status stays on screen while the next one loads (another run's does not).
    placeholderData: (previous, previousQuery) => (previousQuery?.queryKey[2] === runId ? previous : undefined),
  });
  return { run, nodes };
}

/** A child run (an agent or sub-workflow node's): its task, cost and status, polled while it goes on. */
export function useChildRun(runId: string | null) {
  return useQuery({
    queryKey: workflowKeys.run(runId ?? ''),
    queryFn: ({ signal }) => workflowsApi.getRun(runId!, signal),
    enabled: runId !== null,
    refetchInterval: (q) => (isRunActive(q.state.data?.status) ? 2000 : false),
  });
}

/**
 * The fields a refused start named (400 invalid_input: `body.input.email` → `email`), by the
 * field paths of the input form; `''` for the input as a whole.
 */
export function inputErrors(err: unknown): Map<string, string> {
  const out = new Map<string, string>();
  if (!isApiError(err) || err.code !== 'invalid_input') return out;
  for (const e of err.errors) {
    const name = fieldName(e.path);
    if (name === null || (name !== 'input' && !name.startsWith('input.'))) continue;
    const path = name === 'input' ? '' : name.slice('input.'.length);
    if (!out.has(path)) out.set(path, e.message);
  }
  return out;
}
