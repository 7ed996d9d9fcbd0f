import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';
import { recordBuildInputs, serverImportGuard, SERVER_SRC_DIR, WEB_DIR, WEB_OUT_DIR } from './tools/build-inputs.js';
import { precompress } from './tools/precompress.js';

/** Where `npm run dev:web` sends API calls: a Troupe started with `npm run dev`. */
const API = process.env.TROUPE_DEV_API ?? 'http://127.0.0.1:3000';

/**
 * The dashboard: `npm run build:web` writes dist/web (served by Troupe at /); `npm run dev:web`
 * serves web/ with hot reload on http://127.0.0.1:5173 and proxies the API to a running Troupe.
 */
export default defineConfig({
  root: WEB_DIR,
  // precompress: .br and .gz beside each text file, served to browsers that accept them.
  plugins: [react(), serverImportGuard(), recordBuildInputs(), precompress(WEB_OUT_DIR)],
  resolve: {
    // `@server/auth/dto` is src/auth/dto.ts: Zod schemas shared with the server (pure files only).
    alias: [{ find: /^@server\//, replacement: `${SERVER_SRC_DIR}/` }],
  },
  build: {
    outDir: WEB_OUT_DIR,
    emptyOutDir: true,
    // Modern browsers only (ES modules, top-level await): no legacy bundle.
    target: 'es2022',
    chunkSizeWarningLimit: 800,
  },
  server: {
    host: '127.0.0.1',
    port: 5173,
    proxy: Object.fromEntries(['/api', '/docs', '/health', '/ready'].map((p) => [p, { target: API, changeOrigin: true }])),
  },
  preview: { host: '127.0.0.1', port: 4173 },
});
