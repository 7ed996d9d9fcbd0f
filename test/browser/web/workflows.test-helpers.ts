import type { Locator, Page } from 'playwright-core';

/** What the workflow builder's browser tests share (workflows-builder.test.ts, workflows-runs.test.ts). */
export const mainHeading = (page: Page) => page.locator('main h1');
/** A node on the canvas (React Flow's wrapper: `data-id` is the node's id). */
export const node = (page: Page, id: string) => page.locator(`.react-flow__node[data-id="${id}"]`);
export const nodes = (page: Page) => page.locator('.react-flow__node');
/** A node's handle: `in`, or a way out (`out`, `true`, `false`…). */
export const handle = (page: Page, id: string, name: string) => page.locator(`.react-flow__handle[data-nodeid="${id}"][data-handleid="${name}"]`);

export interface StoredWorkflow {
  currentVersion: number;
  definition: {
    name: string;
    graph: { nodes: { id: string; type: string; position?: { x: number; y: number }; config: Record<string, unknown> }[]; edges: { source: string; target: string; sourceHandle: string }[] };
  };
}

/** Drags from the centre of one element to the centre of another with real mouse moves (React Flow's connections are pointer drags, not HTML5 ones). */
export async function mouseDrag(page: Page, from: Locator, to: Locator) {
  const a = (await from.boundingBox())!;
  const b = (await to.boundingBox())!;
  await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
  await page.mouse.down();
  await page.mouse.move(a.x + a.width / 2 + 20, a.y + a.height / 2 + 5, { steps: 4 });
  await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 12 });
  await page.mouse.up();
}
