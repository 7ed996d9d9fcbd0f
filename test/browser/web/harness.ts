import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect } from 'vitest';
import { ensureWebBuild } from '../../../web/tools/ensure-build.js';
import { WEB_OUT_DIR } from '../../../web/tools/build-inputs.js';
import { TEST_SECRET_KEY } from '../../helpers/app.js';
import { launchBrowser } from '../../helpers/browser.js';
import { startTroupe, type TroupeProcess } from '../../helpers/processes.js';
import { startProviderStub, type ProviderStub } from '../../helpers/provider-stub.js';

/*
 * End-to-end harness of the dashboard: one real Troupe (`troupe serve` as a child process, on
 * an in-memory embedded database, serving the built dist/web) and one Chromium per test file.
 * Each test opens pages in fresh browser contexts (separate storage), signed out or already
 * signed in as a user created through the API.
 */

export const RESULTS_DIR = path.resolve(import.meta.dirname, '../../../test-results');

export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 800 };

export interface TestUser {
  email: string;
  password: string;
  name: string;
  userId: string;
  orgId: string;
  orgName: string;
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export interface PageOptions {
  /** Default 1280×800; `PHONE` is 390×844 (touch, mobile). */
  viewport?: { width: number; height: number };
  /** Opens the page already signed in as this user (tokens put in localStorage). */
  as?: TestUser;
}

export interface WebHarness {
  /** `http://127.0.0.1:<port>` of the server. */
  readonly url: string;
  readonly server: TroupeProcess;
  /** The one-time setup token the server printed at its first start (null once read from output fails). */
  readonly setupToken: string | null;
  readonly browser: Browser;
  /** The provider stub (OpenAI and Anthropic wire formats) the server's env points at, when asked for. */
  readonly stub: ProviderStub | null;
  /** A fresh browser context and page at `path` (default: not navigated). */
  newPage(options?: PageOptions): Promise<Page>;
  /** Saves `test-results/web-<name>.png` (the whole page). */
  screenshot(page: Page, name: string): Promise<string>;
  /** Uncaught errors and console errors of the page (failed-request noise excluded), for asserting none. */
  problems(page: Page): string[];
  /** Calls the API as a script would: JSON in and out. */
  api<T = Record<string, unknown>>(method: string, path: string, options?: { body?: unknown; token?: string; orgId?: string }): Promise<{ status: number; body: T }>;
  /** Creates a user (and their organization) through the API. */
  signUp(overrides?: Partial<Pick<TestUser, 'email' | 'password' | 'name' | 'orgName'>>): Promise<TestUser>;
}

export interface HarnessOptions {
  /** Extra environment of the server (on top of an embedded, in-memory, quiet setup). */
  env?: Record<string, string>;
  /**
   * Start a provider stub and point the server's OpenAI and Anthropic fallback credentials at
   * it (`openai:*` and `anthropic:*` agents then talk to the stub through the real clients).
   */
  stub?: boolean;
}

/**
 * Registers beforeAll/afterAll in the calling test file: builds dist/web if its sources changed
 * (a no-op after `npm install`), starts the server and Chromium, and stops both after the file.
 */
export function useWebHarness(options: HarnessOptions = {}): WebHarness {
  let server: TroupeProcess | undefined;
  let browser: Browser | undefined;
  let stub: ProviderStub | null = null;
  let url = '';
  let setupToken: string | null = null;
  const contexts: BrowserContext[] = [];
  const problems = new WeakMap<Page, string[]>();

  beforeAll(async () => {
    await ensureWebBuild((line) => console.log(line));
    if (options.stub) stub = await startProviderStub();
    const stubEnv: Record<string, string> = stub
      ? { OPENAI_API_KEY: 'sk-stub', OPENAI_BASE_URL: `${stub.url}/v1`, ANTHROPIC_API_KEY: 'sk-ant-stub', ANTHROPIC_BASE_URL: `${stub.url}/v1` }
      : {};
    server = startTroupe(['serve'], {
      PORT: '0',
      HOST: '127.0.0.1',
      TROUPE_DATA_DIR: 'memory://',
      TROUPE_WEB_DIR: WEB_OUT_DIR,
      TROUPE_SECRET_KEY: TEST_SECRET_KEY,
      TROUPE_AUTH_RATE_LIMIT: '10000',
      TROUPE_ALLOW_SIGNUP: 'true',
      // Unset (empty counts as unset): an embedded database, and a setup token printed at start.
      DATABASE_URL: '',
      REDIS_URL: '',
      TROUPE_OWNER_EMAIL: '',
      TROUPE_OWNER_PASSWORD: '',
      TROUPE_PUBLIC_URL: '',
      LOG_LEVEL: 'warn',
      ...stubEnv,
      ...options.env,
    });
    const [, started] = await server.waitFor(/Troupe is running at (http:\/\/\S+)/, 90_000);
    url = started!;
    setupToken = /one-time setup token:[\s│]*\n[\s│]*([^\s│]+)/.exec(server.output())?.[1] ?? null;
    browser = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    for (const c of contexts) await c.close().catch(() => {});
    await browser?.close();
    await server?.stop();
    await stub?.close();
  });

  const harness: WebHarness = {
    get url() {
      return url;
    },
    get server() {
      if (!server) throw new Error('The web harness has not started (use it inside tests)');
      return server;
    },
    get setupToken() {
      return setupToken;
    },
    get browser() {
      if (!browser) throw new Error('The web harness has not started (use it inside tests)');
      return browser;
    },
    get stub() {
      return stub;
    },

    async newPage({ viewport = DESKTOP, as } = {}) {
      const phone = viewport.width < 600;
      const context = await harness.browser.newContext({
        baseURL: url,
        viewport,
        ...(phone ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
        ...(as ? { storageState: { cookies: [], origins: [{ origin: url, localStorage: sessionEntries(as) }] } } : {}),
      });
      contexts.push(context);
      const page = await context.newPage();
      // Generous: CI runs these beside multi-process tests that keep both cores busy.
      page.setDefaultTimeout(20_000);
      const list: string[] = [];
      problems.set(page, list);
      page.on('pageerror', (err) => list.push(`pageerror: ${err.message}`));
      page.on('console', (msg) => {
        // A 4xx the page handles (wrong password, 401 before a refresh) is logged by Chromium as
        // "Failed to load resource"; that is not a fault of the page.
        if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) list.push(`console: ${msg.text()}`);
      });
      return page;
    },

    async screenshot(page, name) {
      mkdirSync(RESULTS_DIR, { recursive: true });
      const file = path.join(RESULTS_DIR, `web-${name}.png`);
      await page.screenshot({ path: file, fullPage: true, animations: 'disabled' });
      return file;
    },

    problems: (page) => problems.get(page) ?? [],

    async api(method, apiPath, { body, token, orgId } = {}) {
      const res = await fetch(`${url}/api/v1${apiPath}`, {
        method,
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...(token ? { authorization: `Bearer ${token}` } : {}),
          ...(orgId ? { 'x-org-id': orgId } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: (text ? JSON.parse(text) : undefined) as never };
    },

    async signUp(overrides = {}) {
      const id = randomBytes(4).toString('hex');
      const input = {
        email: overrides.email ?? `person-${id}@example.com`,
        password: overrides.password ?? 'a long password 1',
        name: overrides.name ?? `Person ${id}`,
        orgName: overrides.orgName ?? `Org ${id}`,
      };
      const res = await harness.api<{ user: { id: string }; organization: { id: string; name: string }; tokens: { accessToken: string; refreshToken: string; expiresIn: number } }>(
        'POST',
        '/auth/signup',
        { body: { email: input.email, password: input.password, name: input.name, organizationName: input.orgName } },
      );
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      return {
        ...input,
        userId: res.body.user.id,
        orgId: res.body.organization.id,
        orgName: res.body.organization.name,
        accessToken: res.body.tokens.accessToken,
        refreshToken: res.body.tokens.refreshToken,
        expiresIn: res.body.tokens.expiresIn,
      };
    },
  };
  return harness;
}

/** What the dashboard keeps in localStorage for a signed-in user (web/src/api/session-store.ts). */
export function sessionEntries(user: Pick<TestUser, 'accessToken' | 'refreshToken' | 'expiresIn' | 'orgId'>) {
  return [
    {
      name: 'troupe.session',
      value: JSON.stringify({ accessToken: user.accessToken, refreshToken: user.refreshToken, accessExpiresAt: Date.now() + user.expiresIn * 1000 }),
    },
    { name: 'troupe.orgId', value: user.orgId },
  ];
}
