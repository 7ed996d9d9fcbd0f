import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, type Config } from './load.js';

/** Accepts 64 hex characters or base64 of 32 bytes. */
export function parseSecretKey(value: string, source: string): Buffer {
  const v = value.trim();
  if (/^[0-9a-fA-F]{64}$/.test(v)) return Buffer.from(v, 'hex');
  const b = Buffer.from(v, 'base64');
  if (b.length === 32 && /^[A-Za-z0-9+/_-]+=*$/.test(v)) return b;
  throw new ConfigError(
    `${source}: must be 32 bytes written as 64 hex characters or base64 (generate one with \`openssl rand -hex 32\`)`,
  );
}

/**
 * The master key for secrets at rest and token signing. From TROUPE_SECRET_KEY, else (embedded
 * mode only) from `<data dir>/secret.key`, generated with mode 0600 on first start.
 */
export function resolveSecretKey(config: Config): { key: Buffer; generated: boolean } {
  if (config.TROUPE_SECRET_KEY) return { key: parseSecretKey(config.TROUPE_SECRET_KEY, 'TROUPE_SECRET_KEY'), generated: false };
  if (config.databaseKind === 'postgres') throw new ConfigError('TROUPE_SECRET_KEY: required when DATABASE_URL is set');
  // In memory nothing outlives the process, so neither does the key.
  if (config.dataDir === 'memory://') return { key: randomBytes(32), generated: true };
  const file = path.join(config.dataDir, 'secret.key');
  if (existsSync(file)) return { key: parseSecretKey(readFileSync(file, 'utf8'), file), generated: false };
  mkdirSync(config.dataDir, { recursive: true });
  const key = randomBytes(32);
  writeFileSync(file, `${key.toString('hex')}\n`, { mode: 0o600, flag: 'wx' });
  return { key, generated: true };
}
