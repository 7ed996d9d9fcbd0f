import { describe, expect, it } from 'vitest';
import { expectAccessible } from '../../helpers/browser.js';
import { displayUsd as money } from '../../../src/billing/money.js';
import { useWebHarness, type TestUser } from './harness.js';
import { node, nodes, handle, mouseDrag, type StoredWorkflow } from './workflows.test-helpers.js';

describe('dashboard: running workflows', () => {
  // The provider stub answers the agents of the e2e test; the other test calls no model.
  const web = useWebHarness({ stub: true });
  const api = <T = StoredWorkflow>(user: TestUser, method: string, path: string, body?: unknown) => web.api<T>(method, path, { token: user.accessToken, orgId: user.orgId, body });

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
    // What it received: the analysis' output.
    await panel.getByText('Received').click();
    expect(JSON.parse((await panel.getByTestId('node-received').textContent())!)).toEqual({ analysis: { score: 80 } });
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

    // The list: the latest run (failed), one success out of two finished runs, and what they cost.
    const list = (await api<{ items: { id: string; stats: { runs: number; succeeded: number; failed: number; lastRunStatus: string; costMicros: number } }[] }>(user, 'GET', '/workflows')).body;
    const stats = list.items.find((w) => w.id === workflowId)!.stats;
    expect(stats).toMatchObject({ runs: 2, succeeded: 1, failed: 1, lastRunStatus: 'failed' });
    expect(stats.costMicros).toBeGreaterThan(0);
    page.once('dialog', (d) => void d.accept());
    await page.goto('/workflows');
    const row = page.locator('tr[data-workflow="Lead follow-up"]');
    await row.getByText('50% of 2').waitFor();
    await row.locator('[data-status="failed"]').waitFor();
    await row.getByText(money(stats.costMicros)).waitFor();
    expect(web.problems(page)).toEqual([]);
  }, 180_000);
});
