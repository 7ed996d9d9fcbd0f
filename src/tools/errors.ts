/**
 * How a tool call can fail, as the model sees it. A failure is a result the model reads and can
 * react to (fix its arguments, try another URL), never an exception that ends the run.
 * `not_found` (no such record in this organization), `conflict` (the record's state forbids it: a
 * full session, a double booking) and `refused` (a rule says no: a contact's consent) let a
 * domain pack's tools say why without the model parsing the message.
 */
export const TOOL_ERROR_CODES = ['invalid_arguments', 'tool_failed', 'timeout', 'unknown_tool', 'not_allowed', 'not_found', 'conflict', 'refused'] as const;
export type ToolErrorCode = (typeof TOOL_ERROR_CODES)[number];

/** A failing argument, path relative to the call's arguments (`input.to.2`). */
export interface ToolIssue {
  path: string;
  message: string;
}

export type ToolOutcome =
  | { ok: true; output: unknown }
  | { ok: false; error: { code: ToolErrorCode; message: string; issues?: ToolIssue[] } };

/**
 * Thrown by a tool to fail with a message that is safe to show the model (no stack, no secrets).
 * Any other error a tool throws reaches the model only as a generic "failed" message.
 */
export class ToolError extends Error {
  override name = 'ToolError';
  constructor(
    message: string,
    readonly code: ToolErrorCode = 'tool_failed',
    readonly issues?: ToolIssue[],
  ) {
    super(message);
  }
}

export const toolFailure = (code: ToolErrorCode, message: string, issues?: ToolIssue[]): ToolOutcome => ({
  ok: false,
  error: { code, message, ...(issues?.length ? { issues } : {}) },
});
