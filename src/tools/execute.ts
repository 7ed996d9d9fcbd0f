import type { z } from 'zod';
import type { ToolContext, ToolDefinition } from './define.js';
import { ToolError, toolFailure, type ToolIssue, type ToolOutcome } from './errors.js';

/** Zod issues as paths below the arguments object: `input.to.2`, `input` for the whole. */
export function toToolIssues(error: z.ZodError): ToolIssue[] {
  return error.issues.map((issue) => ({
    path: ['input', ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
}

/** Models sometimes hand over the raw JSON text of their arguments; accept both. */
function argumentsOf(raw: unknown): { ok: true; value: unknown } | { ok: false } {
  if (typeof raw !== 'string') return { ok: true, value: raw ?? {} };
  try {
    return { ok: true, value: JSON.parse(raw) };
  } catch {
    return { ok: false };
  }
}

/** The output as plain JSON (Dates become ISO strings, undefined fields drop), as the engine stores it. */
const asJson = (value: unknown): unknown => (value === undefined ? null : JSON.parse(JSON.stringify(value)));

const TIMED_OUT = Symbol('timed out');

/**
 * Runs one tool call and never throws for a problem of the tool or its arguments: those come
 * back as `{ ok: false }` for the model to read. Only the run's own abort (`ctx.signal`) is
 * rethrown, because then nobody is waiting for the result.
 *
 * The tool gets a signal that aborts at `def.timeoutMs` or with the run; a tool that ignores it
 * is left behind (its eventual result is dropped) rather than holding the run.
 */
type ToolFailure = Extract<ToolOutcome, { ok: false }>;
const failure = (...a: Parameters<typeof toolFailure>) => toolFailure(...a) as ToolFailure;

/**
 * The arguments checked against the tool's input schema (and defaulted): `{ ok: true, data }`, or
 * the `invalid_arguments` failure the model gets back. The engine asks this before it asks a
 * person to approve a call, so a call that cannot work never reaches anyone.
 */
export async function checkArguments(def: ToolDefinition, rawArgs: unknown): Promise<{ ok: true; data: unknown } | ToolFailure> {
  const args = argumentsOf(rawArgs);
  if (!args.ok) return failure('invalid_arguments', 'The arguments are not valid JSON', [{ path: 'input', message: 'not valid JSON' }]);
  const parsed = await def.inputSchema.safeParseAsync(args.value);
  if (!parsed.success) {
    const issues = toToolIssues(parsed.error);
    return failure('invalid_arguments', `Invalid arguments for ${def.name}: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`, issues);
  }
  return { ok: true, data: parsed.data };
}

export async function executeTool(def: ToolDefinition, rawArgs: unknown, ctx: ToolContext): Promise<ToolOutcome> {
  ctx.signal.throwIfAborted();
  const parsed = await checkArguments(def, rawArgs);
  if (!parsed.ok) return parsed;
  // The run may have been canceled while the arguments were checked; an abort event that has
  // already fired would never reach the listener below.
  ctx.signal.throwIfAborted();

  const timer = new AbortController();
  const signal = AbortSignal.any([ctx.signal, timer.signal]);
  let stop: (() => void) | undefined;
  const stopped = new Promise<typeof TIMED_OUT>((resolve, reject) => {
    const timeout = setTimeout(() => {
      timer.abort(new ToolError(`${def.name} did not finish within ${def.timeoutMs} ms`, 'timeout'));
      resolve(TIMED_OUT);
    }, def.timeoutMs);
    const onRunAbort = () => reject(ctx.signal.reason);
    ctx.signal.addEventListener('abort', onRunAbort, { once: true });
    stop = () => {
      clearTimeout(timeout);
      ctx.signal.removeEventListener('abort', onRunAbort);
    };
  });
  const log = ctx.logger.child({ tool: def.name, runId: ctx.runId, toolCallId: ctx.toolCallId });
  const running = Promise.resolve().then(() => def.execute(parsed.data, { ...ctx, signal }));
  // A call left behind by a timeout may still fail later; that must not become an unhandled rejection.
  running.catch(() => {});
  stopped.catch(() => {});

  try {
    const result = await Promise.race([running, stopped]);
    if (result === TIMED_OUT) return toolFailure('timeout', `${def.name} did not finish within ${def.timeoutMs} ms`);
    return checkOutput(def, result, log);
  } catch (err) {
    if (ctx.signal.aborted) throw ctx.signal.reason;
    // The tool may reject on our time-limit abort before the timer's own promise wins the race.
    if (timer.signal.aborted) return toolFailure('timeout', `${def.name} did not finish within ${def.timeoutMs} ms`);
    if (err instanceof ToolError) return toolFailure(err.code, err.message, err.issues);
    // Unknown errors may carry SQL, hosts or keys in their text: log it, show the model a plain line.
    log.warn({ err }, 'tool failed');
    return toolFailure('tool_failed', `${def.name} failed because of an internal error`);
  } finally {
    stop?.();
  }
}

function checkOutput(def: ToolDefinition, output: unknown, log: ToolContext['logger']): ToolOutcome {
  if (!def.outputSchema) return { ok: true, output: asJson(output) };
  const checked = def.outputSchema.safeParse(output);
  if (checked.success) return { ok: true, output: asJson(checked.data) };
  log.error({ issues: checked.error.issues }, 'tool output did not match its schema');
  return toolFailure('tool_failed', `${def.name} returned a result of the wrong shape`);
}
