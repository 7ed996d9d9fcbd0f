import { describe, expect, it } from 'vitest';
import type { ValidationEnv, WorkflowProblem } from './definition.js';
import { checkJsonSchema } from './json-schema-check.js';
import { ancestorsOf, topologicalOrder, validateWorkflow } from './validate.js';

const AGENT = '3f2b8c1e-8d4a-4c6e-9f1a-2b3c4d5e6f70';
const OTHER_AGENT = '4a1b2c3d-1e2f-4a5b-8c6d-7e8f9a0b1c2d';
const SUB = '5b2c3d4e-2f3a-4b6c-9d7e-8f9a0b1c2d3e';
const SELF = '6c3d4e5f-3a4b-4c7d-8e8f-9a0b1c2d3e4f';

const env = (over: Partial<ValidationEnv> = {}): ValidationEnv => ({
  role: 'admin',
  agents: new Map([[AGENT, { currentVersion: 3 }]]),
  tools: new Map([
    ['send_email', { allowed: true }],
    ['shell', { allowed: false }],
  ]),
  workflows: new Set([SUB, SELF]),
  selfId: SELF,
  ...over,
});

type Json = Record<string, unknown>;
const node = (id: string, type: string, config: Json = {}, extra: Json = {}) => ({ id, type, config, ...extra });
const edge = (source: string, target: string, sourceHandle?: string) => ({ source, target, ...(sourceHandle ? { sourceHandle } : {}) });

/** A valid workflow using most node types: trigger → score (agent) → check (condition) → hot/cold → join → each (map) → done. */
function base() {
  return {
    name: 'Leads',
    inputSchema: { type: 'object', properties: { email: { type: 'string' }, leads: { type: 'array' } }, required: ['email'] },
    settings: { errorWorkflowId: SUB },
    graph: {
      nodes: [
        node('start', 'trigger', { kind: 'manual' }),
        node('score', 'agent', { agentId: AGENT, agentVersion: 2, task: 'Score {{ input.email }}', outputSchema: { type: 'object', properties: { score: { type: 'number' } } } }),
        node('check', 'condition', { expression: 'nodes.score.output.score > 50' }),
        node('hot', 'tool', { tool: 'send_email', args: { to: '{{ input.email }}', body: 'Score {{ nodes.score.output.score }}' } }),
        node('cold', 'transform', { value: { note: 'cold {{ nodes.check.output }}' } }),
        node('merge', 'join', { mode: 'any' }),
        node('each', 'map', {
          items: 'input.leads',
          result: 'nodes.shape.output',
          graph: {
            nodes: [node('shape', 'transform', { value: { lead: '{{ item }}', n: '{{ index }}', s: '{{ nodes.score.output.score }}' } }), node('call', 'sub_workflow', { workflowId: SUB, input: '{{ nodes.shape.output }}' })],
            edges: [edge('shape', 'call')],
          },
        }),
        node('done', 'switch', { cases: [{ id: 'many', when: '$count(nodes.each.output) > 1' }] }),
      ],
      edges: [edge('start', 'score'), edge('score', 'check'), edge('check', 'hot', 'true'), edge('check', 'cold', 'false'), edge('hot', 'merge'), edge('cold', 'merge'), edge('merge', 'each'), edge('each', 'done')],
    },
  };
}
type Def = ReturnType<typeof base>;
type AnyNode = Json & { id: string; config: Json };

const nodesOf = (d: Def) => d.graph.nodes as unknown as AnyNode[];
const find = (d: Def, id: string) => {
  const all = [...nodesOf(d), ...((nodesOf(d).find((n) => n.id === 'each')!.config.graph as { nodes: AnyNode[] }).nodes)];
  return all.find((n) => n.id === id)!;
};
const body = (d: Def) => find(d, 'each').config.graph as { nodes: AnyNode[]; edges: Json[] };
const problemsOf = (d: unknown, e = env()) => validateWorkflow(d, e).problems;
/** Asserts one problem at `nodeId`/`path` whose message matches, and returns all problems there. */
function expectProblem(problems: WorkflowProblem[], nodeId: string | null, path: string, message: RegExp) {
  const here = problems.filter((p) => p.nodeId === nodeId && p.path === path);
  expect(here.some((p) => message.test(p.message)), `${nodeId} ${path} ${message} in ${JSON.stringify(problems, null, 1)}`).toBe(true);
  return here;
}

