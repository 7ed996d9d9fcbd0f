import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { valueImports } from '../../web/tools/shared-files.js';

/**
 * The module boundaries of docs/architecture.md, checked on the code's own imports:
 * - a module reads and writes another module's data through that module's functions, never its
 *   tables: no `schema.ts` of another module is imported (schema files themselves may, for
 *   foreign keys), and no SQL text names another module's table;
 * - the HTTP kernel (`src/http/`) stands below every module: it imports only `shared/` and `config/`;
 * - the server assembly (`src/api/`) is imported by nobody but the CLI;
 * - modules form no import cycle (value imports; `import type` is erased; foreign keys between
 *   schema files are relations of data, not of code).
 */
const SRC = path.resolve(import.meta.dirname, '../../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    if (statSync(p).isDirectory()) return sourceFiles(p);
    // Test code (`*.test.ts` and the `*.test-helpers.ts` a split test shares) may reach any table.
    return p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.endsWith('.test-helpers.ts') ? [p] : [];
  });
}

const files = sourceFiles(SRC);
const rel = (f: string) => path.relative(SRC, f);
const moduleOf = (f: string) => rel(f).split(path.sep)[0]!.replace(/\.ts$/, '');

/** Every relative import (value and type) of a file, resolved to a path under src/. */
function imports(file: string, valueOnly: boolean): string[] {
  const source = readFileSync(file, 'utf8');
  const specs = valueOnly
    ? valueImports(source)
    : [...source.matchAll(/^\s*(?:import|export)\s[^'";]*?from\s+['"]([^'"]+)['"]/gm)].map((m) => m[1]!);
  return specs.filter((s) => s.startsWith('.')).map((s) => path.resolve(path.dirname(file), s.replace(/\.js$/, '.ts')));
}

/** Table names each module's schema.ts declares (pgTable('name', ...)). */
const tablesByModule = new Map<string, string[]>();
for (const f of files.filter((f) => path.basename(f) === 'schema.ts' && moduleOf(f) !== 'db')) {
  const names = [...readFileSync(f, 'utf8').matchAll(/pgTable\(\s*'([a-z_]+)'/g)].map((m) => m[1]!);
  // A module may keep its tables in several schema.ts files (a pack: crm/, tools/, …).
  tablesByModule.set(moduleOf(f), [...(tablesByModule.get(moduleOf(f)) ?? []), ...names]);
}

describe('module boundaries', () => {
  it('finds the modules and their tables', () => {
    expect([...tablesByModule.keys()]).toEqual(expect.arrayContaining(['agents', 'auth', 'runs', 'tasks', 'tools', 'billing']));
    expect(tablesByModule.get('runs')).toEqual(expect.arrayContaining(['runs', 'run_steps', 'approvals']));
  });

  it("no module imports another module's tables (schema.ts); schema files may, for foreign keys", () => {
    const found: string[] = [];
    for (const f of files) {
      if (path.basename(f) === 'schema.ts') continue;
      const from = moduleOf(f);
      if (from === 'db' || from === 'cli') continue; // db/schema.ts gathers all tables; admin commands set up an install
      for (const target of imports(f, false)) {
        if (path.basename(target) !== 'schema.ts') continue;
        const to = moduleOf(target);
        if (to !== from && to !== 'db') found.push(`${rel(f)} imports ${path.relative(SRC, target)}`);
      }
    }
    expect(found).toEqual([]);
  });

  it("no SQL text names another module's table", () => {
    const found: string[] = [];
    for (const f of files) {
      const from = moduleOf(f);
      if (from === 'db' || from === 'cli' || path.basename(f) === 'schema.ts') continue;
      // Only string and template literals: SQL lives there.
      const literals = [...readFileSync(f, 'utf8').matchAll(/`(?:\\.|[^`\\])*`|'(?:\\.|[^'\\\n])*'/g)].map((m) => m[0]);
      for (const [to, tables] of tablesByModule) {
        if (to === from) continue;
        for (const t of tables) {
          const re = new RegExp(`\\b(from|join|update|into|delete from)\\s+${t}\\b`, 'i');
          if (literals.some((l) => re.test(l))) found.push(`${rel(f)} names ${to}'s table ${t} in SQL`);
        }
      }
    }
    expect(found).toEqual([]);
  });

  it('the HTTP kernel (src/http) imports only shared/ and config/', () => {
    const found = files
      .filter((f) => moduleOf(f) === 'http')
      .flatMap((f) => imports(f, false).filter((t) => !['http', 'shared', 'config'].includes(moduleOf(t))).map((t) => `${rel(f)} imports ${path.relative(SRC, t)}`));
    expect(files.some((f) => moduleOf(f) === 'http')).toBe(true);
    expect(found).toEqual([]);
  });

  it('only the CLI imports the server assembly (src/api)', () => {
    const found = files
      .filter((f) => !['api', 'cli'].includes(moduleOf(f)))
      .flatMap((f) => imports(f, false).filter((t) => moduleOf(t) === 'api').map((t) => `${rel(f)} imports ${path.relative(SRC, t)}`));
    expect(found).toEqual([]);
  });

  it('modules form no import cycle', () => {
    const edges = new Map<string, Set<string>>();
    for (const f of files) {
      const from = moduleOf(f);
      for (const t of imports(f, true)) {
        const to = moduleOf(t);
        if (to === from) continue;
        // A foreign key (one schema.ts naming another's table) relates data, not code: the
        // database's relations may point either way between modules.
        if (path.basename(f) === 'schema.ts' && path.basename(t) === 'schema.ts') continue;
        if (!edges.has(from)) edges.set(from, new Set());
        edges.get(from)!.add(to);
      }
    }
    // Tarjan's strongly connected components: a component of more than one module is a cycle.
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const stack: string[] = [];
    const onStack = new Set<string>();
    const cycles: string[][] = [];
    let next = 0;
    const visit = (v: string) => {
      index.set(v, next);
      low.set(v, next++);
      stack.push(v);
      onStack.add(v);
      for (const w of edges.get(v) ?? []) {
        if (!index.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
      if (low.get(v) === index.get(v)) {
        const component: string[] = [];
        let w: string;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.push(w);
        } while (w !== v);
        if (component.length > 1) cycles.push(component.sort());
      }
    };
    for (const v of edges.keys()) if (!index.has(v)) visit(v);
    const describeCycle = (c: string[]) =>
      `${c.join(', ')}: ${c.flatMap((a) => [...(edges.get(a) ?? [])].filter((b) => c.includes(b)).map((b) => `${a}->${b}`)).join(' ')}`;
    expect(cycles.map(describeCycle)).toEqual([]);
  });
});
