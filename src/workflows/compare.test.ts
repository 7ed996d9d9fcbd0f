import { describe, expect, it } from 'vitest';
import { diffDefinitions, diffValues, jsonEqual } from './compare.js';
import type { WorkflowDefinition } from './definition.js';

const policy = { policy: 'fail' as const, attempts: 3, backoffMs: 1000 };
const base = (): WorkflowDefinition => ({
  name: 'Leads',
  description: '',
  tags: ['crm'],
  inputSchema: { type: 'object' },
  settings: { errorPolicy: policy },
  graph: {
    nodes: [
      { id: 'start', type: 'trigger', config: { kind: 'manual' } },
      { id: 'check', type: 'condition', config: { expression: 'input.score > 5' }, position: { x: 0, y: 0 } },
      {
        id: 'each',
        type: 'map',
        config: {
          items: 'input.leads',
          concurrency: 4,
          graph: {
            nodes: [
              { id: 'shape', type: 'transform', config: { value: { email: '{{ item.email }}' } } },
              { id: 'pause', type: 'delay', config: { seconds: 5 } },
            ],
            edges: [{ source: 'shape', target: 'pause', sourceHandle: 'out' }],
          },
        },
      },
      { id: 'old', type: 'delay', config: { seconds: 60 } },
    ],
    edges: [
      { source: 'start', target: 'check', sourceHandle: 'out' },
      { source: 'check', target: 'each', sourceHandle: 'true' },
      { source: 'check', target: 'old', sourceHandle: 'false' },
    ],
  },
});

describe('diffDefinitions', () => {
  it('finds nothing between a definition and a copy with nodes, edges and keys in another order', () => {
    const a = base();
    const b = base();
    b.graph.nodes.reverse();
    b.graph.edges.reverse();
    b.inputSchema = { properties: undefined, type: 'object' } as never;
    expect(diffDefinitions(a, b)).toEqual({ fields: [], nodes: { added: [], removed: [], changed: [] }, edges: { added: [], removed: [] } });
  });

  it('reports nodes added, removed and changed, edges added and removed, map bodies apart, and the other fields', () => {
    const a = base();
    const b = base();
    b.name = 'Hot leads';
    b.tags = ['crm', 'hot'];
    b.settings = { errorPolicy: policy, timeoutSeconds: 600 };
    const [start, check, each] = b.graph.nodes as [WorkflowDefinition['graph']['nodes'][number], Extract<WorkflowDefinition['graph']['nodes'][number], { type: 'condition' }>, Extract<WorkflowDefinition['graph']['nodes'][number], { type: 'map' }>];
    check.config = { expression: 'input.score > 7' };
    check.position = { x: 10, y: 0 };
    each.config.concurrency = 2;
    each.config.graph.nodes[1] = { id: 'pause', type: 'delay', config: { seconds: 9 }, name: 'Breathe' };
    each.config.graph.nodes.push({ id: 'tag', type: 'transform', config: { value: 1 } });
    each.config.graph.edges.push({ source: 'pause', target: 'tag', sourceHandle: 'out' });
    b.graph.nodes = [start, check, each, { id: 'wait', type: 'wait_until', name: 'Until Monday', config: { until: '"2030-01-06T09:00:00Z"' } }];
    b.graph.edges = [
      { source: 'start', target: 'check', sourceHandle: 'out' },
      { source: 'check', target: 'each', sourceHandle: 'true' },
      { source: 'check', target: 'wait', sourceHandle: 'false' },
    ];

    expect(diffDefinitions(a, b)).toEqual({
      fields: [
        { field: 'name', from: 'Leads', to: 'Hot leads' },
        { field: 'tags', from: ['crm'], to: ['crm', 'hot'] },
        { field: 'settings.timeoutSeconds', to: 600 },
      ],
      nodes: {
        added: [
          { scope: ['each'], id: 'tag', type: 'transform' },
          { scope: [], id: 'wait', type: 'wait_until', name: 'Until Monday' },
        ],
        removed: [{ scope: [], id: 'old', type: 'delay' }],
        changed: [
          {
            scope: [],
            id: 'check',
            type: 'condition',
            changes: [
              { field: 'config.expression', from: 'input.score > 5', to: 'input.score > 7' },
              { field: 'position.x', from: 0, to: 10 },
            ],
          },
          { scope: [], id: 'each', type: 'map', changes: [{ field: 'config.concurrency', from: 4, to: 2 }] },
          {
            scope: ['each'],
            id: 'pause',
            type: 'delay',
            name: 'Breathe',
            changes: [
              { field: 'config.seconds', from: 5, to: 9 },
              { field: 'name', to: 'Breathe' },
            ],
          },
        ],
      },
      edges: {
        added: [
          { scope: ['each'], source: 'pause', target: 'tag', sourceHandle: 'out' },
          { scope: [], source: 'check', target: 'wait', sourceHandle: 'false' },
        ],
        removed: [{ scope: [], source: 'check', target: 'old', sourceHandle: 'false' }],
      },
    });
  });

  it('compares a node whose type changed as a whole, its old body included', () => {
    const a = base();
    const b = base();
    b.graph.nodes[2] = { id: 'each', type: 'delay', config: { seconds: 1 } };
    const changed = diffDefinitions(a, b).nodes.changed;
    expect(changed).toHaveLength(1);
    expect(changed[0]).toMatchObject({ id: 'each', type: 'delay' });
    expect(changed[0]!.changes.map((c) => c.field)).toEqual(['type', 'config.items', 'config.concurrency', 'config.graph', 'config.seconds']);
  });
});

describe('diffValues and jsonEqual', () => {
  it('compares arrays whole and objects key by key, whatever the key order', () => {
    expect(jsonEqual({ a: 1, b: [1, { c: 2, d: 3 }] }, { b: [1, { d: 3, c: 2 }], a: 1 })).toBe(true);
    expect(jsonEqual([1, 2], [2, 1])).toBe(false);
    expect(jsonEqual({ a: 1 }, { a: 1, b: null })).toBe(false);
    expect(diffValues({ a: { b: 1, c: [1] } }, { a: { b: 2, c: [1, 2] }, d: true }, '')).toEqual([
      { field: 'a.b', from: 1, to: 2 },
      { field: 'a.c', from: [1], to: [1, 2] },
      { field: 'd', to: true },
    ]);
  });
});