describe('validateWorkflow', () => {
  it('accepts a valid workflow and gives it back with defaults', () => {
    const { definition, problems } = validateWorkflow(base(), env());
    expect(problems).toEqual([]);
    expect(definition?.settings.errorPolicy).toEqual({ policy: 'fail', attempts: 3, backoffMs: 1000 });
    expect(definition?.graph.edges[0]).toEqual({ source: 'start', target: 'score', sourceHandle: 'out' });
    expect(definition?.description).toBe('');
  });

  describe('schema problems', () => {
    it('go to the node, with the path inside it', () => {
      const d = base();
      find(d, 'check').config = { expression: '' };
      find(d, 'shape').config = { value: 1, extra: true };
      find(d, 'call').config = { workflowId: 'nope' };
      nodesOf(d).push(node('odd', 'teleport'));
      d.graph.edges.push(edge('done', 'odd', 'many'));
      const { definition, problems } = validateWorkflow(d, env());
      expect(definition).toBeUndefined();
      expectProblem(problems, 'check', 'config.expression', /too small|>=1/i);
      // In a map body: the body node's own id (ids are unique across the workflow).
      expectProblem(problems, 'call', 'config.workflowId', /uuid/i);
      expectProblem(problems, 'odd', 'type', /^type is one of trigger, agent, tool/);
    });

    it('go to the nearest node with a usable id, else to the definition path', () => {
      const d = base() as Json & Def;
      body(d).nodes.push(node('9bad', 'delay', { seconds: 5 }));
      nodesOf(d).push({ id: 7, type: 'delay', config: { seconds: 5 } } as never);
      (d as Json).name = '';
      d.graph.edges.push({ source: 'start', target: 'cold', sourceHandle: 5 } as never);
      const problems = problemsOf(d);
      expectProblem(problems, 'each', 'config.graph.nodes[2].id', /letters, digits/);
      expectProblem(problems, null, 'graph.nodes[8].id', /expected string/);
      expectProblem(problems, null, 'name', /too small|>=1/i);
      expectProblem(problems, null, 'graph.edges[8].sourceHandle', /expected string/);
      // Under a map whose own id is unusable, a body node with a usable id still owns its problems.
      const underBadMap = base();
      find(underBadMap, 'shape').config = {};
      find(underBadMap, 'each').id = '2each';
      expectProblem(problemsOf(underBadMap), 'shape', 'config.value', /expected|invalid/i);
      expect(problemsOf(42)).toEqual([expect.objectContaining({ nodeId: null, path: '' })]);
    });

    it('still come with the graph problems of the nodes that parse', () => {
      const d = base();
      find(d, 'check').config = {};
      nodesOf(d).push(node('island', 'delay', { seconds: 1 }));
      const problems = problemsOf(d);
      expectProblem(problems, 'check', 'config.expression', /expected string/);
      expectProblem(problems, 'island', '', /not reachable from the trigger/);
    });

    it('stop at a definition nested too deep to walk', () => {
      let deep: unknown = 'x';
      for (let i = 0; i < 5000; i++) deep = [deep];
      const d = base();
      find(d, 'cold').config = { value: deep };
      expect(problemsOf(d)).toEqual([{ nodeId: null, path: '', message: 'the definition nests deeper than 100 levels' }]);
    });
  });

  describe('ids and edges', () => {
    it('needs ids unique across the workflow, map bodies included', () => {
      const d = base();
      body(d).nodes.push(node('cold', 'delay', { seconds: 5 }));
      body(d).edges.push(edge('call', 'cold'));
      nodesOf(d).push(node('hot', 'delay', { seconds: 5 }));
      const problems = problemsOf(d);
      expect(problems.filter((p) => p.path === 'id').map((p) => p.nodeId).sort()).toEqual(['cold', 'hot']);
      expectProblem(problems, 'cold', 'id', /another node has the id `cold`/);
    });

    it('checks ends, handles, duplicates and the trigger', () => {
      const d = base();
      d.graph.edges.push(edge('score', 'ghost'), edge('check', 'done'), edge('hot', 'merge'), edge('done', 'start', 'many'), edge('done', 'hot', 'few'));
      body(d).edges.push(edge('shape', 'score'));
      const problems = problemsOf(d);
      expectProblem(problems, null, 'graph.edges[8].target', /there is no node `ghost`/);
      expectProblem(problems, null, 'graph.edges[9].sourceHandle', /a condition node has no handle `out` \(its handles: true, false\)/);
      expectProblem(problems, null, 'graph.edges[10]', /is there twice/);
      expectProblem(problems, null, 'graph.edges[11].target', /no edge may enter the trigger/);
      expectProblem(problems, null, 'graph.edges[12].sourceHandle', /no handle `few` \(its handles: many, default\)/);
      expectProblem(problems, 'each', 'config.graph.edges[1].target', /`score` is not in this graph/);
    });

    it("accepts a continue policy's error handle", () => {
      const d = base();
      find(d, 'hot').onError = { policy: 'continue' };
      d.graph.edges.push(edge('hot', 'cold', 'error'));
      expect(problemsOf(d)).toEqual([]);
      find(d, 'hot').onError = { policy: 'fail' };
      expectProblem(problemsOf(d), null, 'graph.edges[8].sourceHandle', /no handle `error`/);
    });
  });

  describe('trigger, cycles, reachability', () => {
    it('needs exactly one trigger at the top and none in a map body', () => {
      const none = base();
      none.graph.nodes.shift();
      none.graph.edges.shift();
      expectProblem(problemsOf(none), null, 'graph.nodes', /needs a trigger node/);
      const two = base();
      nodesOf(two).push(node('again', 'trigger', { kind: 'manual' }));
      two.graph.edges.push(edge('again', 'score'));
      expectProblem(problemsOf(two), 'again', 'type', /one trigger node \(`start` is the first\)/);
      const inBody = base();
      body(inBody).nodes.push(node('inner', 'trigger', { kind: 'manual' }));
      body(inBody).edges.push(edge('inner', 'shape'));
      expectProblem(problemsOf(inBody), 'inner', 'type', /a map body has no trigger/);
      const empty = base();
      find(empty, 'each').config = { items: 'input.leads', graph: { nodes: [], edges: [] } };
      expectProblem(problemsOf(empty), 'each', 'config.graph.nodes', /the map body has no nodes/);
    });

    it('refuses cycles, in the top graph and in a body, and names every node on one', () => {
      const d = base();
      d.graph.edges.push(edge('merge', 'check'));
      body(d).edges.push(edge('call', 'call'));
      const problems = problemsOf(d);
      for (const id of ['check', 'hot', 'cold', 'merge']) expectProblem(problems, id, '', /a cycle through `check`, `hot`, `cold`, `merge`; repeat work with a map node/);
      expect(problems.filter((p) => /cycle/.test(p.message)).map((p) => p.nodeId).sort()).toEqual(['check', 'cold', 'hot', 'merge']);
      expectProblem(problems, 'call', '', /an edge from `call` to itself/);
    });

    it('needs every node reachable from the trigger', () => {
      const d = base();
      d.graph.edges = d.graph.edges.filter((e) => e.target !== 'each');
      nodesOf(d).push(node('lonely', 'delay', { seconds: 5 }));
      const problems = problemsOf(d);
      expect(problems.filter((p) => /not reachable/.test(p.message)).map((p) => p.nodeId).sort()).toEqual(['done', 'each', 'lonely']);
    });
  });

  describe('expressions', () => {
    it('must parse, in every expression and templated field', () => {
      const d = base();
      find(d, 'check').config = { expression: 'nodes.score.output.score >' };
      (find(d, 'hot').config.args as Json).to = '{{ input.email';
      (find(d, 'cold').config.value as Json).list = ['ok', '{{ $eval("1") }}'];
      find(d, 'done').config = { cases: [{ id: 'many', when: 'foo bar' }] };
      find(d, 'score').config.task = 'Score {{ 1 + }}';
      const problems = problemsOf(d);
      expectProblem(problems, 'check', 'config.expression', /Unexpected end of expression \(at character 26\)/);
      expectProblem(problems, 'hot', 'config.args.to', /is not closed/);
      expectProblem(problems, 'cold', 'config.value.list[1]', /\$eval is not available/);
      expectProblem(problems, 'done', 'config.cases[0].when', /Syntax error/);
      expectProblem(problems, 'score', 'config.task', /Unexpected end of expression/);
    });

    it('may read only upstream nodes', () => {
      const d = base();
      find(d, 'check').config = { expression: 'nodes.merge.output' };
      (find(d, 'hot').config.args as Json).body = '{{ nodes.cold.output }} {{ nodes.hot.output }} {{ nodes.nobody.output }}';
      (find(d, 'cold').config.value as Json).note = '{{ $$.nodes.check.output and nodes.start.output }}';
      const problems = problemsOf(d);
      expectProblem(problems, 'check', 'config.expression', /reads `nodes.merge`, but `merge` does not run before this node/);
      expectProblem(problems, 'hot', 'config.args.body', /reads `nodes.cold`, but `cold` does not run before/);
      expectProblem(problems, 'hot', 'config.args.body', /reads `nodes.hot`, but `hot` does not run before/);
      expectProblem(problems, 'hot', 'config.args.body', /reads `nodes.nobody`, but there is no node `nobody`/);
      expect(problems.filter((p) => p.nodeId === 'cold')).toEqual([]);
    });

    it("lets a map body read its body's upstream and the map's, and the result read the body", () => {
      const d = base();
      (find(d, 'call').config as Json).input = '{{ [nodes.shape.output, nodes.merge.output, nodes.each.output, nodes.done.output, nodes.call.output] }}';
      find(d, 'each').config.items = 'nodes.shape.output';
      find(d, 'each').config.result = '{"a": nodes.call.output, "b": nodes.score.output, "c": item, "d": nodes.done.output}';
      const problems = problemsOf(d);
      const messages = (id: string, path: string) => problems.filter((p) => p.nodeId === id && p.path === path).map((p) => p.message);
      expect(messages('call', 'config.input')).toEqual([
        'reads `nodes.each`, but `each` does not run before this node (only upstream nodes can be read)',
        'reads `nodes.done`, but `done` does not run before this node (only upstream nodes can be read)',
        'reads `nodes.call`, but `call` does not run before this node (only upstream nodes can be read)',
      ]);
      expect(messages('each', 'config.items')).toEqual(['reads `nodes.shape`, but `shape` does not run before this node (only upstream nodes can be read)']);
      expect(messages('each', 'config.result')).toEqual(['reads `nodes.done`, but `done` does not run before this node (only upstream nodes can be read)']);
    });

    it('allows item and index only in a map body, and no name outside the scope', () => {
      const d = base();
      find(d, 'check').config = { expression: 'item.score > index' };
      find(d, 'each').config.items = 'item';
      (find(d, 'cold').config.value as Json).note = '{{ score.output }} {{ input.rows[score > 1] }}';
      const problems = problemsOf(d);
      expectProblem(problems, 'check', 'config.expression', /`item` exists only inside a map body/);
      expectProblem(problems, 'check', 'config.expression', /`index` exists only inside a map body/);
      expectProblem(problems, 'each', 'config.items', /`item` exists only inside a map body/);
      expect(problems.filter((p) => p.nodeId === 'cold').map((p) => p.message)).toEqual([
        'reads `score`, which is not in the scope (input, nodes, run, env, item, index): did you mean `input.score` or `nodes.score.output`?',
      ]);
    });

    it("checks a schedule's input (nothing runs before the trigger) and an event filter's syntax", () => {
      const d = base();
      nodesOf(d)[0]!.config = { kind: 'schedule', cron: '@daily', input: { email: '{{ nodes.score.output }}', at: '{{ run.startedAt }}' } };
      expectProblem(problemsOf(d), 'start', 'config.input.email', /`score` does not run before this node/);
      nodesOf(d)[0]!.config = { kind: 'event', eventType: 'lead.created', filter: 'payload.x >' };
      expectProblem(problemsOf(d), 'start', 'config.filter', /Unexpected end/);
      nodesOf(d)[0]!.config = { kind: 'event', eventType: 'lead.created', filter: 'payload.x > 1' };
      expect(problemsOf(d)).toEqual([]);
    });
  });

  describe('node rules', () => {
    it('needs a join to have two incoming edges, and first a count it can reach', () => {
      const d = base();
      d.graph.edges = d.graph.edges.filter((e) => !(e.source === 'cold' && e.target === 'merge'));
      d.graph.edges.push(edge('cold', 'done', 'x'));
      find(d, 'merge').config = { mode: 'first', count: 2 };
      const problems = problemsOf(d);
      expectProblem(problems, 'merge', '', /at least two incoming edges \(it has 1\)/);
      expectProblem(problems, 'merge', 'config.count', /count is 2, but 1 edge comes in/);
      const noCount = base();
      find(noCount, 'merge').config = { mode: 'first' };
      expectProblem(problemsOf(noCount), 'merge', 'config.count', /mode `first` needs a count/);
      find(noCount, 'merge').config = { mode: 'first', count: 2 };
      expect(problemsOf(noCount)).toEqual([]);
    });

    it('needs switch case ids unique and not a handle of their own', () => {
      const d = base();
      find(d, 'done').config = {
        cases: [
          { id: 'a', when: 'true' },
          { id: 'a', when: 'false' },
          { id: 'default', when: 'false' },
        ],
      };
      const problems = problemsOf(d);
      expectProblem(problems, 'done', 'config.cases[1].id', /another case has the id `a`/);
      expectProblem(problems, 'done', 'config.cases[2].id', /`default` is a handle of its own/);
    });

    it('checks agents, their version and output schema', () => {
      const d = base();
      find(d, 'score').config = { agentId: AGENT, agentVersion: 4, task: 'x', outputSchema: { type: 'array' } };
      const problems = problemsOf(d);
      expectProblem(problems, 'score', 'config.agentVersion', /versions 1 to 3/);
      expectProblem(problems, 'score', 'config.outputSchema.type', /its schema has `type: "object"` at the root/);
      find(d, 'score').config = { agentId: OTHER_AGENT, task: 'x', outputSchema: { type: 'object', properties: { n: { type: 'int' } }, required: 'n' } };
      const again = problemsOf(d);
      expectProblem(again, 'score', 'config.agentId', new RegExp(`no agent \`${OTHER_AGENT}\``));
      expectProblem(again, 'score', 'config.outputSchema.properties.n.type', /type is one of string, number/);
      expectProblem(again, 'score', 'config.outputSchema.required', /list of distinct property names/);
    });

    it("checks tools against the registry and the saver's role", () => {
      const d = base();
      find(d, 'hot').config = { tool: 'shell', args: {} };
      expectProblem(problemsOf(d), 'hot', 'config.tool', /the role `admin` may not use the tool `shell`/);
      find(d, 'hot').config = { tool: 'teleport' };
      expectProblem(problemsOf(d), 'hot', 'config.tool', /there is no tool `teleport`/);
    });

    it('checks sub-workflows and the error workflow: they exist and are not this workflow', () => {
      const d = base();
      find(d, 'call').config = { workflowId: SELF };
      d.settings.errorWorkflowId = OTHER_AGENT;
      const problems = problemsOf(d);
      expectProblem(problems, 'call', 'config.workflowId', /cannot be this workflow itself/);
      expectProblem(problems, null, 'settings.errorWorkflowId', /there is no workflow/);
      d.settings.errorWorkflowId = SELF;
      expectProblem(problemsOf(d), null, 'settings.errorWorkflowId', /cannot be this workflow itself/);
      // A new workflow has no id yet: nothing to be itself.
      find(d, 'call').config = { workflowId: SUB };
      d.settings.errorWorkflowId = SUB;
      expect(problemsOf(d, env({ selfId: undefined }))).toEqual([]);
    });

    it('checks the input schema', () => {
      const d = base();
      d.inputSchema = { type: 'object', properties: { age: { type: 'integer', minimum: 'x' } } } as never;
      expectProblem(problemsOf(d), null, 'inputSchema.properties.age.minimum', /minimum is a number/);
      d.inputSchema = { type: 'object', if: { required: ['a'] }, then: { required: ['b'] } } as never;
      expectProblem(problemsOf(d), null, 'inputSchema', /cannot be used: Conditional schemas/);
    });
  });
});

