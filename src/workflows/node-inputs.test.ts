import { describe, expect, it } from 'vitest';
import type { WorkflowDefinition } from './definition.js';
import { nodeInputs } from './node-inputs.js';
import { nodeExecution } from './run-routes.js';
import type { StepRow } from '../runs/store.js';

const definition = {
  graph: {
    nodes: [
      { id: 'start', type: 'trigger', config: { kind: 'manual' } },
      { id: 'risky', type: 'tool', config: { tool: 'calculator', args: { expression: '1/0' } }, onError: { policy: 'continue' } },
      { id: 'fix', type: 'transform', config: { value: 'fixed' } },
      { id: 'both', type: 'join', config: { mode: 'any' } },
      { id: 'each', type: 'map', config: { items: 'input.people', graph: { nodes: [{ id: 'greet', type: 'transform', config: { value: '{{ item }}' } }, { id: 'after', type: 'transform', config: { value: 1 } }], edges: [{ source: 'greet', target: 'after' }] } } },
    ],
    edges: [
      { source: 'start', target: 'risky' },
      { source: 'risky', target: 'fix', sourceHandle: 'error' },
      { source: 'risky', target: 'both' },
      { source: 'fix', target: 'both' },
      { source: 'both', target: 'each' },
    ],
  },
} as unknown as WorkflowDefinition;

describe('node inputs (GET /runs/:id/nodes)', () => {
  it("gives each execution its upstream outputs by node id, the run's input to the trigger, a failed source's error on its error edge, and map items to a body's first nodes", () => {
    const error = { code: 'tool_failed', message: 'division by zero' };
    const inputs = nodeInputs(
      definition,
      [
        { key: 'start', status: 'succeeded', output: { people: ['a', 'b'] } },
        { key: 'risky', status: 'failed', output: null, error },
        { key: 'fix', status: 'succeeded', output: 'fixed' },
        { key: 'both', status: 'succeeded', output: { fix: 'fixed' } },
        { key: 'each', status: 'succeeded', output: ['A', 'B'], items: ['a', 'b'] },
        { key: 'each[1]', status: 'succeeded', output: 'B' },
        { key: 'each[1].greet', status: 'succeeded', output: 'b!' },
        { key: 'each[1].after', status: 'running', output: null },
      ],
      { people: ['a', 'b'] },
    );
    expect(inputs.get('start')).toEqual({ people: ['a', 'b'] });
    expect(inputs.get('risky')).toEqual({ start: { people: ['a', 'b'] } });
    expect(inputs.get('fix')).toEqual({ risky: { error } });
    // A failed source on a plain edge gave nothing.
    expect(inputs.get('both')).toEqual({ fix: 'fixed' });
    expect(inputs.get('each')).toEqual({ both: { fix: 'fixed' } });
    expect(inputs.get('each[1]')).toBe('b');
    expect(inputs.get('each[1].greet')).toEqual({ item: 'b', index: 1 });
    expect(inputs.get('each[1].after')).toEqual({ greet: 'b!' });
  });

  it("costs a node its child runs': retries and structured-output repairs added up, the latest its run", () => {
    const step = { stepKey: 'node:ask', status: 'succeeded', output: { output: 'hi' }, input: { nodeId: 'ask', type: 'agent' }, startedAt: new Date(0), finishedAt: new Date(10), error: null } as unknown as StepRow;
    const children = [
      { id: 'c1', parentKey: 'ask#1', costMicros: 100, billedMicros: 120 },
      { id: 'c2', parentKey: 'ask#2', costMicros: 50, billedMicros: 60 },
      { id: 'c3', parentKey: 'ask#2.r1', costMicros: 7, billedMicros: 8 },
      { id: 'other', parentKey: 'asked#1', costMicros: 1000, billedMicros: 1000 },
    ];
    expect(nodeExecution(step, children)).toMatchObject({ childRunId: 'c3', costMicros: 157, billedMicros: 188 });
    expect(nodeExecution(step, [])).toMatchObject({ childRunId: null, costMicros: 0, billedMicros: 0 });
  });
});
