import { z } from 'zod';
import type { JSONSchema7 } from '@ai-sdk/provider';
import type { ToolDefinition } from './define.js';

export interface ToolJsonSchemas {
  /** What the model must send (defaults optional), as JSON Schema draft-07, which every provider reads. */
  input: JSONSchema7;
  /** What the tool returns, or null when it declares no output schema. */
  output: JSONSchema7 | null;
}

const convert = (schema: z.ZodType, io: 'input' | 'output') => {
  // Refinements have no JSON Schema form and are dropped; execute() still applies them.
  const { $schema: _drop, ...rest } = z.toJSONSchema(schema, { io, target: 'draft-07', unrepresentable: 'any' }) as Record<string, unknown>;
  return rest as JSONSchema7;
};

/** Converts once, at registration; tools whose input is not an object are refused (providers require one). */
export function toolJsonSchemas(def: ToolDefinition): ToolJsonSchemas {
  const input = convert(def.inputSchema, 'input');
  if (input.type !== 'object') throw new Error(`Tool ${def.name}: the input schema must be an object`);
  return { input, output: def.outputSchema ? convert(def.outputSchema, 'output') : null };
}
