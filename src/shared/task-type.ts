import { z } from 'zod';

// Pure file (imports only zod): shared with the dashboard, the templates and the execute module.

/** A task type's name: snake_case, a letter first, at most 64 characters (`workout_optimization`). */
export const TASK_TYPE_RE = /^[a-z][a-z0-9]*(?:_[a-z0-9]+)*$/;

export const taskTypeName = z
  .string()
  .trim()
  .min(2)
  .max(64)
  .regex(TASK_TYPE_RE, 'must be snake_case: lowercase letters and digits in words joined by _, starting with a letter (e.g. workout_optimization)')
  .describe('snake_case, e.g. `workout_optimization`');
