import { z } from 'zod';
import { ROLES } from '../../shared/roles.js';
import { defineTool } from '../define.js';
import { ToolError } from '../errors.js';
import { ArithmeticError, evaluate, MAX_EXPRESSION_LENGTH } from './arithmetic.js';

/** Exact arithmetic for the model, which is poor at it. Harmless, so every role may grant it. */
export const calculator = defineTool({
  name: 'calculator',
  category: 'utility',
  description:
    'Evaluates an arithmetic expression and returns the number. Supports + - * / % ^ (power), parentheses, ' +
    'decimals, pi, e and the functions sqrt, abs, round(x, digits), floor, ceil, min, max. Use it for any calculation.',
  inputSchema: z.object({
    expression: z.string().min(1).max(MAX_EXPRESSION_LENGTH).describe('For example "(3.5 + 2) * 4^2 / sqrt(2)"'),
  }),
  outputSchema: z.object({ expression: z.string(), result: z.number() }),
  grantRoles: ROLES,
  requiresApproval: false,
  idempotent: true,
  timeoutMs: 1_000,
  async execute({ expression }) {
    try {
      return { expression, result: evaluate(expression) };
    } catch (err) {
      if (err instanceof ArithmeticError) throw new ToolError(err.message, 'invalid_arguments', [{ path: 'input.expression', message: err.message }]);
      throw err;
    }
  },
});
