import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ROOT, SERVER_SRC_DIR } from './build-inputs.js';

/** Module specifiers of a TypeScript file's value imports and re-exports (`import type` is erased, so left out). */
export function valueImports(source: string): string[] {
  const out: string[] = [];
  const re = /^\s*(import|export)\s+(type\s+)?([^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm;
  for (const m of source.matchAll(re)) {
    if (m[2]) continue;
    // `import { type A, type B } from` is erased too.
    const names = m[3]?.match(/\{([^}]*)\}/)?.[1];
    if (names && names.split(',').every((n) => !n.trim() || n.trim().startsWith('type '))) continue;
    out.push(m[4]!);
  }
  return out;
}

/**
 * Why `file` (under src/) cannot be shared with the browser: each problem names the file and
 * the import or Node global at fault. Empty when the file and everything it imports are pure:
 * only `zod` and other such files, no Node built-ins, Buffer or process (the rule Vite's
 * serverImportGuard enforces at build time).
 */
export function browserProblems(file: string, seen = new Set<string>()): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  const rel = path.relative(ROOT, file);
  const source = readFileSync(file, 'utf8');
  const problems: string[] = [];
  // Without comments and string literals ("… in this process (ms)" is not the global).
  const code = source.replace(/\/\*[\s\S]*?\*\/|\/\/.*$|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\.|[^`\\])*`/gm, "''");
  for (const global of ['Buffer', 'process', 'require', '__dirname']) {
    if (new RegExp(`\\b${global}\\b\\s*[.(]`).test(code)) problems.push(`${rel} uses the Node global ${global}`);
  }
  for (const spec of valueImports(source)) {
    if (spec === 'zod' || spec.startsWith('zod/')) continue;
    if (!spec.startsWith('.')) {
      problems.push(`${rel} imports "${spec}"`);
      continue;
    }
    const target = path.resolve(path.dirname(file), spec.replace(/\.js$/, '.ts'));
    if (!target.startsWith(SERVER_SRC_DIR + path.sep) || !existsSync(target)) {
      problems.push(`${rel} imports ${spec}, which is not a TypeScript file under src/`);
      continue;
    }
    problems.push(...browserProblems(target, seen));
  }
  return problems;
}
