import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

/** Debian's Chromium (package `chromium`); CHROMIUM_PATH overrides. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Launches headless Chromium. The flags keep it from reaching for Google's services, which a
 * closed network refuses (many at a time) at every start.
 */
export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`Browser tests need Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  }
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-dev-shm-usage',
    ],
  });
}

const AXE_SOURCE = path.join(path.dirname(fileURLToPath(import.meta.resolve('axe-core'))), 'axe.min.js');
let axeSource: string | undefined;

/** What axe-core reports of one rule that failed (the parts a person needs to fix it). */
interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  helpUrl: string;
  nodes: { target: unknown[]; failureSummary?: string }[];
}

export interface AccessibilityOptions {
  /** Also check the dark theme (prefers-color-scheme: dark); default true. */
  dark?: boolean;
  /** Rule ids to leave out, each with a reason in the calling test. */
  disableRules?: string[];
}

/**
 * Runs axe-core (WCAG 2.0 A and AA, 2.1 AA) on the page as it is now, in the light theme and then
 * the dark one, and fails naming every serious or critical violation: its rule id, its help text
 * and the first elements it found. Moderate and minor findings are not failures. The page's
 * colour scheme is put back afterwards.
 */
export async function expectAccessible(page: Page, what: string, options: AccessibilityOptions = {}): Promise<void> {
  axeSource ??= readFileSync(AXE_SOURCE, 'utf8');
  const run = async () => {
    // Evaluated over the DevTools protocol, not added as a <script>: the dashboard's CSP
    // (script-src 'self') refuses inline scripts, as it should.
    if (!(await page.evaluate('typeof window.axe !== "undefined"'))) await page.evaluate(`${axeSource}\n;void 0`);
    return page.evaluate(
      async ({ disable }) => {
        // Runs in the page: globalThis is its window (the test's tsconfig has no DOM types).
        const win = globalThis as unknown as { document: unknown; axe: { run(ctx: unknown, opts: unknown): Promise<{ violations: AxeViolation[] }> } };
        const result = await win.axe.run(win.document, {
          runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] },
          rules: Object.fromEntries(disable.map((id) => [id, { enabled: false }])),
          resultTypes: ['violations'],
        });
        return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, helpUrl: v.helpUrl, nodes: v.nodes.map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }));
      },
      { disable: options.disableRules ?? [] },
    );
  };
  const problems: string[] = [];
  const themes: ('light' | 'dark')[] = options.dark === false ? ['light'] : ['light', 'dark'];
  try {
    for (const theme of themes) {
      await page.emulateMedia({ colorScheme: theme });
      // Let style recalculation and transitions settle before measuring colours.
      await page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
      const violations = await run();
      for (const v of violations.filter((x) => x.impact === 'serious' || x.impact === 'critical')) {
        const targets = v.nodes.slice(0, 3).map((n) => `    ${JSON.stringify(n.target)}${n.failureSummary ? `: ${n.failureSummary.split('\n').slice(1, 2).join(' ').trim()}` : ''}`);
        problems.push(`[${theme}] ${v.impact} ${v.id}: ${v.help} (${v.nodes.length} element${v.nodes.length === 1 ? '' : 's'})\n${targets.join('\n')}`);
      }
    }
  } finally {
    await page.emulateMedia({ colorScheme: null });
  }
  if (problems.length) throw new Error(`Accessibility of ${what}: ${problems.length} serious or critical finding(s)\n${problems.join('\n')}`);
}
