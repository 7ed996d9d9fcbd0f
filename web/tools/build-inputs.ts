import { createHash } from 'node:crypto';
import { builtinModules } from 'node:module';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'vite';

/*
 * Node-side helpers of the dashboard build (used by web/vite.config.ts, `npm start` and the
 * browser tests): which files a build was made from, so a stale dist/web is rebuilt and a fresh
 * one is not; and the guard that keeps server code out of the browser bundle.
 */

// import.meta.url, not import.meta.dirname: Vite rewrites the former when it bundles its config.
export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const WEB_DIR = path.join(ROOT, 'web');
export const SERVER_SRC_DIR = path.join(ROOT, 'src');
export const WEB_OUT_DIR = path.join(ROOT, 'dist/web');
/** Written beside the build; a dot file, so the server does not serve it. */
export const MANIFEST_FILE = path.join(WEB_OUT_DIR, '.build-inputs.json');

/** Files that shape every build besides the modules in the bundle (paths from the repository root). */
const CONFIG_INPUTS = ['web/index.html', 'web/vite.config.ts', 'web/tools/build-inputs.ts', 'web/tools/precompress.ts', 'web/tsconfig.json', 'package-lock.json'];

interface Manifest {
  version: 1;
  /** Repository-relative path → sha256 of its content. */
  inputs: Record<string, string>;
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const rel = (file: string) => path.relative(ROOT, file).split(path.sep).join('/');

function listFiles(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}

/** Everything a build depends on that is not a bundled module: config files and web/public. */
function fixedInputs(): string[] {
  return [...CONFIG_INPUTS.map((f) => path.join(ROOT, f)), ...listFiles(path.join(WEB_DIR, 'public'))].filter((f) => existsSync(f));
}

/** Why dist/web must be (re)built, or null when it matches the sources. */
export function staleReason(): string | null {
  if (!existsSync(path.join(WEB_OUT_DIR, 'index.html'))) return 'dist/web is missing';
  let manifest: Manifest;
  try {
    manifest = JSON.parse(readFileSync(MANIFEST_FILE, 'utf8')) as Manifest;
  } catch {
    return 'dist/web has no record of its inputs';
  }
  for (const [file, hash] of Object.entries(manifest.inputs)) {
    const abs = path.join(ROOT, file);
    if (!existsSync(abs)) return `${file} was removed`;
    if (sha256(abs) !== hash) return `${file} changed`;
  }
  // A new module is always imported by a changed one; a new public file is not.
  for (const file of fixedInputs()) if (!(rel(file) in manifest.inputs)) return `${rel(file)} is new`;
  return null;
}

/**
 * Vite plugin: after a build, records the hash of every project file in the bundle (web and
 * shared src/ modules, not node_modules: package-lock.json stands for those) plus the fixed inputs.
 */
export function recordBuildInputs(): Plugin {
  let modules: string[] = [];
  return {
    name: 'troupe:record-build-inputs',
    apply: 'build',
    generateBundle() {
      modules = [...this.getModuleIds()];
    },
    writeBundle() {
      const files = new Set<string>(fixedInputs());
      for (const id of modules) {
        const file = id.split('?')[0]!;
        if (file.startsWith(ROOT + path.sep) && !file.includes(`${path.sep}node_modules${path.sep}`) && existsSync(file)) files.add(file);
      }
      const inputs = Object.fromEntries([...files].sort().map((f) => [rel(f), sha256(f)]));
      mkdirSync(WEB_OUT_DIR, { recursive: true });
      writeFileSync(MANIFEST_FILE, `${JSON.stringify({ version: 1, inputs } satisfies Manifest, null, 1)}\n`);
    },
  };
}

const NODE_BUILTINS = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`)]);

/**
 * Vite plugin: fails the build when browser code would pull in server code. Files under src/
 * may be shared with the dashboard only if they import nothing but `zod` and other such files
 * (the `dto.ts` schema files); Node built-ins are refused everywhere. Without it, Vite would
 * bundle argon2 or pg with a warning and the page would break at run time.
 */
export function serverImportGuard(): Plugin {
  return {
    name: 'troupe:server-import-guard',
    enforce: 'pre',
    resolveId(source, importer) {
      if (!importer || importer.includes(`${path.sep}node_modules${path.sep}`)) return null;
      const from = importer.split('?')[0]!;
      if (NODE_BUILTINS.has(source)) {
        this.error(`${rel(from)} imports the Node module "${source}", which does not exist in the browser.`);
      }
      const bare = !source.startsWith('.') && !source.startsWith('/') && !source.startsWith('\0') && !source.startsWith('@server/');
      if (bare && from.startsWith(SERVER_SRC_DIR + path.sep) && source !== 'zod' && !source.startsWith('zod/')) {
        this.error(
          `The dashboard imports ${rel(from)}, which imports "${source}". Only pure schema files may be shared with ` +
            'the browser: files under src/ that import nothing but zod and other such files. Move the schemas (or ' +
            'constants) the dashboard needs into one (see docs/architecture.md, "Web dashboard"), or use `import type`.',
        );
      }
      return null;
    },
  };
}
