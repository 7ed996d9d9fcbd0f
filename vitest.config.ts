import { defineConfig } from 'vitest/config';
import { SERVER_SRC_DIR } from './web/tools/build-inputs.js';

export default defineConfig({
  // The dashboard's unit tests import shared schemas as the dashboard does (`@server/...`).
  resolve: { alias: [{ find: /^@server\//, replacement: `${SERVER_SRC_DIR}/` }] },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'web/src/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // expect.poll waits up to 1 s by default: a dashboard page's first data (its bundle parsed,
    // then its requests) took longer than that under the full suite's load, and a check of a page
    // failed while the page was right. A poll that succeeds returns at once.
    expect: { poll: { timeout: 10_000 } },
    // 2-core machines: two forks keep PGlite's WASM start-up from starving the other tests.
    pool: 'forks',
    maxWorkers: 2,
  },
});
