import { readFile } from 'node:fs/promises';
import { parse as parseYaml } from 'yaml';
import { CliError } from './run.js';

/** Reads all of stdin as UTF-8 text. */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * Reads a JSON or YAML object from `file` (`-` = stdin). `.json` files are parsed as JSON; every
 * other name (and stdin) as YAML, which also accepts JSON.
 */
export async function readObjectFile(file: string): Promise<Record<string, unknown>> {
  const label = file === '-' ? 'stdin' : file;
  let text: string;
  try {
    text = file === '-' ? await readStdin() : await readFile(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CliError(code === 'ENOENT' ? `--file: no file at ${file}` : `--file: cannot read ${file}: ${(err as Error).message}`);
  }
  const json = file.toLowerCase().endsWith('.json');
  let data: unknown;
  try {
    data = json ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new CliError(`--file: ${label} is not valid ${json ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new CliError(`--file: ${label} must hold an object (field: value pairs)`);
  }
  return data as Record<string, unknown>;
}

/** `a, b,,c` → ['a', 'b', 'c']; an empty string gives [] (clears the list). */
export const parseList = (value: string): string[] =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);

/** A number flag; `null` (or `default`) stands for "provider default". */
export function parseNullableNumber(flag: string, value: string): number | null {
  const v = value.trim().toLowerCase();
  if (v === 'null' || v === 'default') return null;
  const n = Number(v);
  if (v === '' || !Number.isFinite(n)) throw new CliError(`invalid agent:\n  ${flag}: must be a number (or "null" for the provider default), got "${value}"`);
  return n;
}
