import type { Message } from './api';

/** A tool call as the thread shows it: a card with its name, arguments and result. */
export interface ToolCallView {
  id: string;
  name: string;
  args: unknown;
  output?: unknown;
  status: 'running' | 'done' | 'error' | 'waiting';
}

/** One bubble of the thread: what the person said, or the agent's reply to it (one run). */
export interface Turn {
  key: string;
  role: 'user' | 'assistant';
  text: string;
  tools: ToolCallView[];
  runId: string | null;
  costMicros: number | null;
  /** Highest message seq in the turn. */
  seq: number;
}

interface Part {
  type?: string;
  text?: string;
  toolCallId?: string;
  toolName?: string;
  input?: unknown;
  output?: unknown;
}

const partsOf = (content: unknown): Part[] => (Array.isArray(content) ? (content as Part[]) : []);

/** A tool result in AI SDK form (`{ type: 'json' | 'text' | 'error-text' | …, value }`) as plain data. */
function resultValue(output: unknown): { value: unknown; error: boolean } {
  if (output && typeof output === 'object' && 'type' in output && 'value' in output) {
    const o = output as { type: string; value: unknown };
    return { value: o.value, error: o.type.startsWith('error') };
  }
  return { value: output, error: false };
}

/**
 * Groups stored messages into turns: each user message is a turn; the assistant and tool
 * messages of one run make one reply, with its tool calls (and their results) and its cost.
 */
export function toTurns(messages: Message[]): Turn[] {
  const turns: Turn[] = [];
  for (const m of messages) {
    if (m.role === 'user') {
      turns.push({ key: m.id, role: 'user', text: m.text, tools: [], runId: m.runId, costMicros: null, seq: m.seq });
      continue;
    }
    let turn = turns.at(-1);
    if (!turn || turn.role !== 'assistant' || turn.runId !== m.runId) {
      turn = { key: m.id, role: 'assistant', text: '', tools: [], runId: m.runId, costMicros: null, seq: m.seq };
      turns.push(turn);
    }
    turn.seq = m.seq;
    if (m.costMicros !== null) turn.costMicros = (turn.costMicros ?? 0) + m.costMicros;
    if (m.role === 'assistant') {
      const text = typeof m.content === 'string' ? m.content : partsOf(m.content).filter((p) => p.type === 'text').map((p) => p.text ?? '').join('');
      const t = text.trim();
      if (t) turn.text = turn.text ? `${turn.text}\n\n${t}` : t;
      for (const p of partsOf(m.content)) {
        if (p.type === 'tool-call') turn.tools.push({ id: p.toolCallId ?? `${m.id}-${turn.tools.length}`, name: p.toolName ?? 'tool', args: p.input, status: 'running' });
      }
    } else {
      for (const p of partsOf(m.content)) {
        if (p.type !== 'tool-result') continue;
        const call = turn.tools.find((c) => c.id === p.toolCallId);
        const { value, error } = resultValue(p.output);
        if (call) {
          call.output = value;
          call.status = error ? 'error' : 'done';
        } else {
          turn.tools.push({ id: p.toolCallId ?? m.id, name: p.toolName ?? 'tool', args: undefined, output: value, status: error ? 'error' : 'done' });
        }
      }
    }
  }
  return turns;
}
