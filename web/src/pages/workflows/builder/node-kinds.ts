import type { NodeType } from '@server/workflows/definition';
import { defaultConfig } from './model';

/**
 * What the palette offers and what the canvas calls each node type. The agent presets are the
 * gym CRM's three workflow actions (issue 15): an agent node with the task (and, for the
 * analysis, the output schema) already written, to be adapted.
 */

export const TYPE_LABELS: Record<NodeType, string> = {
  trigger: 'Trigger',
  agent: 'Agent',
  tool: 'Tool',
  condition: 'Condition',
  switch: 'Switch',
  parallel: 'Parallel',
  join: 'Join',
  map: 'Map',
  approval: 'Approval',
  delay: 'Delay',
  wait_until: 'Wait until',
  transform: 'Transform',
  sub_workflow: 'Sub-workflow',
};

export interface PaletteEntry {
  /** Unique among entries: the type, or the preset's name. */
  key: string;
  type: NodeType;
  label: string;
  description: string;
  group: 'Start' | 'AI' | 'Logic' | 'Flow' | 'People and time' | 'Data';
  /** The new node's config. */
  config: () => Record<string, unknown>;
  /** Its id's start (`analysis`, `analysis_2`…). */
  idBase: string;
}

const entry = (type: NodeType, group: PaletteEntry['group'], description: string): PaletteEntry => ({
  key: type,
  type,
  label: TYPE_LABELS[type],
  description,
  group,
  config: () => defaultConfig(type),
  idBase: type,
});

export const PALETTE: PaletteEntry[] = [
  entry('trigger', 'Start', 'How runs start: by hand or the API, on a schedule, on an event'),
  entry('agent', 'AI', 'Runs an agent with a task'),
  {
    key: 'execute_ai_agent_task',
    type: 'agent',
    label: 'Agent task',
    description: 'An agent carries out a task (execute_ai_agent_task)',
    group: 'AI',
    idBase: 'agent_task',
    config: () => ({ agentId: '', task: 'Carry out this task: {{ input.task }}', preset: 'execute_ai_agent_task' }),
  },
  {
    key: 'ai_agent_analysis',
    type: 'agent',
    label: 'Agent analysis',
    description: 'An agent answers with a JSON object: a score and a summary (ai_agent_analysis)',
    group: 'AI',
    idBase: 'analysis',
    config: () => ({
      agentId: '',
      task: 'Analyse this lead and score it from 0 to 100: {{ input.lead }}',
      outputSchema: {
        type: 'object',
        properties: { score: { type: 'number', minimum: 0, maximum: 100 }, summary: { type: 'string' } },
        required: ['score', 'summary'],
      },
      preset: 'ai_agent_analysis',
    }),
  },
  {
    key: 'ai_agent_generate_content',
    type: 'agent',
    label: 'Generate content',
    description: 'An agent writes text, such as an email (ai_agent_generate_content)',
    group: 'AI',
    idBase: 'content',
    config: () => ({ agentId: '', task: 'Write a short, friendly follow-up email to {{ input.lead.email }}.', preset: 'ai_agent_generate_content' }),
  },
  entry('tool', 'AI', 'Calls a tool with arguments, no model'),
  entry('condition', 'Logic', 'Takes the true or the false edge'),
  entry('switch', 'Logic', 'Takes the edge of the first case that holds'),
  entry('parallel', 'Flow', 'Runs every outgoing edge at once'),
  entry('join', 'Flow', 'Waits for branches: all, any, or the first N'),
  entry('map', 'Flow', 'Runs a body for each item of a list'),
  entry('sub_workflow', 'Flow', 'Runs another workflow and waits for it'),
  entry('approval', 'People and time', 'A person approves or rejects'),
  entry('delay', 'People and time', 'Waits a number of seconds'),
  entry('wait_until', 'People and time', 'Waits until a time'),
  entry('transform', 'Data', 'Builds a JSON value from expressions'),
];

export const paletteEntry = (key: string) => PALETTE.find((e) => e.key === key);

/** The drag-and-drop data type of a palette entry (its key). */
export const PALETTE_MIME = 'application/x-troupe-workflow-node';
