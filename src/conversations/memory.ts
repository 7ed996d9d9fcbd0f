import type { ModelMessage } from 'ai';

/**
 * Rough token count of a message: ~4 characters per token of its JSON, the usual estimate for
 * English with GPT/Claude tokenizers. Only used to decide where history is cut, where erring by
 * 10–20% costs nothing but a slightly shorter history.
 */
export const estimateTokens = (m: ModelMessage) => Math.ceil(JSON.stringify(m.content).length / 4) + 4;

/**
 * The newest messages that fit both limits, cut only in front of a user message: a tool result
 * always follows its tool call, and a call's results always come with it, so no provider ever
 * sees a tool result whose call was cut off (or a call without its results).
 * Returns the index of the first kept message.
 */
export function cutIndex(messages: ModelMessage[], maxMessages: number, maxTokens: number): number {
  let tokens = 0;
  let start = messages.length;
  for (let i = messages.length - 1; i >= 0; i--) {
    tokens += estimateTokens(messages[i]!);
    if (messages.length - i > maxMessages || tokens > maxTokens) break;
    start = i;
  }
  // Move forward to the first user message at or after the cut.
  while (start < messages.length && messages[start]!.role !== 'user') start++;
  // Nothing fits but the newest turn must go anyway: keep from its user message.
  if (start === messages.length) {
    for (let i = messages.length - 1; i >= 0; i--) {
      if (messages[i]!.role === 'user') return i;
    }
    return 0;
  }
  return start;
}
