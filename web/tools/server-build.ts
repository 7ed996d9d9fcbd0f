import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './build-inputs.js';

/*
 * The server build (`tsc -p tsconfig.build.json` → dist/) only when its sources changed. `npm start`
 * used to run tsc on every start: about 12 s even with nothing to do (tsc's incremental mode still
 * loads and checks the whole program). Hashing the inputs instead takes tens of milliseconds
 * (decision 49).
 */

/** Written beside the build, in dist/ (never served). */
const MANIFEST = 'dist/.server-build-inputs.json';
/** Files that shape the build besides its sources (package-lock.json stands for the installed types and compiler). */
const CONFIG_INPUTS = ['tsconfig.json', 'tsconfig.build.json', 'package-lock.json', 'web/tools/server-build.ts'];

interface Manifest {
  version: 1;
  /** Repository-relative path → sha256 of its content. */
  inputs: Record<string, string>;
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const rel = (root: string, file: string) => path.relative(root, file).split(path.sep).join('/');

/** A tsconfig `include`/`exclude` pattern (`src/**\/*.test.ts`) as a regular expression on repository paths. */
export function globToRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*' && pattern[i + 1] === '*') {
      // `**/` is any number of folders, none included.
      re += pattern[i + 2] === '/' ? '(?:.*/)?' : '.*';
      i += pattern[i + 2] === '/' ? 2 : 1;
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  // A folder pattern (`src`) takes everything under it, as tsc reads it.
  return new RegExp(`^${re}(?:/.*)?$`);
}

/**
 * The files the build reads: every file under tsconfig.build.json's `include` folders (TypeScript
 * and anything a build step copies, such as SQL), less its `exclude` patterns. Null when the
 * config cannot be read (then the build runs, and tsc says what is wrong).
 */
export function serverInputs(root = ROOT): string[] | null {
  let config: { include?: string[]; exclude?: string[] };
  try {
    config = JSON.parse(readFileSync(path.join(root, 'tsconfig.build.json'), 'utf8')) as typeof config;
  } catch {
    return null;
  }
  const include = (config.include ?? []).map(globToRegExp);
  const exclude = (config.exclude ?? []).map(globToRegExp);
  const files = new Set<string>();
  for (const pattern of config.include ?? []) {
    // The folders before any wildcard: `src` of `src/**/*.ts`.
    const wildcard = pattern.search(/[*?]/);
    const base = path.join(root, wildcard === -1 ? pattern : pattern.slice(0, wildcard).replace(/[^/]*$/, ''));
    if (!existsSync(base)) continue;
    for (const e of readdirSync(base, { withFileTypes: true, recursive: true })) {
      if (!e.isFile()) continue;
      const file = rel(root, path.join(e.parentPath, e.name));
      if (include.some((r) => r.test(file)) && !exclude.some((r) => r.test(file))) files.add(file);
    }
  }
  return [...files].sort();
}

/** Hashes of everything the build reads; null when the file list cannot be known. */
function currentInputs(root: string): Record<string, string> | null {
  const sources = serverInputs(root);
  if (!sources) return null;
  const inputs: Record<string, string> = {};
  for (const file of [...sources, ...CONFIG_INPUTS.filter((f) => existsSync(path.join(root, f)))].sort()) inputs[file] = sha256(path.join(root, file));
  return inputs;
}

function readManifest(root: string): Manifest | null {
  try {
    return JSON.parse(readFileSync(path.join(root, MANIFEST), 'utf8')) as Manifest;
  } catch {
    return null;
  }
}

/** Why dist/ must be (re)compiled, or null when it was compiled from exactly the current sources. */
export function serverStaleReason(root = ROOT): string | null {
  if (!existsSync(path.join(root, 'dist', 'cli', 'main.js'))) return 'dist/ is missing';
  const manifest = readManifest(root);
  if (!manifest) return 'dist/ has no record of its inputs';
  const now = currentInputs(root);
  if (!now) return 'tsconfig.build.json could not be read';
  for (const file of Object.keys(manifest.inputs)) if (!(file in now)) return `${file} was removed`;
  for (const [file, hash] of Object.entries(now)) {
    if (!(file in manifest.inputs)) return `${file} is new`;
    if (manifest.inputs[file] !== hash) return `${file} changed`;
  }
  return null;
}

/**
 * Compiles the server into dist/ (`npm run build`) unless it was compiled from exactly the
 * current sources. The inputs are hashed before tsc starts, so a file edited while it runs
 * leaves the record stale and the next start compiles again. A failed compile records nothing
 * and throws with tsc's output. Returns what it did.
 */
export function ensureServerBuild(
  log: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
  root = ROOT,
): 'fresh' | 'built' {
  const reason = serverStaleReason(root);
  if (reason === null) return 'fresh';
  const inputs = currentInputs(root);
  const before = readManifest(root);
  log(`Compiling the server (${reason})…`);
  // `npm run build`, not tsc itself, so that a step added to the build script runs here too.
  const result = spawnSync('npm', ['run', 'build', '--silent'], { cwd: root, encoding: 'utf8', shell: process.platform === 'win32' });
  if (result.status !== 0) {
    throw new Error(`npm run build failed (exit ${result.status ?? result.signal}):\n${result.stdout}${result.stderr}${result.error?.message ?? ''}`);
  }
  // tsc never deletes: the output of a removed (or newly excluded) source would stay in dist/.
  for (const file of Object.keys(before?.inputs ?? {})) {
    if (inputs && file in inputs) continue;
    const m = /^src\/(.+)\.ts$/.exec(file);
    if (m) for (const ext of ['.js', '.js.map', '.d.ts']) rmSync(path.join(root, 'dist', m[1]! + ext), { force: true });
  }
  if (inputs) {
    mkdirSync(path.join(root, 'dist'), { recursive: true });
    writeFileSync(path.join(root, MANIFEST), `${JSON.stringify({ version: 1, inputs } satisfies Manifest, null, 1)}\n`);
  }
  return 'built';
}
