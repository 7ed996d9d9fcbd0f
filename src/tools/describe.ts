import type { ToolDefinition } from './define.js';

const MAX_LINE = 300;
const MAX_VALUE = 60;
const MAX_KEYS = 6;

/** Argument names whose values are not repeated in a description (it is mailed to approvers). */
const SECRET_NAME = /key|token|secret|password|passwd|auth|cookie|signature|webhook/i;

const clip = (text: string, max: number) => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/** A URL as a person should see it before approving: origin and path, no user info, query or fragment (they may hold tokens). */
export function urlForPeople(raw: string): string {
  try {
    const u = new URL(raw);
    return `${u.origin}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return clip(raw, MAX_VALUE);
  }
}

/** A value in one short piece: strings quoted and clipped, objects and arrays as their size. */
function brief(value: unknown): string {
  if (typeof value === 'string') return `"${clip(value.replace(/\s+/g, ' '), MAX_VALUE)}"`;
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value);
  if (Array.isArray(value)) return `[${value.length} item${value.length === 1 ? '' : 's'}]`;
  if (typeof value === 'object') return '{…}';
  return typeof value;
}

/** "Call lookup_order with: orderId="A-1", verbose=true" for a tool without its own `describe`. */
export function genericDescription(name: string, args: unknown): string {
  if (!args || typeof args !== 'object' || Array.isArray(args)) return `Call ${name}`;
  // A decision waiting for a person (src/decisions): what it is about, how sure, what it would do.
  if (name === 'decision') {
    const d = args as { intent?: unknown; confidence?: unknown; actions?: { type?: unknown }[] };
    const actions = Array.isArray(d.actions) ? d.actions.map((a) => String(a?.type)).join(', ') : '';
    return clip(`approve a decision: ${String(d.intent)} (confidence ${String(d.confidence)})${actions ? `: ${actions}` : ': no actions'}`, MAX_LINE);
  }
  const entries = Object.entries(args as Record<string, unknown>);
  if (entries.length === 0) return `Call ${name} with no arguments`;
  const shown = entries.slice(0, MAX_KEYS).map(([k, v]) => `${k}=${SECRET_NAME.test(k) ? '***' : brief(v)}`);
  if (entries.length > MAX_KEYS) shown.push('…');
  return clip(`Call ${name} with: ${shown.join(', ')}`, MAX_LINE);
}

/**
 * The one line an approval card shows for a call: the tool's own `describe` over its validated
 * arguments, else the generic "Call <tool> with: k=v, …". Never throws (a describe that fails, or
 * arguments that no longer validate, fall back to the generic line).
 */
export function describeCall(def: ToolDefinition | undefined, name: string, args: unknown): string {
  if (def?.describe) {
    try {
      const parsed = def.inputSchema.safeParse(args);
      if (parsed.success) return clip(def.describe(parsed.data).replace(/\s+/g, ' ').trim(), MAX_LINE);
    } catch {
      // an async refinement, or a describe that threw: the generic line below
    }
  }
  return genericDescription(name, args);
}
