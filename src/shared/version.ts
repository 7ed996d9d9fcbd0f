import { readFileSync } from 'node:fs';
import path from 'node:path';

/** Troupe's version, from package.json (src/shared and dist/shared are both two levels below the package root). */
export const VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../package.json'), 'utf8')) as { version?: string }).version ?? 'unknown';
  } catch {
    return 'unknown';
  }
})();
