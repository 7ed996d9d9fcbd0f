import type { Command } from 'commander';
import { createAgentSchema, updateAgentSchema } from '../agents/dto.js';
import { flagName, invalidInput } from './errors.js';
import { parseList, parseNullableNumber, readObjectFile } from './input.js';
import { CliError } from './run.js';

/** The flags `agents create` and `agents update` take (flags override the file). */
export interface AgentInputOptions {
  file?: string;
  name?: string;
  model?: string;
  description?: string;
  instructions?: string;
  role?: string;
  temperature?: string;
  maxOutputTokens?: string;
  tools?: string;
  tags?: string;
  fallbackModels?: string;
}

/** Fields the server manages: dropped from files, so the output of `agents get --json` can be fed back. */
const SERVER_FIELDS = ['id', 'orgId', 'version', 'executionCount', 'createdBy', 'createdAt', 'updatedAt', 'deletedAt'];

const FLAG_FIELDS = new Set(['name', 'model', 'description', 'instructions', 'role', 'temperature', 'maxOutputTokens', 'tools', 'tags', 'fallbackModels']);

/** Adds --file and the field flags to `agents create` / `agents update`. */
export function withAgentInputOptions(command: Command): Command {
  return command
    .option('-f, --file <path>', 'agent fields from a JSON or YAML file (by extension; "-" = stdin)')
    .option('--name <name>', 'agent name')
    .option('--model <provider:model>', 'e.g. openai:gpt-4o-mini, ollama:llama3.2, rules:default')
    .option('--description <text>', 'what the agent is for')
    .option('--instructions <text>', 'the instructions in its system prompt')
    .option('--role <text>', 'reads after "You are {name}, ", e.g. "a support specialist for Acme"')
    .option('--temperature <number>', '0–2, or "null" for the provider default')
    .option('--max-output-tokens <n>', 'reply length limit, or "null" for the provider default')
    .option('--tools <a,b>', 'tool names, comma-separated ("" = none)')
    .option('--tags <a,b>', 'tags, comma-separated ("" = none)')
    .option('--fallback-models <x,y>', 'models tried in order when the model fails, comma-separated');
}

function fromFlags(opts: AgentInputOptions): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const text = ['name', 'model', 'description', 'instructions', 'role'] as const;
  for (const key of text) if (opts[key] !== undefined) body[key] = opts[key];
  if (opts.temperature !== undefined) body.temperature = parseNullableNumber('--temperature', opts.temperature);
  if (opts.maxOutputTokens !== undefined) body.maxOutputTokens = parseNullableNumber('--max-output-tokens', opts.maxOutputTokens);
  if (opts.tools !== undefined) body.tools = parseList(opts.tools);
  if (opts.tags !== undefined) body.tags = parseList(opts.tags);
  if (opts.fallbackModels !== undefined) body.fallbackModels = parseList(opts.fallbackModels);
  return body;
}

/**
 * The request body for `POST /agents` (mode create) or `PATCH /agents/:id` (mode update): the
 * file's fields, overridden by the flags, checked against the API's own schema so a mistake is
 * reported by field before any request is sent. The body is sent as given; the server applies
 * the defaults.
 */
export async function agentBody(opts: AgentInputOptions, mode: 'create' | 'update'): Promise<Record<string, unknown>> {
  const file = opts.file === undefined ? {} : await readObjectFile(opts.file);
  for (const key of SERVER_FIELDS) delete file[key];
  const flags = fromFlags(opts);
  const body = { ...file, ...flags };
  if (mode === 'update' && Object.keys(body).length === 0) {
    throw new CliError('nothing to update: give --file and/or field flags such as --name, --model, --temperature');
  }
  const parsed = (mode === 'create' ? createAgentSchema : updateAgentSchema).safeParse(body);
  if (!parsed.success) {
    const source = opts.file === '-' ? 'stdin' : opts.file;
    throw invalidInput('agent', parsed.error, (path) => {
      const top = path.split('.')[0]!;
      if (!path) return source ?? '';
      if (top in flags || (FLAG_FIELDS.has(top) && !(top in file))) return flagName(top);
      return source ? `${path} (in ${source})` : path;
    });
  }
  return body;
}
