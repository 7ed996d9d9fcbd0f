import type { ModelMessage } from 'ai';
import type { Agent } from '../../agents/dto.js';
import { composeSystemPrompt } from '../../agents/prompt.js';
import { isConversationSource } from '../enums.js';
import type { RunRow } from '../store.js';
import type { EngineDeps } from './ports.js';

/**
 * The system prompt and the messages of the first model call. A chat run sees the conversation
 * (memory settings applied) with its running summary (a website visitor's chat too: source widget);
 * any other run sees its task and context.
 */
export async function prepare(
  deps: EngineDeps,
  run: RunRow,
  agent: Agent,
): Promise<{ system: string; messages: ModelMessage[]; summary: string; cut: { messages: ModelMessage[]; throughSeq: number } | null }> {
  const system = composeSystemPrompt(agent).systemPrompt;
  if (isConversationSource(run.source) && run.conversationId) {
    const { messages, summary, cut } = await deps.conversations.contextFor(run.orgId, run.conversationId, agent, run.id);
    return { system, messages, summary, cut };
  }
  const context = run.input.context && Object.keys(run.input.context).length ? `\n\nContext:\n${JSON.stringify(run.input.context, null, 2)}` : '';
  return { system, messages: [{ role: 'user', content: `${run.input.task}${context}` }], summary: '', cut: null };
}

/** The system prompt with the conversation's running summary appended, when there is one. */
export const withSummary = (system: string, summary: string) => (summary ? `${system}\n\n# Earlier in this conversation (summary)\n${summary}` : system);
