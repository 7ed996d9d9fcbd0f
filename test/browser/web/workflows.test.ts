import { readFile } from 'node:fs/promises';
import type { Locator, Page } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { expectAccessible } from '../../helpers/browser.js';
import { useWebHarness, type TestUser } from './harness.js';

const mainHeading = (page: Page) => page.locator('main h1');
/** A node on the canvas (React Flow's wrapper: `data-id` is the node's id). */
const node = (page: Page, id: string) => page.locator(`.react-flow__node[data-id="${id}"]`);
const nodes = (page: Page) => page.locator('.react-flow__node');
/** A node's handle: `in`, or a way out (`out`, `true`, `false`…). */
const handle = (page: Page, id: string, name: string) => page.locator(`.react-flow__handle[data-nodeid="${id}"][data-handleid="${name}"]`);

interface StoredWorkflow {
  currentVersion: number;
  definition: {
    name: string;
    graph: { nodes: { id: string; type: string; position?: { x: number; y: number }; config: Record<string, unknown> }[]; edges: { source: string; target: string; sourceHandle: string }[] };
  };
}

/** Drags from the centre of one element to the centre of another with real mouse moves (React Flow's connections are pointer drags, not HTML5 ones). */
async function mouseDrag(page: Page, from: Locator, to: Locator) {
  const a = (await from.boundingBox())!;
  const b = (await to.boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(a.x + a.width / 2 + 20, a.y + a.height / 2 + 5, { steps: 4 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 12 });
  await page.mouse.up();
}

describe('dashboard: workflows', () => {
  // The provider stub answers the agents of the e2e test; the other tests call no model.
  const web = useWebHarness({ stub: true });
  const api = <T = StoredWorkflow>(user: TestUser, method: string, path: string, body?: unknown) => web.api<T>(method, path, { token: user.accessToken, orgId: user.orgId, body });

  it('builds a workflow by drag and drop, saves it, sees it after a reload, shows a broken expression on its node, undoes and redoes, copies and pastes, exports', async () => {
    const user = await web.signUp({ orgName: 'Flow Gym' });
    const page = await web.newPage({ as: user });
    await page.goto('/workflows');
    await mainHeading(page).getByText('Workflows').waitFor();
    await page.getByText('No workflows yet').waitFor();
    await expectAccessible(page, 'the empty workflows list');

    // Create: a name, then the builder with a manual trigger to start from.
    await page.getByRole('button', { name: 'New workflow' }).click();
    const dialog = page.getByRole('dialog', { name: 'New workflow' });
    await dialog.getByLabel('Name').fill('Lead triage');
    await dialog.getByRole('button', { name: 'Create workflow' }).click();
    await page.waitForURL(/\/workflows\/[0-9a-f-]{36}$/);
    const workflowId = page.url().split('/').pop()!;
    await mainHeading(page).getByText('Lead triage').waitFor();
    await node(page, 'trigger').waitFor();
    await expect.poll(() => page.getByTestId('validation-status').textContent()).toBe('No problems');

    // Drag a transform and a condition from the palette onto the canvas (HTML5 drag and drop).
    const canvas = page.getByTestId('workflow-canvas');
    const box = (await canvas.boundingBox())!;
    await page.locator('[data-palette="transform"]').dragTo(canvas, { targetPosition: { x: 150, y: box.height / 2 + 40 } });
    await node(page, 'transform').waitFor();
    await page.locator('[data-palette="condition"]').dragTo(canvas, { targetPosition: { x: box.width - 130, y: 90 } });
    await node(page, 'condition').waitFor();
    expect(await nodes(page).count()).toBe(3);

    // Connect by dragging from a node's way out to the next node's way in.
    await mouseDrag(page, handle(page, 'trigger', 'out'), handle(page, 'transform', 'in'));
    await mouseDrag(page, handle(page, 'transform', 'out'), handle(page, 'condition', 'in'));
    await expect.poll(() => page.locator('.react-flow__edge').count()).toBe(2);

    // Fill the transform's value (a JSON field, with the upstream values to insert) and the condition.
    await node(page, 'transform').click();
    const value = page.getByLabel('Value', { exact: true });
    await value.fill('{"score": "{{ input.score }}", "email": ""}');
    await node(page, 'condition').click();
    const panel = page.getByRole('complementary', { name: 'Details' });
    await panel.getByRole('heading', { name: /Condition node/ }).waitFor();
    const expression = page.getByLabel('Expression', { exact: true });
    await expression.fill('');
    // The expression field offers what is upstream of the condition: the input and the transform's output.
    await panel.getByRole('group', { name: 'Insert into Expression' }).getByRole('button', { name: 'nodes.transform.output' }).click();
    await expect.poll(() => expression.inputValue()).toBe('nodes.transform.output');
    await expression.press('End');
    await expression.pressSequentially('.score > 50');
    await expect.poll(() => page.getByTestId('validation-status').textContent()).toBe('No problems');
    await expectAccessible(page, 'the builder');
    await web.screenshot(page, 'workflow-builder');

    // Save: version 2, as built.
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => page.getByTestId('save-status').textContent()).toBe('Saved as version 2');
    const saved = await api(user, 'GET', `/workflows/${workflowId}`);
    expect(saved.body.currentVersion).toBe(2);
    const graph = saved.body.definition.graph;
    expect(graph.nodes.map((n) => [n.id, n.type])).toEqual([
      ['trigger', 'trigger'],
      ['transform', 'transform'],
      ['condition', 'condition'],
    ]);
    expect(graph.edges).toEqual([
      { source: 'trigger', target: 'transform', sourceHandle: 'out' },
      { source: 'transform', target: 'condition', sourceHandle: 'out' },
    ]);
    expect(graph.nodes[1]!.config).toEqual({ value: { score: '{{ input.score }}', email: '' } });
    expect(graph.nodes[2]!.config).toEqual({ expression: 'nodes.transform.output.score > 50' });
    expect(graph.nodes[1]!.position).toEqual({ x: expect.any(Number), y: expect.any(Number) });

    // A reload shows what was saved.
    await page.reload();
    await node(page, 'condition').waitFor();
    expect(await nodes(page).count()).toBe(3);
    await expect.poll(() => page.locator('.react-flow__edge').count()).toBe(2);
    await node(page, 'condition').click();
    await expect.poll(() => page.getByLabel('Expression', { exact: true }).inputValue()).toBe('nodes.transform.output.score > 50');

    // Break the expression: the problem shows on the condition node and in its panel, and a save is refused on it.
    await page.getByLabel('Expression', { exact: true }).fill('nodes.transform.output.score >');
    const badge = node(page, 'condition').getByTestId('node-problem');
    await badge.waitFor();
    expect(await badge.textContent()).toMatch(/^config\.expression: /);
    await page.getByTestId('panel-problems').waitFor();
    await expect.poll(() => page.getByTestId('validation-status').textContent()).toBe('1 problem');
    expect(await node(page, 'transform').getByTestId('node-problem').count()).toBe(0);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByTestId('save-error').getByText(/Not saved/).waitFor();
    await web.screenshot(page, 'workflow-problem');

    // Undo takes the typing back as one step (the expression is whole again); redo breaks it again.
    await page.locator('main h1').click();
    await page.keyboard.press('Control+z');
    await expect.poll(() => page.getByLabel('Expression', { exact: true }).inputValue()).toBe('nodes.transform.output.score > 50');
    await expect.poll(() => node(page, 'condition').getByTestId('node-problem').count()).toBe(0);
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(() => page.getByLabel('Expression', { exact: true }).inputValue()).toBe('nodes.transform.output.score >');
    await badge.waitFor();
    await page.getByRole('button', { name: 'Undo' }).click();
    await expect.poll(() => node(page, 'condition').getByTestId('node-problem').count()).toBe(0);

    // Click-to-add (keyboard users), then undo and redo the add, then delete with the Delete key.
    await page.locator('[data-palette="delay"]').click();
    await node(page, 'delay').waitFor();
    expect(await nodes(page).count()).toBe(4);
    await page.getByRole('button', { name: 'Undo' }).click();
    await expect.poll(() => nodes(page).count()).toBe(3);
    await page.getByRole('button', { name: 'Redo' }).click();
    await expect.poll(() => nodes(page).count()).toBe(4);
    await node(page, 'delay').click();
    await page.keyboard.press('Delete');
    await expect.poll(() => nodes(page).count()).toBe(3);

    // Copy and paste: a fresh id, the same config.
    await node(page, 'transform').click();
    await page.keyboard.press('Control+c');
    await page.keyboard.press('Control+v');
    await node(page, 'transform_2').waitFor();
    await expect.poll(() => page.getByLabel('Value', { exact: true }).inputValue()).toContain('{{ input.score }}');

    // Auto layout puts the nodes left to right in the order they run.
    await page.getByRole('button', { name: 'Auto layout' }).click();
    await expect
      .poll(async () => {
        const [t, x, c] = await Promise.all(['trigger', 'transform', 'condition'].map(async (id) => (await node(page, id).boundingBox())!.x));
        return t! < x! && x! < c!;
      })
      .toBe(true);

    // Export the saved version: the file re-imports.
    const downloading = page.waitForEvent('download');
    await page.getByRole('button', { name: 'Export JSON' }).click();
    const file = await downloading;
    expect(file.suggestedFilename()).toBe('lead-triage.workflow.json');
    const exported = JSON.parse(await readFile((await file.path())!, 'utf8')) as { troupeWorkflow: number; name: string; graph: { nodes: unknown[] } };
    expect(exported).toMatchObject({ troupeWorkflow: 1, name: 'Lead triage' });
    expect(exported.graph.nodes).toHaveLength(3);

    // Leaving with unsaved changes asks first; the list shows the saved workflow.
    await page.getByRole('link', { name: 'Workflows' }).first().click();
    const leave = page.getByRole('dialog', { name: 'Leave without saving?' });
    await leave.getByRole('button', { name: 'Stay' }).click();
    await node(page, 'transform_2').waitFor();
    await page.getByRole('link', { name: 'Workflows' }).first().click();
    await leave.getByRole('button', { name: 'Leave without saving' }).click();
    const row = page.locator('tr[data-workflow="Lead triage"]');
    await row.waitFor();
    expect(await row.getByText('v2').count()).toBe(1);
    await expectAccessible(page, 'the workflows list');
    await web.screenshot(page, 'workflows');

    // The exported file imports as a new workflow, which opens.
    await page.getByLabel('Workflow file to import').setInputFiles((await file.path())!);
    await page.waitForURL((url) => /\/workflows\/[0-9a-f-]{36}$/.test(url.pathname) && !url.pathname.endsWith(workflowId));
    await node(page, 'condition').waitFor();
    expect(await nodes(page).count()).toBe(3);
    expect(web.problems(page)).toEqual([]);
  }, 120_000);

  /** A workflow made through the API: trigger → transform → condition. */
  async function createWorkflow(user: TestUser, name: string) {
    const res = await api<StoredWorkflow & { id: string }>(user, 'POST', '/workflows', {
      definition: {
        name,
        graph: {
          nodes: [
            { id: 'trigger', type: 'trigger', position: { x: 0, y: 0 }, config: { kind: 'manual' } },
            { id: 'shape', type: 'transform', position: { x: 300, y: 0 }, config: { value: { score: '{{ input.score }}' } } },
            { id: 'check', type: 'condition', position: { x: 600, y: 0 }, config: { expression: 'nodes.shape.output.score > 50' } },
          ],
          edges: [
            { source: 'trigger', target: 'shape' },
            { source: 'shape', target: 'check' },
          ],
        },
      },
    });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    return res.body.id;
  }

  it('views and restores versions, tells of a conflicting save, and edits a map body in place', async () => {
    const user = await web.signUp({ orgName: 'Versions Gym' });
    const workflowId = await createWorkflow(user, 'Nightly sync');
    const page = await web.newPage({ as: user });
    await page.goto(`/workflows/${workflowId}`);
    await node(page, 'check').waitFor();

    // A map node, its body edited on the same canvas: the palette has no trigger there, and a
    // body node's expressions may read the item.
    await page.locator('[data-palette="map"]').click();
    await node(page, 'map').waitFor();
    // Away from the canvas's edges first: a connection dragged near one pans the view (React Flow's autopan).
    await page.getByRole('button', { name: 'Zoom Out' }).click();
    await mouseDrag(page, handle(page, 'check', 'true'), handle(page, 'map', 'in'));
    await expect.poll(() => page.locator('.react-flow__edge').count()).toBe(3);
    await node(page, 'map').getByRole('button', { name: 'Edit body of map' }).click();
    const scope = page.getByRole('navigation', { name: 'Where you are' });
    await scope.getByText('Body of map').waitFor();
    await expect.poll(() => nodes(page).count()).toBe(0);
    expect(await page.locator('[data-palette="trigger"]').count()).toBe(0);
    await page.locator('[data-palette="transform"]').click();
    await node(page, 'transform').waitFor();
    const inBody = page.getByRole('group', { name: 'Insert into Value' });
    expect(await inBody.getByRole('button').allTextContents()).toEqual(['input', 'item', 'index', 'nodes.shape.output', 'nodes.check.output']);
    await page.getByLabel('Value', { exact: true }).fill('{"name": "{{ item.name }}"}');
    await scope.getByRole('button', { name: 'Workflow' }).click();
    await node(page, 'map').waitFor();
    await expect.poll(() => nodes(page).count()).toBe(4);
    await expect.poll(() => page.getByTestId('validation-status').textContent()).toBe('No problems');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => page.getByTestId('save-status').textContent()).toBe('Saved as version 2');
    const saved = await api(user, 'GET', `/workflows/${workflowId}`);
    const map = saved.body.definition.graph.nodes.find((n) => n.id === 'map')!;
    expect(map.config.graph).toEqual({ nodes: [expect.objectContaining({ id: 'transform', type: 'transform', config: { value: { name: '{{ item.name }}' } } })], edges: [] });

    // Versions: view version 1 read only, with what changed since, then restore it as version 3.
    await page.getByRole('button', { name: 'Versions', exact: true }).click();
    await page.getByRole('button', { name: 'View version 1' }).click();
    await page.getByText('Viewing version 1, read only.').waitFor();
    await expect.poll(() => nodes(page).count()).toBe(3);
    await page.getByRole('group', { name: 'Changes from version 1 to version 2' }).getByText('node map added').waitFor();
    expect(await page.getByRole('button', { name: 'Save', exact: true }).isDisabled()).toBe(true);
    await expectAccessible(page, 'a version on the canvas');
    await page.getByRole('button', { name: 'Restore version 1' }).click();
    await page.getByRole('dialog', { name: 'Restore version 1?' }).getByRole('button', { name: 'Restore version 1' }).click();
    await expect.poll(() => page.getByTestId('save-status').textContent()).toBe('Version 3');
    await expect.poll(() => nodes(page).count()).toBe(3);
    expect((await api(user, 'GET', `/workflows/${workflowId}`)).body.currentVersion).toBe(3);

    // Someone else saves meanwhile: this save is refused, and their version can be loaded.
    const theirs = structuredClone(saved.body.definition);
    theirs.name = 'Nightly sync (theirs)';
    expect((await api(user, 'PUT', `/workflows/${workflowId}`, { definition: theirs })).status).toBe(200);
    await page.getByRole('button', { name: 'Inspect', exact: true }).click();
    await page.getByLabel('Name', { exact: true }).fill('Nightly sync (mine)');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    const conflict = page.getByTestId('save-error');
    await conflict.getByText(/Someone saved this workflow after you opened it/).waitFor();
    await conflict.getByRole('button', { name: 'Load their version' }).click();
    await expect.poll(() => page.getByLabel('Name', { exact: true }).inputValue()).toBe('Nightly sync (theirs)');
    await expect.poll(() => nodes(page).count()).toBe(4);
    expect(web.problems(page)).toEqual([]);
  }, 120_000);

  it('runs a workflow from the builder on the real engine: a refused input, nodes coloured live (waiting on a delay), outputs, a node tried alone, the run history', async () => {
    const user = await web.signUp({ orgName: 'Runner Gym' });
    const created = await api<{ id: string }>(user, 'POST', '/workflows', {
      definition: {
        name: 'Lead scoring',
        inputSchema: { type: 'object', properties: { score: { type: 'number' } }, required: ['score'] },
        graph: {
          nodes: [
            { id: 'trigger', type: 'trigger', position: { x: 0, y: 0 }, config: { kind: 'manual' } },
            { id: 'shape', type: 'transform', position: { x: 260, y: 0 }, config: { value: { score: '{{ input.score }}' } } },
            // Long enough for a poll or two to see the run parked (`waiting`), short enough for a test.
            { id: 'pause', type: 'delay', position: { x: 520, y: 0 }, config: { seconds: 3 } },
            { id: 'check', type: 'condition', position: { x: 780, y: 0 }, config: { expression: 'nodes.shape.output.score > 50' } },
          ],
          edges: [
            { source: 'trigger', target: 'shape' },
            { source: 'shape', target: 'pause' },
            { source: 'pause', target: 'check' },
          ],
        },
      },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const workflowId = created.body.id;
    const page = await web.newPage({ as: user });
    await page.goto(`/workflows/${workflowId}`);
    await node(page, 'check').waitFor();
    await page.getByRole('button', { name: 'Runs', exact: true }).click();
    await page.getByText('No runs yet.').waitFor();

    // The input form is drawn from the input schema; the server refuses a missing score (400 invalid_input) and the field says so.
    await page.getByRole('button', { name: 'Run workflow' }).click();
    const dialog = page.getByRole('dialog', { name: 'Run Lead scoring' });
    await dialog.getByRole('button', { name: 'Start run' }).click();
    await dialog.getByText('The input does not fit the workflow input schema').waitFor();
    await expect.poll(() => dialog.getByLabel('Score', { exact: true }).getAttribute('aria-invalid')).toBe('true');
    await expectAccessible(page, 'the run dialog');
    expect((await api<{ items: unknown[] }>(user, 'GET', `/runs?workflowId=${workflowId}`)).body.items).toEqual([]);

    // A run: the delay parks it (`waiting`, still watched), then every node has its state and output.
    await dialog.getByLabel('Score', { exact: true }).fill('80');
    await dialog.getByRole('button', { name: 'Start run' }).click();
    const banner = page.getByTestId('shown-run');
    await banner.getByText(/^Showing run [0-9a-f]{8}/).waitFor();
    const runs = (await api<{ items: { id: string; status: string; workflowVersion: number }[] }>(user, 'GET', `/runs?workflowId=${workflowId}`)).body.items;
    expect(runs).toHaveLength(1);
    const runId = runs[0]!.id;
    expect(await banner.textContent()).toContain(`Showing run ${runId.slice(0, 8)}`);
    await node(page, 'pause').locator('[data-run-status="waiting"]').waitFor();
    await banner.locator('[data-status="waiting"]').waitFor();
    expect(await node(page, 'shape').getByTestId('node-output-preview').textContent()).toBe('Output: {"score":80}');
    await node(page, 'check').locator('[data-run-status="succeeded"]').waitFor({ timeout: 30_000 });
    await banner.locator('[data-status="succeeded"]').waitFor();
    expect(await node(page, 'check').getByTestId('node-output-preview').textContent()).toBe('Output: true');
    // A node's time runs from its start to its end, the wait included.
    expect(Number(/^(\d+\.\d) s$/.exec((await node(page, 'pause').locator('.wf-node-run').textContent())!)?.[1])).toBeGreaterThanOrEqual(3);
    await page.getByRole('button', { name: 'Inspect', exact: true }).click();
    await node(page, 'check').click();
    const details = page.getByRole('complementary', { name: 'Details' });
    await details.getByRole('heading', { name: 'In this run' }).waitFor();
    expect(await details.getByTestId('node-output').textContent()).toBe('true');
    expect(await details.locator('dt:text-is("Took") + dd').textContent()).toBe('true');

    // Try the condition alone with the run's upstream outputs pinned, then with a lower score: the server evaluates it.
    await details.getByText('Test this node').click();
    const pinned = details.getByLabel('Upstream outputs (JSON)');
    expect(JSON.parse(await pinned.inputValue())).toEqual({ shape: { output: { score: 80 } }, pause: { output: null } });
    await details.getByRole('button', { name: 'Run this node' }).click();
    const result = details.getByTestId('node-test-result');
    await result.locator('[data-status="succeeded"]').waitFor();
    expect(await result.locator('pre').textContent()).toBe('true');
    await pinned.fill('{"shape": {"output": {"score": 20}}}');
    await details.getByRole('button', { name: 'Run this node' }).click();
    await expect.poll(() => result.locator('pre').textContent()).toBe('false');
    expect(await result.getByText('takes').textContent()).toBe('takes false');
    await expectAccessible(page, 'a run on the canvas');
    await web.screenshot(page, 'workflow-run');

    // The history lists it (the version it ran); it can be shown again.
    await page.getByRole('button', { name: 'Runs', exact: true }).click();
    const history = page.getByRole('list', { name: 'Runs of this workflow' });
    await history.getByRole('link', { name: `Run ${runId.slice(0, 8)}` }).waitFor();
    expect(await history.getByText('v1').count()).toBe(1);
    await page.getByRole('button', { name: 'Stop showing' }).click();
    await expect.poll(() => page.locator('[data-run-status]').count()).toBe(0);
    await history.getByRole('button', { name: 'Show on canvas' }).click();
    await node(page, 'check').locator('[data-run-status="succeeded"]').waitFor();
    expect(web.problems(page)).toEqual([]);
  }, 120_000);

  it('e2e on the stub model: builds "lead created → agent analysis → condition on the score → content generation" from an empty canvas, saves, runs, and shows each node\'s output', async () => {
    const user = await web.signUp({ orgName: 'Lead Gym' });
    // openai:* agents talk to the provider stub (the harness points the server's OpenAI credential at it).
    const agent = await api<{ id: string }>(user, 'POST', '/agents', { name: 'Lead assistant', model: 'openai:gpt-4o-mini' });
    expect(agent.status, JSON.stringify(agent.body)).toBe(201);
    const page = await web.newPage({ as: user });
    await page.goto('/workflows');
    await page.getByRole('button', { name: 'New workflow' }).click();
    await page.getByRole('dialog', { name: 'New workflow' }).getByLabel('Name').fill('Lead follow-up');
    await page.getByRole('dialog', { name: 'New workflow' }).getByRole('button', { name: 'Create workflow' }).click();
    await page.waitForURL(/\/workflows\/[0-9a-f-]{36}$/);
    const workflowId = page.url().split('/').pop()!;

    // An empty canvas: the starting trigger goes; then the workflow's input schema, {email, name}.
    await node(page, 'trigger').click();
    await page.keyboard.press('Delete');
    await expect.poll(() => nodes(page).count()).toBe(0);
    const panel = page.getByRole('complementary', { name: 'Details' });
    await panel.getByRole('heading', { name: 'Workflow' }).waitFor();
    const inputSchema = { type: 'object', properties: { email: { type: 'string' }, name: { type: 'string' } }, required: ['email', 'name'] };
    await panel.getByLabel('Input schema (JSON Schema) (optional)').fill(JSON.stringify(inputSchema));

    // Drag the four nodes from the palette (two columns, clear of the minimap), then connect them.
    const canvas = page.getByTestId('workflow-canvas');
    const box = (await canvas.boundingBox())!;
    const drop = (key: string, x: number, y: number) => page.locator(`[data-palette="${key}"]`).dragTo(canvas, { targetPosition: { x, y } });
    await drop('trigger', 135, 80);
    await drop('ai_agent_analysis', 135, 270);
    await drop('condition', box.width - 135, 80);
    await drop('ai_agent_generate_content', box.width - 135, 270);
    for (const id of ['trigger', 'analysis', 'condition', 'content']) await node(page, id).waitFor();
    // Away from the canvas's edges first: a connection dragged near one pans the view (React Flow's autopan).
    await page.getByRole('button', { name: 'Zoom Out' }).click();
    await mouseDrag(page, handle(page, 'trigger', 'out'), handle(page, 'analysis', 'in'));
    await mouseDrag(page, handle(page, 'analysis', 'out'), handle(page, 'condition', 'in'));
    await mouseDrag(page, handle(page, 'condition', 'true'), handle(page, 'content', 'in'));
    await expect.poll(() => page.locator('.react-flow__edge').count()).toBe(3);

    // The forms: the trigger's name, the analysis' agent, task and output schema {score: number}, the condition, the content's agent and task.
    await node(page, 'trigger').click();
    await panel.getByLabel('Name (optional)').fill('Lead created');
    await node(page, 'analysis').click();
    await panel.getByLabel('Agent', { exact: true }).selectOption({ label: 'Lead assistant' });
    await panel.getByLabel('Task', { exact: true }).fill('Score this lead from 0 to 100: {{ input.name }} <{{ input.email }}>');
    const outputSchema = { type: 'object', properties: { score: { type: 'number' } }, required: ['score'] };
    await panel.getByLabel('Output schema (JSON Schema) (optional)').fill(JSON.stringify(outputSchema));
    await node(page, 'condition').click();
    const expression = panel.getByLabel('Expression', { exact: true });
    await expression.fill('');
    await panel.getByRole('group', { name: 'Insert into Expression' }).getByRole('button', { name: 'nodes.analysis.output' }).click();
    await expect.poll(() => expression.inputValue()).toBe('nodes.analysis.output');
    await expression.press('End');
    await expression.pressSequentially('.score > 50');
    await node(page, 'content').click();
    await panel.getByLabel('Agent', { exact: true }).selectOption({ label: 'Lead assistant' });
    await panel.getByLabel('Task', { exact: true }).fill('Write a short, friendly follow-up email to {{ input.name }}.');
    await expect.poll(() => page.getByTestId('validation-status').textContent()).toBe('No problems');

    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(() => page.getByTestId('save-status').textContent()).toBe('Saved as version 2');
    const saved = (await api(user, 'GET', `/workflows/${workflowId}`)).body.definition;
    expect(saved.graph.nodes.map((n) => [n.id, n.type, n.config.preset ?? null])).toEqual([
      ['trigger', 'trigger', null],
      ['analysis', 'agent', 'ai_agent_analysis'],
      ['condition', 'condition', null],
      ['content', 'agent', 'ai_agent_generate_content'],
    ]);
    expect(saved.graph.edges).toEqual([
      { source: 'trigger', target: 'analysis', sourceHandle: 'out' },
      { source: 'analysis', target: 'condition', sourceHandle: 'out' },
      { source: 'condition', target: 'content', sourceHandle: 'true' },
    ]);
    expect(saved.graph.nodes[1]!.config).toMatchObject({ agentId: agent.body.id, outputSchema });
    expect(saved.graph.nodes[2]!.config).toEqual({ expression: 'nodes.analysis.output.score > 50' });

    // Run it: the stub first answers the analysis (JSON), then writes the email.
    const email = 'Hi Ann, thanks for visiting Lead Gym! Your first class is on us.';
    web.stub!.reset();
    web.stub!.enqueue({ text: '{"score": 80}', usage: { input: 200, output: 8 } }, { text: email, usage: { input: 120, output: 30 } });
    await page.getByRole('button', { name: 'Runs', exact: true }).click();
    await page.getByRole('button', { name: 'Run workflow' }).click();
    const dialog = page.getByRole('dialog', { name: 'Run Lead follow-up' });
    await dialog.getByLabel('Email', { exact: true }).fill('ann@example.com');
    await dialog.getByLabel('Name', { exact: true }).fill('Ann');
    await dialog.getByRole('button', { name: 'Start run' }).click();
    const banner = page.getByTestId('shown-run');
    await banner.locator('[data-status="succeeded"]').waitFor({ timeout: 60_000 });
    for (const id of ['trigger', 'analysis', 'condition', 'content']) await node(page, id).locator('[data-run-status="succeeded"]').waitFor();

    // Each node's output on the canvas, and in full one click away.
    const preview = (id: string) => node(page, id).getByTestId('node-output-preview').textContent();
    expect(JSON.parse((await preview('trigger'))!.replace(/^Output: /, ''))).toEqual({ email: 'ann@example.com', name: 'Ann' });
    expect(await preview('analysis')).toBe('Output: {"score":80}');
    expect(await preview('condition')).toBe('Output: true');
    expect(await preview('content')).toBe(`Output: ${email.slice(0, 59)}…`);
    await page.getByRole('button', { name: 'Inspect', exact: true }).click();
    await node(page, 'analysis').click();
    expect(JSON.parse((await panel.getByTestId('node-output').textContent())!)).toEqual({ score: 80 });
    await panel.getByText('Task given').click();
    const analysisTask = (await panel.getByTestId('node-input').textContent())!;
    expect(analysisTask).toContain('Score this lead from 0 to 100: Ann <ann@example.com>');
    expect(analysisTask).toContain('Answer with only a JSON value');
    await node(page, 'condition').click();
    expect(await panel.getByTestId('node-output').textContent()).toBe('true');
    await node(page, 'content').click();
    expect(await panel.getByTestId('node-output').textContent()).toBe(email);
    // Its cost is its agent run's (the stub reported tokens).
    expect(Number((await panel.locator('dt:text-is("Cost") + dd').textContent())!.replace('$', ''))).toBeGreaterThan(0);
    await panel.getByText('Task given').click();
    expect(await panel.getByTestId('node-input').textContent()).toBe('Write a short, friendly follow-up email to Ann.');
    const childLink = panel.getByRole('link', { name: /^Run [0-9a-f]{8}$/ });
    const childId = (await childLink.getAttribute('href'))!.split('/').pop()!;
    const child = (await api<{ parentRunId: string; agentId: string; output: string }>(user, 'GET', `/runs/${childId}`)).body;
    expect(child).toMatchObject({ agentId: agent.body.id, output: email });
    const run = (await api<{ id: string; result: unknown; workflowVersion: number }>(user, 'GET', `/runs/${child.parentRunId}`)).body;
    expect(run).toMatchObject({ workflowVersion: 2, result: email });
    expect(web.stub!.requests).toHaveLength(2);
    await expectAccessible(page, 'a finished run of the lead workflow');
    await web.screenshot(page, 'workflow-e2e-run');

    // An answer that is not JSON is asked for again (structuredRetries, 2 by default) and then fails the node and the run.
    web.stub!.reset();
    web.stub!.enqueue(...Array.from({ length: 3 }, () => ({ text: 'A promising lead, I would say.' })));
    await page.getByRole('button', { name: 'Runs', exact: true }).click();
    await page.getByRole('button', { name: 'Run workflow' }).click();
    await dialog.getByLabel('Email', { exact: true }).fill('bob@example.com');
    await dialog.getByLabel('Name', { exact: true }).fill('Bob');
    await dialog.getByRole('button', { name: 'Start run' }).click();
    await banner.locator('[data-status="failed"]').waitFor({ timeout: 60_000 });
    await banner.getByText(/node `analysis`: the agent's answer does not fit the output schema/).waitFor();
    await node(page, 'analysis').locator('[data-run-status="failed"]').waitFor();
    expect(await preview('analysis')).toBe('Error: output_schema');
    expect(await node(page, 'condition').locator('[data-run-status]').count()).toBe(0);
    expect(web.stub!.requests).toHaveLength(3);
    expect(JSON.stringify(web.stub!.requests[1]!.body)).toContain('Your previous answer did not fit it');

    // Break the condition's expression: the problem shows on its node, and the save is refused.
    await page.getByRole('button', { name: 'Inspect', exact: true }).click();
    await node(page, 'condition').click();
    await panel.getByLabel('Expression', { exact: true }).fill('nodes.analysis.output.score >');
    await expect.poll(() => node(page, 'condition').getByTestId('node-problem').textContent()).toMatch(/^config\.expression: /);
    expect(await node(page, 'analysis').getByTestId('node-problem').count()).toBe(0);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await page.getByTestId('save-error').getByText(/Not saved/).waitFor();
    expect(web.problems(page)).toEqual([]);
  }, 180_000);
});
