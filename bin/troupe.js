#!/usr/bin/env node
// The installed `troupe` command: runs the compiled CLI (built by `npm install` / `npm run build`).
import('../dist/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
    console.error('troupe: the build is missing; run `npm run build` in the Troupe folder first.');
    process.exit(1);
  }
  throw err;
});
