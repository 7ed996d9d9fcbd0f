import { describe, expect, it } from 'vitest';
import type { EditorDefinition } from '../api';
import { nodeConfigForm } from './form-spec';
import { connect, copySelection, graphAt, handlesOf, nodeDuration, outputPreview, outputText, paste, renameNode, uniqueId, upstreamPaths } from './model';

const def = (): EditorDefinition => ({
  name: 'Lead triage',
  graph: {
    nodes: [
      { id: 'trigger', type: 'trigger', position: { x: 0, y: 0 }, config: { kind: 'manual' } },
      { id: 'score', type: 'transform', position: { x: 300, y: 0 }, config: { value: { score: '{{ input.score }}' } } },
      { id: 'check', type: 'condition', position: { x: 600, y: 0 }, config: { expression: 'nodes.score.output.score > 50' } },
      {
        id: 'each',
        type: 'map',
        position: { x: 900, y: 0 },
        config: {
          items: 'input.leads',
          graph: { nodes: [{ id: 'shape', type: 'transform', config: { value: '{{ item.name }}' } }], edges: [] },
        },
      },
    ],
    edges: [
      { source: 'trigger', target: 'score', sourceHandle: 'out' },
      { source: 'score', target: 'check', sourceHandle: 'out' },
      { source: 'check', target: 'each', sourceHandle: 'true' },
    ],
  },
});

describe('the builder model', () => {
  it('gives ids no node of the definition has, map bodies included', () => {
    const taken = new Set(['transform', 'transform_2', 'shape']);
    expect(uniqueId('transform', taken)).toBe('transform_3');
    expect(uniqueId('transform_2', taken)).toBe('transform_3');
    expect(uniqueId('shape', taken)).toBe('shape_2');
    expect(uniqueId('9 lives!', new Set())).toBe('n_9_lives_');
  });

  it('has the handles of definition.ts, for half-filled configs too', () => {
    expect(handlesOf({ id: 'c', type: 'condition', config: {} })).toEqual(['true', 'false']);
    expect(handlesOf({ id: 's', type: 'switch', config: { cases: [{ id: 'hot', when: 'x' }, { when: 'no id' }] }, onError: { policy: 'continue' } })).toEqual(['hot', 'default', 'error']);
    expect(handlesOf({ id: 'a', type: 'approval', config: {} })).toEqual(['approved', 'rejected']);
    expect(handlesOf({ id: 't', type: 'transform', config: {} })).toEqual(['out']);
  });

  it('connects once, never into a trigger or a node itself', () => {
    const g = def().graph;
    expect(connect(g, { source: 'score', target: 'check', sourceHandle: 'out' })).toBe(g);
    expect(connect(g, { source: 'check', target: 'trigger', sourceHandle: 'false' })).toBe(g);
    expect(connect(g, { source: 'check', target: 'check', sourceHandle: 'false' })).toBe(g);
    expect(connect(g, { source: 'check', target: 'score', sourceHandle: 'false' }).edges).toHaveLength(4);
  });

  it('renames a node with its edges and the expressions that read it', () => {
    const renamed = renameNode(def(), [], 'score', 'lead_score');
    expect(renamed.graph.edges.map((e) => `${e.source}->${e.target}`)).toEqual(['trigger->lead_score', 'lead_score->check', 'check->each']);
    expect(renamed.graph.nodes[2]!.config.expression).toBe('nodes.lead_score.output.score > 50');
    // Taken or malformed: unchanged.
    expect(renameNode(def(), [], 'score', 'shape').graph.nodes[1]!.id).toBe('score');
    expect(renameNode(def(), [], 'score', '1x').graph.nodes[1]!.id).toBe('score');
  });

  it('pastes copies with fresh ids, their own edges and references, and no second trigger', () => {
    const d = def();
    const clip = copySelection(d.graph, new Set(['trigger', 'score', 'check']))!;
    const { definition, ids } = paste(d, [], clip);
    expect(ids).toEqual(['score_2', 'check_2']);
    const pasted = definition.graph.nodes.find((n) => n.id === 'check_2')!;
    expect(pasted.config.expression).toBe('nodes.score_2.output.score > 50');
    expect(pasted.position).toEqual({ x: 640, y: 40 });
    expect(definition.graph.edges.at(-1)).toEqual({ source: 'score_2', target: 'check_2', sourceHandle: 'out' });
    // The original is untouched (undo keeps it).
    expect(d.graph.nodes).toHaveLength(4);
  });

  it('pastes a map with fresh ids inside its body too, and into a body', () => {
    const d = def();
    const { definition } = paste(d, [], copySelection(d.graph, new Set(['each']))!);
    const copy = definition.graph.nodes.find((n) => n.id === 'each_2')!;
    expect((copy.config.graph as { nodes: { id: string }[] }).nodes.map((n) => n.id)).toEqual(['shape_2']);
    const intoBody = paste(d, ['each'], copySelection(d.graph, new Set(['score']))!);
    expect(graphAt(intoBody.definition, ['each'])!.nodes.map((n) => n.id)).toEqual(['shape', 'score_2']);
  });

  it('suggests the input and the outputs upstream, and the item inside a map body', () => {
    expect(upstreamPaths(def(), [], 'check')).toEqual(['input', 'nodes.score.output']);
    expect(upstreamPaths(def(), ['each'], 'shape')).toEqual(['input', 'item', 'index', 'nodes.score.output', 'nodes.check.output']);
  });

  it('draws each node form from its config schema', () => {
    const condition = nodeConfigForm('condition');
    expect(condition).toEqual({ kind: 'object', fields: [expect.objectContaining({ name: 'expression', required: true, spec: { kind: 'text', role: 'expression', format: undefined } })] });
    const trigger = nodeConfigForm('trigger');
    expect(trigger.kind === 'variant' && trigger.variants.map((v) => v.value)).toEqual(['manual', 'schedule', 'event']);
    const map = nodeConfigForm('map');
    expect(map.kind === 'object' && map.fields.map((f) => f.name)).toEqual(['items', 'concurrency', 'result']);
    const transform = nodeConfigForm('transform');
    expect(transform.kind === 'object' && transform.fields[0]!.spec).toEqual({ kind: 'json' });
  });

  it('shows an output as text: a string as written, the rest as JSON; in one short line on the canvas', () => {
    expect(outputText('Hi Ann,\nwelcome')).toBe('Hi Ann,\nwelcome');
    expect(outputText({ score: 80 })).toBe('{\n  "score": 80\n}');
    expect(outputText(false)).toBe('false');
    expect(outputPreview({ score: 80 })).toBe('{"score":80}');
    expect(outputPreview('Hi Ann,\n\nthanks')).toBe('Hi Ann, thanks');
    expect(outputPreview('x'.repeat(80), 10)).toBe(`${'x'.repeat(9)}…`);
  });

  it("times a node from its start to its end, waits included (the server's durationMs is the engine's own work)", () => {
    const startedAt = '2026-01-01T10:00:00.000Z';
    expect(nodeDuration({ startedAt, finishedAt: '2026-01-01T10:00:03.005Z', durationMs: 5 })).toBe(3005);
    expect(nodeDuration({ startedAt, finishedAt: startedAt, durationMs: 2 })).toBe(2);
    expect(nodeDuration({ startedAt, finishedAt: null, durationMs: null })).toBeNull();
  });
});
