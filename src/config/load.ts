import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { configSchema, type RawConfig } from './schema.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** The validated settings, with derived values the rest of the code needs. */
export interface Config extends RawConfig {
  /** Absolute data folder (the embedded database's files, generated secret key, lock file). */
  dataDir: string;
  /** 'postgres' when DATABASE_URL is set, else 'embedded' (a PostgreSQL the server starts, or PGlite: TROUPE_EMBEDDED_DB). */
  databaseKind: 'embedded' | 'postgres';
  corsOrigins: string[];
  publicUrl: string;
  /** Absolute folder of the built dashboard served at `/` (TROUPE_WEB_DIR, default `dist/web`). */
  webDir: string;
}

/** The built dashboard of this install: `dist/web` beside `dist/` and `src/` (both two levels down). */
const DEFAULT_WEB_DIR = path.resolve(import.meta.dirname, '../../dist/web');

type Env = Record<string, string | undefined>;

/** Reads TROUPE_CONFIG_FILE (JSON or YAML, keys named like the environment variables). */
function readConfigFile(env: Env): Record<string, unknown> {
  const file = env.TROUPE_CONFIG_FILE;
  if (!file) return {};
  if (!existsSync(file)) throw new ConfigError(`TROUPE_CONFIG_FILE: no file at ${file}`);
  const text = readFileSync(file, 'utf8');
  let data: unknown;
  try {
    data = file.endsWith('.json') ? JSON.parse(text) : parseYaml(text);
  } catch (err) {
    throw new ConfigError(`TROUPE_CONFIG_FILE: ${file} is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(err as Error).message}`);
  }
  if (data === null || typeof data !== 'object' || Array.isArray(data)) {
    throw new ConfigError(`TROUPE_CONFIG_FILE: ${file} must hold an object of SETTING: value pairs`);
  }
  return data as Record<string, unknown>;
}

/**
 * Validates the configuration once, at start-up. The config file is read first and the
 * environment overrides it; empty environment values count as unset. A wrong value throws a
 * ConfigError naming the variable and what it allows.
 */
export function loadConfig(env: Env = process.env): Config {
  const merged: Record<string, unknown> = { ...readConfigFile(env) };
  for (const key of Object.keys(configSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') merged[key] = value;
  }
  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = issue.path.join('.');
      const shown = name in merged && !/KEY|PASSWORD|SECRET|TOKEN/.test(name) ? ` (got "${String(merged[name])}")` : '';
      return `${name}: ${issue.message}${shown}`;
    });
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const raw = parsed.data;
  if (raw.DATABASE_URL && !raw.TROUPE_SECRET_KEY) {
    throw new ConfigError(
      'TROUPE_SECRET_KEY: required when DATABASE_URL is set (every process must share it). ' +
        'Generate one with `openssl rand -hex 32`.',
    );
  }
  const hostForUrl = raw.HOST === '0.0.0.0' || raw.HOST === '::' ? 'localhost' : raw.HOST;
  return {
    ...raw,
    // memory:// is PGlite in memory (tests, benchmarks): nothing is written to disk.
    dataDir: raw.TROUPE_DATA_DIR === 'memory://' ? 'memory://' : path.resolve(raw.TROUPE_DATA_DIR),
    databaseKind: raw.DATABASE_URL ? 'postgres' : 'embedded',
    corsOrigins: raw.TROUPE_CORS_ORIGINS.split(',').map((s) => s.trim()).filter(Boolean),
    publicUrl: (raw.TROUPE_PUBLIC_URL ?? `http://${hostForUrl}:${raw.PORT}`).replace(/\/$/, ''),
    webDir: raw.TROUPE_WEB_DIR ? path.resolve(raw.TROUPE_WEB_DIR) : DEFAULT_WEB_DIR,
  };
}