describe('checkJsonSchema', () => {
  it('accepts common schemas', () => {
    const schema = {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      properties: { name: { type: 'string', minLength: 1, pattern: '^[A-Z]' }, tags: { type: 'array', items: { type: 'string' }, uniqueItems: true }, kind: { enum: ['a', 'b'] }, n: { type: ['number', 'null'], minimum: 0, maximum: 5 } },
      required: ['name'],
      additionalProperties: false,
      $defs: { id: { type: 'string', format: 'uuid' } },
    };
    expect(checkJsonSchema(schema)).toEqual([]);
  });

  it('names the keyword at fault', () => {
    expect(checkJsonSchema({ type: 'object', properties: 5 })).toEqual([{ path: 'properties', message: 'properties is an object of schemas' }]);
    expect(checkJsonSchema({ anyOf: [] })).toEqual([{ path: 'anyOf', message: 'anyOf is a non-empty list of schemas' }]);
    expect(checkJsonSchema({ type: 'string', maxLength: -1, pattern: '(a' }).map((p) => p.path)).toEqual(['maxLength', 'pattern']);
    expect(checkJsonSchema({ type: 'array', items: { type: ['string', 'string'] } })).toEqual([{ path: 'items.type', message: expect.stringMatching(/distinct/) }]);
    expect(checkJsonSchema({ allOf: [{ minimum: 3, maximum: 1 }] })).toEqual([{ path: 'allOf[0].minimum', message: 'minimum is above maximum' }]);
    expect(checkJsonSchema({ type: 'object', properties: { a: { $ref: '#/$defs/missing' } } })).toEqual([{ path: '', message: expect.stringMatching(/cannot be used/) }]);
  });
});

