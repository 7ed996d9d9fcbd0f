import type {
  JSONSchema7,
  LanguageModelV3CallOptions,
  LanguageModelV3FunctionTool,
  LanguageModelV3Prompt,
  LanguageModelV3ToolResultPart,
} from '@ai-sdk/provider';
import { findPhrase } from './classify.js';

/** The tool call the rules model decided on. */
export interface RoutedCall {
  toolName: string;
  input: Record<string, string>;
}

/** The text of the last user message (text parts only, joined by newlines); '' when there is none. */
export function lastUserText(prompt: LanguageModelV3Prompt): string {
  for (let i = prompt.length - 1; i >= 0; i--) {
    const m = prompt[i]!;
    if (m.role === 'user') return m.content.flatMap((p) => (p.type === 'text' ? [p.text] : [])).join('\n');
  }
  return '';
}

// Numbers joined by at least one operator: "12 * (3 + 4)", "2^10", "7 × 6". Deliberately narrow:
// a date like 2024-01-02 also matches, which is why the tool must also be named in the message.
const NUM = String.raw`\d+(?:[.,]\d+)*`;
const ARITHMETIC = new RegExp(String.raw`[-+]?\(*\s*${NUM}(?:\s*\)*\s*[-+*/×÷^%]\s*[-+]?\(*\s*${NUM})+(?:\s*\))*`, 'u');
const URL_RE = /\bhttps?:\/\/[^\s<>"'`]+[^\s<>"'`.,;:!?)\]]/iu;

/**
 * Parameters the rules model can fill from the message without understanding it. Anything else
 * required means the tool is not routed.
 */
const FILLERS: Record<string, (text: string) => string | undefined> = {
  expression: (text) => ARITHMETIC.exec(text)?.[0].trim().replace(/×/g, '*').replace(/÷/g, '/'),
  url: (text) => URL_RE.exec(text)?.[0],
};

/** Fills every required parameter, or returns null when one cannot be filled. */
function fillArguments(schema: JSONSchema7, text: string): Record<string, string> | null {
  const input: Record<string, string> = {};
  for (const name of schema.required ?? []) {
    const prop = schema.properties?.[name];
    const type = typeof prop === 'object' ? prop.type : undefined;
    const filler = FILLERS[name];
    const value = filler && (type === undefined || type === 'string') ? filler(text) : undefined;
    if (value === undefined) return null;
    input[name] = value;
  }
  return input;
}

/** Where a tool is named in the text: `current_time` as itself or as "current time". */
function mentionAt(text: string, toolName: string): number {
  const spoken = toolName.replace(/[_-]+/g, ' ').trim();
  const positions = [findPhrase(text, toolName), spoken === toolName ? -1 : findPhrase(text, spoken)].filter((i) => i >= 0);
  return positions.length ? Math.min(...positions) : -1;
}

/**
 * The tool to call for the last user message, if any: a tool named in it (whole word,
 * case-insensitive, `_`/`-` may be spaces) whose required parameters are all fillable (none, or
 * `expression`/`url` found in the text). Several named: the one named first, then the longer name.
 * `toolChoice: none` routes nothing; `toolChoice: {type:'tool'}` routes that tool whenever its
 * parameters can be filled, named or not.
 */
export function routeToTool(options: Pick<LanguageModelV3CallOptions, 'prompt' | 'tools' | 'toolChoice'>): RoutedCall | null {
  const tools = (options.tools ?? []).filter((t): t is LanguageModelV3FunctionTool => t.type === 'function');
  const choice = options.toolChoice;
  if (tools.length === 0 || choice?.type === 'none') return null;
  const text = lastUserText(options.prompt);
  if (choice?.type === 'tool') {
    const forced = tools.find((t) => t.name === choice.toolName);
    const input = forced && fillArguments(forced.inputSchema, text);
    return forced && input ? { toolName: forced.name, input } : null;
  }
  const candidates = tools
    .map((tool) => ({ tool, at: mentionAt(text, tool.name) }))
    .filter((c) => c.at >= 0)
    .sort((a, b) => a.at - b.at || b.tool.name.length - a.tool.name.length);
  for (const { tool } of candidates) {
    const input = fillArguments(tool.inputSchema, text);
    if (input) return { toolName: tool.name, input };
  }
  return null;
}

/** The tool results that answer the model's last tool calls, when the prompt ends with them. */
export function trailingToolResults(prompt: LanguageModelV3Prompt): LanguageModelV3ToolResultPart[] {
  const last = prompt.at(-1);
  if (last?.role !== 'tool') return [];
  return last.content.filter((p): p is LanguageModelV3ToolResultPart => p.type === 'tool-result');
}

const MAX_SUMMARY = 2000;

function render(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (typeof value === 'string') return value;
  if (typeof value !== 'object') return String(value);
  if (Array.isArray(value)) return JSON.stringify(value);
  // A flat object reads better as "key: value" pairs; nested values stay JSON.
  return Object.entries(value)
    .map(([k, v]) => `${k}: ${v !== null && typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join('; ');
}

/** A plain-text account of tool results, one line per tool (each clipped to 2000 characters). */
export function summarizeToolResults(results: LanguageModelV3ToolResultPart[]): string {
  const lines = results.map((r) => {
    const out = r.output;
    let line: string;
    switch (out.type) {
      case 'text':
      case 'json':
        line = `Result of ${r.toolName}: ${render(out.value)}`;
        break;
      case 'error-text':
      case 'error-json':
        line = `${r.toolName} failed: ${render(out.value)}`;
        break;
      case 'execution-denied':
        line = `${r.toolName} was not run${out.reason ? `: ${out.reason}` : ''}.`;
        break;
      default:
        line = `${r.toolName} returned content I cannot read.`;
    }
    return line.length > MAX_SUMMARY ? `${line.slice(0, MAX_SUMMARY - 1)}…` : line;
  });
  return lines.join('\n');
}
