import { readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SERVER_SRC_DIR } from '../../web/tools/build-inputs.js';
import { browserProblems, valueImports } from '../../web/tools/shared-files.js';

/**
 * The dashboard validates its forms with the server's own schemas (docs/decisions.md, 24), so
 * every module's dto.ts (and the enums and shared schemas they use) must bundle for the browser:
 * zod and pure files only. A dto.ts that imports a service, a table or a Node module fails here,
 * naming the import, before it fails the dashboard build.
 */
describe('schemas shared with the dashboard', () => {
  const modules = readdirSync(SERVER_SRC_DIR, { withFileTypes: true }).filter((d) => d.isDirectory());
  const dtoFiles = modules.flatMap((d) =>
    readdirSync(path.join(SERVER_SRC_DIR, d.name))
      .filter((f) => f === 'dto.ts' || f === 'enums.ts')
      .map((f) => path.join(SERVER_SRC_DIR, d.name, f)),
  );

  it('finds the dto files', () => {
    expect(dtoFiles.map((f) => path.relative(SERVER_SRC_DIR, f))).toEqual(expect.arrayContaining(['agents/dto.ts', 'auth/dto.ts', 'runs/dto.ts', 'tasks/dto.ts', 'tools/dto.ts']));
  });

  it.each([
    ...['agents', 'auth', 'billing', 'runs', 'schedules', 'tasks', 'tools'].map((m) => `${m}/dto.ts`),
    'shared/page-schema.ts',
    'http/problem-schema.ts',
    // The one money module: the server's ledger and CSV and every dashboard page format money with it.
    'billing/money.ts',
  ])('%s imports only zod and other pure files', (file) => {
    expect(browserProblems(path.join(SERVER_SRC_DIR, file))).toEqual([]);
  });

  it('every dto.ts and enums.ts under src/ is pure', () => {
    expect(dtoFiles.flatMap((f) => browserProblems(f))).toEqual([]);
  });

  it('tells what is wrong with a file that is not', () => {
    expect(browserProblems(path.join(SERVER_SRC_DIR, 'auth/passwords.ts'))).toEqual(['src/auth/passwords.ts imports "argon2"']);
    expect(browserProblems(path.join(SERVER_SRC_DIR, 'shared/pagination.ts'))).toContain('src/shared/pagination.ts uses the Node global Buffer');
    expect(valueImports("import type { A } from './a.js';\nimport { type B } from './b.js';\nimport { C, type D } from './c.js';\nexport { E } from './e.js';")).toEqual(['./c.js', './e.js']);
  });
});
