/**
 * The task a run of a task type gets: a fixed, deterministic text, so the same request always
 * gives the model the same words (and a replayed run the same prompt):
 *
 * ```text
 * Task type: workout_optimization.
 * {instruction, when the task type has one}
 *
 * Input (JSON):
 * {input_data with its keys sorted, indented by two spaces}
 * ```
 */
export function taskText(taskType: string, instruction: string, input: Record<string, unknown>): string {
  const head = instruction.trim() ? `Task type: ${taskType}.\n${instruction.trim()}` : `Task type: ${taskType}.`;
  return `${head}\n\nInput (JSON):\n${JSON.stringify(sortKeys(input), null, 2)}`;
}

/** A copy with every object's keys in code-point order (arrays keep theirs). */
function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/**
 * The answer as data when it is JSON: the whole text (an object or an array), or the one
 * ```json fenced block in it. Undefined otherwise.
 */
export function resultData(output: string | null): unknown {
  if (!output) return undefined;
  const text = output.trim();
  const fenced = /^```(?:json)?\s*\n([\s\S]*?)\n```$/.exec(text)?.[1] ?? [...text.matchAll(/```json\s*\n([\s\S]*?)\n```/g)].map((m) => m[1]).filter((_, __, all) => all.length === 1)[0];
  for (const candidate of [text, fenced]) {
    if (!candidate || !/^[[{]/.test(candidate.trim())) continue;
    try {
      return JSON.parse(candidate) as unknown;
    } catch {
      // not JSON: try the next form
    }
  }
  return undefined;
}
