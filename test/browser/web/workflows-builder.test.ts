import { readFile } from 'node:fs/promises';
import { describe, expect, it } from 'vitest';
import { expectAccessible } from '../../helpers/browser.js';
import { useWebHarness, type TestUser } from './harness.js';
import { mainHeading, node, nodes, handle, mouseDrag, type StoredWorkflow } from './workflows.test-helpers.js';

describe('dashboard: building workflows', () => {
  const web = useWebHarness({});
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
});
