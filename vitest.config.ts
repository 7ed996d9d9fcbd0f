import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    globalSetup: ['test/global-setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // 2-core machines: two forks keep PGlite's WASM start-up from starving the other tests.
    pool: 'forks',
    maxWorkers: 2,
  },
});