describe('graph order', () => {
  // a → b → d, a → c → d, e (alone), defined out of order.
  const graph = {
    nodes: [{ id: 'd' }, { id: 'c' }, { id: 'a' }, { id: 'e' }, { id: 'b' }],
    edges: [edge('a', 'b'), edge('a', 'c'), edge('b', 'd'), edge('c', 'd'), edge('a', 'ghost')],
  };

  it('orders nodes after their upstream, ties by definition order', () => {
    // Ready at first: a (defined 3rd) and e (4th): a. Then e, b (5th), c (2nd): c. Then e, b: e.
    expect(topologicalOrder(graph)).toEqual(['a', 'c', 'e', 'b', 'd']);
    expect(() => topologicalOrder({ nodes: graph.nodes, edges: [...graph.edges, edge('d', 'a')] })).toThrow(/cycle through d, c, a, b/);
  });

  it("gives each node's ancestors", () => {
    const ancestors = ancestorsOf(graph);
    const sorted = Object.fromEntries([...ancestors].map(([id, set]) => [id, [...set].sort()]));
    expect(sorted).toEqual({ a: [], b: ['a'], c: ['a'], d: ['a', 'b', 'c'], e: [] });
    // On a cycle, the others on it (not the node itself).
    const cyclic = ancestorsOf({ nodes: [{ id: 'x' }, { id: 'y' }], edges: [edge('x', 'y'), edge('y', 'x')] });
    expect([...cyclic.get('x')!]).toEqual(['y']);
  });
});
