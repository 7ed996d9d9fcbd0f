import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { globToRegExp, ensureServerBuild, serverInputs, serverStaleReason } from '../../web/tools/server-build.js';

const ROOT = path.resolve(import.meta.dirname, '../..');

/**
 * `npm start` compiles the server only when its inputs changed (decision 49): a small project laid
 * out like Troupe's (tsconfig.build.json, src/, the same node_modules), compiled for real by
 * `npm run build`.
 */
describe('the start-up build check', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'troupe-build-'));
  const write = (file: string, text: string) => {
    mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    writeFileSync(path.join(dir, file), text);
  };
  const logs: string[] = [];
  const ensure = () => ensureServerBuild((line) => logs.push(line), dir);

  beforeAll(() => {
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    write('package.json', JSON.stringify({ name: 'x', private: true, type: 'module', scripts: { build: 'tsc -p tsconfig.build.json' } }));
    write('package-lock.json', '{}');
    write('tsconfig.json', JSON.stringify({ compilerOptions: { target: 'ES2023', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, types: [] } }));
    write(
      'tsconfig.build.json',
      JSON.stringify({ extends: './tsconfig.json', compilerOptions: { rootDir: 'src', outDir: 'dist' }, include: ['src'], exclude: ['src/**/*.test.ts', 'src/**/test-fixtures.ts'] }),
    );
    write('src/cli/main.ts', "import { greet } from '../greet.js';\nconsole.log(greet());\n");
    write('src/greet.ts', "export const greet = () => 'hello';\n");
    write('src/greet.test.ts', 'export {};\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('compiles a missing build, then finds it fresh until an input changes, is added or is removed', { timeout: 300_000 }, () => {
    expect(serverStaleReason(dir)).toBe('dist/ is missing');
    expect(ensure()).toBe('built');
    expect(logs).toEqual(['Compiling the server (dist/ is missing)…']);
    expect(readFileSync(path.join(dir, 'dist/greet.js'), 'utf8')).toContain('hello');
    expect(ensure()).toBe('fresh');

    // Tests and fixtures are not build inputs: editing them compiles nothing.
    write('src/greet.test.ts', 'export const changed = 1;\n');
    write('src/schedules/test-fixtures.ts', 'export const fixture = 1;\n');
    expect(serverStaleReason(dir)).toBeNull();

    write('src/greet.ts', "export const greet = () => 'hello again';\n");
    expect(serverStaleReason(dir)).toBe('src/greet.ts changed');
    expect(ensure()).toBe('built');
    expect(readFileSync(path.join(dir, 'dist/greet.js'), 'utf8')).toContain('hello again');
    expect(serverStaleReason(dir)).toBeNull();

    write('src/more.ts', 'export const more = 1;\n');
    expect(serverStaleReason(dir)).toBe('src/more.ts is new');
    // A non-TypeScript file a build step may copy (the SQL definitions) counts too.
    expect(serverInputs(dir)).toContain('src/more.ts');
    ensure();
    write('src/sql/f.sql', 'select 1;\n');
    expect(serverStaleReason(dir)).toBe('src/sql/f.sql is new');
    ensure();
    expect(existsSync(path.join(dir, 'dist/more.js'))).toBe(true);
    unlinkSync(path.join(dir, 'src/more.ts'));
    expect(serverStaleReason(dir)).toBe('src/more.ts was removed');
    ensure();
    // Its output goes too: tsc alone would leave it in dist/.
    expect(existsSync(path.join(dir, 'dist/more.js'))).toBe(false);

    write('tsconfig.json', readFileSync(path.join(dir, 'tsconfig.json'), 'utf8').replace('"strict":true', '"strict":false'));
    expect(serverStaleReason(dir)).toBe('tsconfig.json changed');
  });

  it('records nothing when the compile fails, and says why', { timeout: 300_000 }, () => {
    write('src/greet.ts', 'export const greet = (): number => "not a number";\n');
    expect(() => ensure()).toThrow(/npm run build failed[\s\S]*TS2322/);
    expect(serverStaleReason(dir)).toBe('src/greet.ts changed');
  });

  it('reads tsconfig patterns as tsc does', () => {
    expect(globToRegExp('src/**/*.test.ts').test('src/a/b/c.test.ts')).toBe(true);
    expect(globToRegExp('src/**/*.test.ts').test('src/c.test.ts')).toBe(true);
    expect(globToRegExp('src/**/*.test.ts').test('src/c.ts')).toBe(false);
    expect(globToRegExp('src').test('src/deep/file.ts')).toBe(true);
    expect(globToRegExp('src/dispatch/conformance.ts').test('src/dispatch/conformance.ts')).toBe(true);
    expect(globToRegExp('src/dispatch/conformance.ts').test('src/dispatch/conformanceXts')).toBe(false);
  });
});
